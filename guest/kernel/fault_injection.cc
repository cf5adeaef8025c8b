#include "kernel/fault_injection.h"

#include "apic/local_apic.h"
#include "kernel/clock.h"
#include "kernel/command_line.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "smp/cpu_work.h"

namespace guest::fault {

namespace {

constexpr std::uint64_t kFaultTimeoutNs = 1000 * clock::kNsPerMs;

void announce(const char* what, unsigned cpu) {
  Console out;
  out.w.str("fault injection: ").str(what).str(" on cpu ").dec(cpu).chr('\n');
}

}  // namespace

void after_interrupt_core(unsigned cpus) {
  const unsigned cpu = cpus - 1;
  if (command_line_has("irqshape.fault=apic_error")) {
    bool injected = false;
    (void)smp::run_on(cpu, [](void* done) { *static_cast<bool*>(done) = apic::provoke_illegal_register_access(); },
                      &injected, kFaultTimeoutNs);
    announce(injected ? "read of reserved local APIC register 0x40"
                      : "apic_error not injected: x2APIC mode has no illegal-register error (a reserved MSR is #GP)",
             cpu);
  }
  if (command_line_has("irqshape.fault=ud")) {
    announce("ud2", cpu);
    (void)smp::run_on(cpu, [](void*) { asm volatile("ud2"); }, nullptr, kFaultTimeoutNs);
    panic("the injected fault was not reported");
  }
}

}  // namespace guest::fault
