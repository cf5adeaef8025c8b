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
inline constexpr std::uint32_t kTprDefined = fields_mask<TprSubclass, TprClass>;  // 31:8 reserved

using SvrVector = BitField<0, 8>;
using SvrSoftwareEnable = Bit<8>;
using SvrFocusCheckDisable = Bit<9>;
using SvrEoiBroadcastSuppression = Bit<12>;
// Bits 11:10 and 31:13 are reserved (SDM figure 10-23; bit 12 is defined because the
// version register advertises EOI-broadcast suppression).
inline constexpr std::uint32_t kSvrDefined =
    fields_mask<SvrVector, SvrSoftwareEnable, SvrFocusCheckDisable, SvrEoiBroadcastSuppression>;

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
using DeliveryStatus = Bit<12, std::uint64_t>;  // xAPIC only (read-only)
using Level = Bit<14, std::uint64_t>;
using TriggerMode = Bit<15, std::uint64_t>;
using Shorthand = BitField<18, 2, std::uint64_t>;  // 0 none, 1 self, 2 all incl. self, 3 all excl. self
using XApicDestination = BitField<56, 8, std::uint64_t>;
using X2ApicDestination = BitField<32, 32, std::uint64_t>;
// The command bits software sets (both modes); bits 13, 17:16 and 31:20 are reserved.
inline constexpr std::uint64_t kCommandWritable =
    fields_mask<Vector, DeliveryMode, DestinationMode, Level, TriggerMode, Shorthand>;
// What a WRMSR of the x2APIC ICR may carry without #GP (SDM figure 10-28): the command
// bits, the 32-bit destination and bit 12, which the x2APIC ICR does not have but which
// WRMSR ignores rather than faults on (the figure's note; KVM checks the same set).
// Table 10-3's invalid delivery-mode/shorthand combinations are not reserved bits.
inline constexpr std::uint64_t kX2ApicWriteAllowed =
    kCommandWritable | DeliveryStatus::mask | X2ApicDestination::mask;
}  // namespace icr

// Local vector table (SDM figure 10-8). Every entry has a vector, the read-only delivery
// status and the mask; the other fields exist only in some entries, and where a field is
// absent its bits are reserved. All entries are masked at reset.
using LvtVector = BitField<0, 8>;
using LvtDeliveryMode = BitField<8, 3>;  // not in the timer and error entries
using LvtDeliveryStatus = Bit<12>;       // read-only
using LvtPolarity = Bit<13>;             // LINT0/LINT1 only
using LvtRemoteIrr = Bit<14>;            // LINT0/LINT1 only, read-only
using LvtTriggerMode = Bit<15>;          // LINT0/LINT1 only
using LvtMask = Bit<16>;
using LvtTimerMode = BitField<17, 2>;  // timer only: 00 one-shot, 01 periodic, 10 TSC-deadline
inline constexpr std::uint32_t kLvtResetValue = LvtMask::mask;
inline constexpr std::uint32_t kLvtReadOnly = LvtDeliveryStatus::mask | LvtRemoteIrr::mask;
inline constexpr std::uint32_t kLvtTimerDefined =
    fields_mask<LvtVector, LvtDeliveryStatus, LvtMask, LvtTimerMode>;
inline constexpr std::uint32_t kLvtLintDefined =
    fields_mask<LvtVector, LvtDeliveryMode, LvtDeliveryStatus, LvtPolarity, LvtRemoteIrr,
                LvtTriggerMode, LvtMask>;
inline constexpr std::uint32_t kLvtErrorDefined =
    fields_mask<LvtVector, LvtDeliveryStatus, LvtMask>;
// Thermal monitor, performance counter and CMCI.
inline constexpr std::uint32_t kLvtEventDefined =
    fields_mask<LvtVector, LvtDeliveryMode, LvtDeliveryStatus, LvtMask>;

// Defined bits of the LVT register at `offset`, or 0 if it is no LVT register.
[[nodiscard]] constexpr std::uint32_t lvt_defined(std::uint32_t offset) {
  switch (offset) {
    case kLvtTimer: return kLvtTimerDefined;
    case kLvtLint0: case kLvtLint1: return kLvtLintDefined;
    case kLvtError: return kLvtErrorDefined;
    case kLvtThermal: case kLvtPerf: case kLvtCmci: return kLvtEventDefined;
    default: return 0;
  }
}

// Divide configuration: the divide value is bits 0, 1 and 3; bit 2 is 0 and 31:4 are
// reserved (SDM figure 10-10).
using TimerDivideLow = BitField<0, 2>;
using TimerDivideHigh = Bit<3>;
inline constexpr std::uint32_t kTimerDivideDefined = fields_mask<TimerDivideLow, TimerDivideHigh>;

using SelfIpiVector = BitField<0, 8>;  // x2APIC SELF IPI; 31:8 reserved

// Bits a WRMSR may set in each writable x2APIC register (SDM table 10-6 and the figure
// of each register): a non-zero write to any other bit raises #GP (10.12.1.3), so does
// one to bits 63:32 of every register but the ICR, and EOI and ESR take only zero.
// Registers that are not writable in x2APIC mode fault on any write and return 0.
[[nodiscard]] constexpr std::uint64_t x2apic_write_allowed(std::uint32_t offset) {
  switch (offset) {
    case kTpr: return kTprDefined;
    case kEoi: case kEsr: return 0;
    case kSvr: return kSvrDefined;
    case kIcrLow: return icr::kX2ApicWriteAllowed;
    case kTimerInitial: return 0xFFFF'FFFF;
    case kTimerDivide: return kTimerDivideDefined;
    case kSelfIpi: return SelfIpiVector::mask;
    default: return lvt_defined(offset);
  }
}

}  // namespace irqshape::hw::lapic
