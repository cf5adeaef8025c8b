// The one InterruptCore of this kernel and what it is built from: the guest platform,
// the block pool, the I/O APICs and overrides from the MADT, and the CPUs that came up.
// Setup follows kern/interrupt_core.h: construct, HalRegisterIoApic per I/O APIC,
// HalRegisterSourceOverride per override, HalInitializeProcessor on each CPU (each CPU
// runs it itself: it programs that CPU's local APIC).
#pragma once

#include "acpi/acpi.h"
#include "kern/interrupts.h"
#include "kernel/pool.h"

namespace guest {

struct InterruptSystemInfo {
  unsigned ioapics = 0;
  unsigned ioapic_pins[acpi::kMaxIoApics] = {};
  std::uint8_t ioapic_versions[acpi::kMaxIoApics] = {};
  unsigned overrides = 0;
  bool eoi_broadcast_suppressed = false;  // directed EOI in effect (kern decides)
};

// BSP, after every AP is online. Panics if kern refuses the configuration.
void init_interrupt_system(const acpi::Platform& platform, unsigned cpus, InterruptSystemInfo& info);

// nullptr until init_interrupt_system has run (the interrupt entry checks).
[[nodiscard]] irqshape::kern::InterruptCore* interrupt_core();
[[nodiscard]] irqshape::kern::InterruptCore& core();
[[nodiscard]] FixedBlockPool& interrupt_pool();

}  // namespace guest
