#include "devices/debug_exit.h"

#include "arch/x86.h"

namespace guest::debug_exit {

void exit(Code code) {
  x86::outl(kPort, static_cast<std::uint32_t>(code));
  // Without the device (run by hand without it) the write is ignored: stop here.
  x86::halt_forever();
}

}  // namespace guest::debug_exit
