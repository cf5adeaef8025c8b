// Starting the application processors (INIT-SIPI-SIPI) and bringing each to the same
// state as the BSP: its own GDT/TSS and stacks, the shared IDT, its local APIC enabled
// in the BSP's mode, GS pointing at its PerCpu, then the idle loop.
//
// CPU index <-> APIC id: index 0 is the BSP, then every other enabled processor of the
// MADT in table order (as Linux numbers them). The indexes are what the interrupt core
// calls CPUs; its CoreConfig::apic_ids is built from the CPUs that actually came up.
#pragma once

#include <cstdint>

#include "acpi/acpi.h"

namespace guest::smp {

struct StartResult {
  unsigned online = 1;      // including the BSP
  unsigned failed = 0;      // listed in the MADT but never reported in
  std::uint64_t elapsed_ns = 0;
};

// BSP only, after the BSP's own PerCpu, descriptors and local APIC are set up.
StartResult start_application_processors(const acpi::Platform& platform);

// The BSP's own per-CPU setup (index 0): descriptors, IDT, stacks bookkeeping.
void init_boot_processor();

[[nodiscard]] unsigned online_cpus();

}  // namespace guest::smp
