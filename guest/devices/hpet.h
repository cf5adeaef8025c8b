// The HPET (IA-PC HPET specification 1.0a) used as the kernel's clock: only its
// free-running main counter, no timers, no interrupts. Legacy replacement routing
// (GEN_CONF.LEG_RT_CNF) stays off, so the PIT and the RTC keep their ISA IRQs 0 and 8.
#pragma once

#include <cstdint>

namespace guest::hpet {

// Enables the main counter of the HPET at `base` (from the ACPI HPET table). False if
// the registers do not look like an HPET or its main counter is only 32 bits wide
// (GCAP_ID.COUNT_SIZE_CAP clear: it would wrap unseen within minutes).
bool init(std::uint64_t base);
[[nodiscard]] std::uint64_t nanoseconds();  // since init()
[[nodiscard]] std::uint64_t period_femtoseconds();

}  // namespace guest::hpet
