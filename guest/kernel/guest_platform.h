// kern::Platform on real (emulated) x86 hardware - the twin of the hosted tests'
// HostedPlatform (tests/kern/hosted_machine.h):
//   current CPU      %gs-relative per-CPU data (smp/percpu.h)
//   IRQL             CR8, the local APIC's task-priority class (kern/irql.h): raising to
//                    n blocks every vector of class <= n on this CPU
//   interrupt flag   PUSHF / CLI / STI
//   cpu_relax        PAUSE
//   local APIC       this CPU's, xAPIC MMIO or x2APIC MSRs (apic/local_apic.h)
// Raising below or lowering above the current level is a kernel bug: it panics, where
// the hosted platform counts it.
#pragma once

#include "kern/platform.h"

namespace guest {

class GuestPlatform final : public irqshape::kern::Platform {
 public:
  unsigned current_cpu() override;
  irqshape::kern::KIRQL current_irql() override;
  irqshape::kern::KIRQL raise_irql(irqshape::kern::KIRQL irql) override;
  void lower_irql(irqshape::kern::KIRQL irql) override;
  bool disable_interrupts() override;
  void restore_interrupts(bool were_enabled) override;
  void cpu_relax() override;
  irqshape::kern::LocalApicRegisters& local_apic(unsigned cpu) override;
};

}  // namespace guest
