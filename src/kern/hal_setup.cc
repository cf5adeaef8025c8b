// Setup: I/O APIC registration, interrupt source overrides, per-CPU local APIC init.
#include "hw/lapic_regs.h"
#include "kern/routing.h"
#include "kern/system_vectors.h"

namespace irqshape::kern {

using namespace hw::lapic;

NTSTATUS HalRegisterIoApic(InterruptCore& core, hw::RegisterWindow& window, std::uint32_t gsi_base) {
  SpinLockGuard config(core.config_lock, core.platform);
  IrqSpinLockGuard io(core.ioapic_lock, core.platform);
  return core.ioapics.add(window, gsi_base);
}

NTSTATUS HalRegisterSourceOverride(InterruptCore& core, const SourceOverride& override_entry) {
  SpinLockGuard config(core.config_lock, core.platform);
  return core.overrides.add(override_entry);
}

// EOI-broadcast suppression only when every I/O APIC can take a directed EOI: with it
// on, the local APIC no longer tells the I/O APICs a level interrupt is done.
NTSTATUS HalInitializeProcessor(InterruptCore& core, unsigned cpu) {
  if (cpu >= core.cpu_count) return STATUS_INVALID_PARAMETER_1;
  LocalApicRegisters& lapic = core.platform.local_apic(cpu);
  bool suppress = false;
  if (core.directed_eoi_requested) {
    IrqSpinLockGuard io(core.ioapic_lock, core.platform);
    suppress = core.ioapics.count() > 0 && core.ioapics.all_have_eoi_register() &&
               EoiBroadcastSuppressionSupported::test(lapic.read(kVersion));
  }
  lapic.write(kSvr, SvrVector::make(kSpuriousVector) | SvrSoftwareEnable::mask |
                        (suppress ? SvrEoiBroadcastSuppression::mask : 0u));
  lapic.write(kTpr, 0);
  core.cpus[cpu].eoi_broadcast_suppressed = suppress;
  core.cpus[cpu].initialized = true;
  return STATUS_SUCCESS;
}

}  // namespace irqshape::kern
