#include "kernel/panic.h"

#include "arch/x86.h"
#include "devices/debug_exit.h"
#include "kernel/console.h"
#include "smp/percpu.h"

namespace guest {

void panic(const char* message, std::uint64_t value) {
  x86::cli();
  console_force_unlock_after_timeout();
  {
    Console out;
    out.w.str("PANIC cpu=").dec(this_cpu_index()).str(" ").str(message).str(" value=").hex(value).chr('\n');
  }
  debug_exit::exit(debug_exit::Code::Panic);
}

void panic(const char* message) { panic(message, 0); }

}  // namespace guest
