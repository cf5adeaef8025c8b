#include "kernel/guest_platform.h"

#include "apic/local_apic.h"
#include "arch/x86.h"
#include "kernel/panic.h"
#include "smp/percpu.h"

namespace guest {

using irqshape::kern::KIRQL;

unsigned GuestPlatform::current_cpu() { return this_cpu_index(); }

KIRQL GuestPlatform::current_irql() { return x86::read_cr8(); }

// CR8 writes are serializing and, under TCG, take QEMU's global lock: skip the ones that
// would not change anything (the dispatcher raises to SynchronizeIrql, usually the level
// the interrupt entry already runs at).
KIRQL GuestPlatform::raise_irql(KIRQL irql) {
  const KIRQL previous = x86::read_cr8();
  if (irql < previous) panic("raise_irql below the current IRQL", irql);
  if (irql != previous) x86::write_cr8(irql);
  return previous;
}

void GuestPlatform::lower_irql(KIRQL irql) {
  const KIRQL current = x86::read_cr8();
  if (irql > current) panic("lower_irql above the current IRQL", irql);
  if (irql != current) x86::write_cr8(irql);
}

bool GuestPlatform::disable_interrupts() {
  const bool were_enabled = (x86::read_rflags() & x86::kRflagsIf) != 0;
  x86::cli();
  return were_enabled;
}

void GuestPlatform::restore_interrupts(bool were_enabled) {
  if (were_enabled) x86::sti();
}

void GuestPlatform::cpu_relax() { x86::pause(); }

// A CPU can only reach its own local APIC; kern promises to ask only for that one.
irqshape::kern::LocalApicRegisters& GuestPlatform::local_apic(unsigned cpu) {
  if (cpu != this_cpu_index()) panic("local_apic() asked for another CPU's APIC", cpu);
  return apic::registers();
}

}  // namespace guest
