// I/O APIC register layout: Intel 82093AA datasheet (order 290566-001), section 3, and
// the I/OxAPIC (version 20h) EOI register found in later chipsets. One definition per
// register; the model (hw/ioapic.h) and the guest kernel's HAL both use these.
#pragma once

#include <cstdint>

#include "base/bits.h"

namespace irqshape::hw::ioapic {

// Memory-mapped registers (byte offsets from the I/O APIC base, default 0xFEC00000).
inline constexpr std::uint32_t kIoRegSel = 0x00;  // IOREGSEL: bits 7:0 select the register
inline constexpr std::uint32_t kIoWin = 0x10;     // IOWIN: data of the selected register
inline constexpr std::uint32_t kEoi = 0x40;       // EOI (version >= 0x20): bits 7:0 vector
inline constexpr std::uint32_t kMmioSize = 0x1000;

using IoRegSelAddress = BitField<0, 8>;

// Indirect registers (IOREGSEL values).
inline constexpr std::uint8_t kRegId = 0x00;
inline constexpr std::uint8_t kRegVersion = 0x01;
inline constexpr std::uint8_t kRegArbitration = 0x02;
inline constexpr std::uint8_t kRegRedirectionBase = 0x10;  // entry n: 0x10+2n (low), 0x11+2n (high)

// IOREGSEL selects with bits 7:0 only and the table starts at 0x10, so registers
// 0x10-0xFF hold at most 120 entries, whatever the 8-bit MRE field could claim (up to
// 256). An entry n >= 120 would be selected as (0x10 + 2n) mod 256: the ID, version and
// arbitration registers or a lower entry. Every pin count is capped at this.
inline constexpr unsigned kMaxRedirectionEntries = (IoRegSelAddress::max + 1 - kRegRedirectionBase) / 2;
static_assert(kMaxRedirectionEntries == 120);

// Register selectors of entry `pin`; only defined for pin < kMaxRedirectionEntries.
[[nodiscard]] constexpr std::uint8_t redirection_low(unsigned pin) {
  return static_cast<std::uint8_t>(kRegRedirectionBase + 2 * pin);
}
[[nodiscard]] constexpr std::uint8_t redirection_high(unsigned pin) {
  return static_cast<std::uint8_t>(kRegRedirectionBase + 2 * pin + 1);
}
static_assert(redirection_high(kMaxRedirectionEntries - 1) == IoRegSelAddress::max,
              "the last addressable entry ends at IOREGSEL 0xFF");

// IOAPICID (RW) and IOAPICARB (RO).
using IdField = BitField<24, 4>;
using ArbitrationIdField = BitField<24, 4>;

// IOAPICVER (RO).
using VersionField = BitField<0, 8>;
using PinAssertionSupported = Bit<15>;  // PRQ
using MaxRedirectionEntry = BitField<16, 8>;
inline constexpr std::uint8_t kVersion82093AA = 0x11;
inline constexpr std::uint8_t kVersionIoxApic = 0x20;  // adds the EOI register

// Redirection table entry, 64 bits (datasheet 3.2.4).
namespace rte {
using Vector = BitField<0, 8, std::uint64_t>;
using DeliveryMode = BitField<8, 3, std::uint64_t>;
using DestinationMode = Bit<11, std::uint64_t>;   // 0 physical, 1 logical
using DeliveryStatus = Bit<12, std::uint64_t>;    // RO: 1 = send pending
using Polarity = Bit<13, std::uint64_t>;          // 0 active high, 1 active low
using RemoteIrr = Bit<14, std::uint64_t>;         // RO: level interrupt accepted, awaiting EOI
using TriggerMode = Bit<15, std::uint64_t>;       // 0 edge, 1 level
using Mask = Bit<16, std::uint64_t>;
// Destination id bits 14:8 in the Extended Destination ID scheme KVM and Linux use to
// reach APIC ids up to 32767 without interrupt remapping; reserved on a plain 82093AA.
using ExtendedDestination = BitField<49, 7, std::uint64_t>;
using Destination = BitField<56, 8, std::uint64_t>;

inline constexpr std::uint64_t kReadOnlyMask = DeliveryStatus::mask | RemoteIrr::mask;
inline constexpr std::uint64_t kDefinedMask =
    fields_mask<Vector, DeliveryMode, DestinationMode, DeliveryStatus, Polarity, RemoteIrr,
                TriggerMode, Mask, Destination>;
inline constexpr std::uint64_t kResetValue = Mask::mask;  // every entry masked at reset
}  // namespace rte

}  // namespace irqshape::hw::ioapic
