// Which MADT processors the BSP tries to start, as a pure function of the table's APIC
// id, the BSP's, the APIC mode and the CPU indexes left: the part of AP start-up that
// needs no hardware, so it is unit-tested hosted (tests/guest/acpi_test.cc feeds it the
// ids a crafted MADT lists).
#pragma once

#include <cstdint>

namespace guest::smp {

// xAPIC physical destinations are 8 bits and 0xFF is the broadcast: a processor with a
// larger id cannot be addressed alone. x2APIC destinations are 32 bits and 0xFFFFFFFF is
// the broadcast (SDM vol. 3A, 10.12.9): an INIT sent there would reset every CPU.
inline constexpr std::uint32_t kXApicBroadcast = 0xFF;
inline constexpr std::uint32_t kX2ApicBroadcast = 0xFFFF'FFFF;

enum class StartDecision : std::uint8_t {
  Start,           // INIT-SIPI-SIPI, with the next free CPU index
  IsBsp,           // the BSP's own entry: already running, not counted
  NoFreeIndex,     // every index is taken (GUEST_MAX_CPUS), or a failed AP could not be
                   // parked and may still use the next one: counted failed
  NotAddressable,  // xAPIC mode and id >= 0xFF, or the x2APIC broadcast id: counted
                   // failed, with a message
};

[[nodiscard]] constexpr StartDecision decide_start(std::uint32_t apic_id, std::uint32_t bsp_id, bool xapic_mode,
                                                   unsigned next_index, unsigned max_cpus, bool index_stuck) {
  if (apic_id == bsp_id) return StartDecision::IsBsp;
  if (next_index >= max_cpus || index_stuck) return StartDecision::NoFreeIndex;
  if (xapic_mode ? apic_id >= kXApicBroadcast : apic_id == kX2ApicBroadcast) return StartDecision::NotAddressable;
  return StartDecision::Start;
}

}  // namespace guest::smp
