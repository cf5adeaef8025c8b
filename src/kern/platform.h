// Everything the interrupt core needs from the machine it runs on, and nothing more.
// Three implementations are planned: the bootable guest (CR8, cli/sti, pause, the real
// local APIC), the discrete-event simulator (one thread, simulated vCPUs) and the hosted
// tests (OS threads play CPUs, src/hw models play the chips).
//
// "Current CPU" is the CPU the calling code runs on. The dispatcher is told its CPU
// explicitly (the simulator calls it for a vCPU); the platform must make current_cpu()
// agree while it runs.
#pragma once

#include "kern/irql.h"
#include "kern/local_apic_access.h"

namespace irqshape::kern {

class Platform {
 public:
  virtual unsigned current_cpu() = 0;

  // IRQL of the current CPU. In the guest this is CR8 (= the local APIC's TPR class).
  virtual KIRQL current_irql() = 0;
  // Raises to `irql` (>= current) and returns the previous level.
  virtual KIRQL raise_irql(KIRQL irql) = 0;
  virtual void lower_irql(KIRQL irql) = 0;

  // cli / sti as a save-restore pair: returns whether interrupts were enabled.
  virtual bool disable_interrupts() = 0;
  virtual void restore_interrupts(bool were_enabled) = 0;

  // Inside every spin loop (the guest: PAUSE; hosted: may yield the OS thread).
  virtual void cpu_relax() = 0;

  // The local APIC of `cpu`. The kernel only ever asks for the current CPU's own APIC
  // (on hardware a CPU cannot reach another CPU's APIC); the argument lets a simulator
  // or test platform pick the model without a notion of "current".
  virtual LocalApicRegisters& local_apic(unsigned cpu) = 0;

 protected:
  ~Platform() = default;
};

}  // namespace irqshape::kern
