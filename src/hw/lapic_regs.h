// Local APIC register layout: Intel SDM vol. 3A, chapter 10 (12 in recent editions),
// table 10-1 (xAPIC MMIO offsets) and table 10-6 (x2APIC MSRs). One definition per
// register; the model (hw/lapic.h) and the guest kernel both use these.
#pragma once

#include <cstdint>

#include "base/bits.h"

namespace irqshape::hw::lapic {

inline constexpr std::uint64_t kDefaultBase = 0xFEE0'0000;

// xAPIC MMIO offsets; the x2APIC MSR for offset o is 0x800 + (o >> 4).
enum Reg : std::uint32_t {
  kId = 0x020,
  kVersion = 0x030,
  kTpr = 0x080,
  kApr = 0x090,
  kPpr = 0x0A0,
  kEoi = 0x0B0,
  kRrd = 0x0C0,
  kLdr = 0x0D0,
  kDfr = 0x0E0,   // xAPIC only
  kSvr = 0x0F0,
  kIsr0 = 0x100,  // ISR0..7 at 0x100..0x170
  kTmr0 = 0x180,  // TMR0..7 at 0x180..0x1F0
  kIrr0 = 0x200,  // IRR0..7 at 0x200..0x270
  kEsr = 0x280,
  kLvtCmci = 0x2F0,
  kIcrLow = 0x300,
  kIcrHigh = 0x310,  // xAPIC only: x2APIC's ICR is one 64-bit MSR at 0x830
  kLvtTimer = 0x320,
  kLvtThermal = 0x330,
  kLvtPerf = 0x340,
  kLvtLint0 = 0x350,
  kLvtLint1 = 0x360,
  kLvtError = 0x370,
  kTimerInitial = 0x380,
  kTimerCurrent = 0x390,
  kTimerDivide = 0x3E0,
  kSelfIpi = 0x3F0,  // x2APIC only
};

inline constexpr std::uint32_t kX2ApicMsrBase = 0x800;
[[nodiscard]] constexpr std::uint32_t x2apic_msr(std::uint32_t offset) { return kX2ApicMsrBase + (offset >> 4); }
inline constexpr std::uint32_t kMsrApicBase = 0x1B;  // IA32_APIC_BASE

// IA32_APIC_BASE MSR.
namespace apic_base {
using Bsp = Bit<8, std::uint64_t>;
using X2ApicEnable = Bit<10, std::uint64_t>;  // EXTD
using GlobalEnable = Bit<11, std::uint64_t>;  // EN
using Base = BitField<12, 40, std::uint64_t>;
}  // namespace apic_base

using XApicId = BitField<24, 8>;  // x2APIC: the whole 32-bit register is the id

using VersionField = BitField<0, 8>;
using MaxLvtEntry = BitField<16, 8>;
using EoiBroadcastSuppressionSupported = Bit<24>;
inline constexpr std::uint8_t kIntegratedApicVersion = 0x14;

using TprSubclass = BitField<0, 4>;
using TprClass = BitField<4, 4>;

using SvrVector = BitField<0, 8>;
using SvrSoftwareEnable = Bit<8>;
using SvrFocusCheckDisable = Bit<9>;
using SvrEoiBroadcastSuppression = Bit<12>;

// Logical destination: xAPIC LDR bits 31:24 with DFR model flat (0xF) or cluster (0x0);
// x2APIC LDR is read-only, cluster id in 31:16 and a one-hot member bit in 15:0.
using XApicLogicalId = BitField<24, 8>;
using DfrModel = BitField<28, 4>;
inline constexpr std::uint32_t kDfrFlat = 0xF;
inline constexpr std::uint32_t kDfrCluster = 0x0;
using X2ApicCluster = BitField<16, 16>;
using X2ApicClusterMember = BitField<0, 16>;
[[nodiscard]] constexpr std::uint32_t x2apic_ldr(std::uint32_t apic_id) {
  return X2ApicCluster::make(apic_id >> 4) | X2ApicClusterMember::make(1u << (apic_id & 0xF));
}

// Error Status Register bits.
namespace esr {
using SendChecksum = Bit<0>;
using ReceiveChecksum = Bit<1>;
using SendAccept = Bit<2>;
using ReceiveAccept = Bit<3>;
using RedirectableIpi = Bit<4>;
using SendIllegalVector = Bit<5>;
using ReceiveIllegalVector = Bit<6>;
using IllegalRegisterAddress = Bit<7>;
}  // namespace esr

// Interrupt Command Register, as the 64-bit x2APIC MSR (xAPIC: low at 0x300, high at 0x310).
namespace icr {
using Vector = BitField<0, 8, std::uint64_t>;
using DeliveryMode = BitField<8, 3, std::uint64_t>;
using DestinationMode = Bit<11, std::uint64_t>;
using DeliveryStatus = Bit<12, std::uint64_t>;  // xAPIC only
using Level = Bit<14, std::uint64_t>;
using TriggerMode = Bit<15, std::uint64_t>;
using Shorthand = BitField<18, 2, std::uint64_t>;  // 0 none, 1 self, 2 all incl. self, 3 all excl. self
using XApicDestination = BitField<56, 8, std::uint64_t>;
using X2ApicDestination = BitField<32, 32, std::uint64_t>;
}  // namespace icr

// LVT entries share these bits; all are masked at reset.
using LvtVector = BitField<0, 8>;
using LvtMask = Bit<16>;
inline constexpr std::uint32_t kLvtResetValue = LvtMask::mask;

}  // namespace irqshape::hw::lapic
