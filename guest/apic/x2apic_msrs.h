// Which local APIC registers exist as x2APIC MSRs (Intel SDM vol. 3A, table 10-6
// "Local APIC Register Address Map Supported by x2APIC"), by xAPIC offset. Reading or
// writing any other MSR in 0x800-0x8FF raises #GP; kern's X2ApicRegisters wants such an
// access reported as a failed read_msr/write_msr instead (kern/local_apic_access.h).
// Differences from the xAPIC page: no DFR (0x0E0) and no ICR high (0x310) - the ICR is
// one 64-bit MSR at 0x830 -; APR (0x090) and RRD (0x0C0) are gone; SELF IPI (0x3F0) is
// new; EOI and SELF IPI are write-only, ID, version, PPR, LDR, ISR/TMR/IRR and the
// current count read-only.
//
// Three LVT registers of the table exist only where the processor implements them, and
// their MSRs raise #GP where it does not. The version register's Max LVT Entry (bits
// 23:16) is the number of LVT entries minus 1 (SDM vol. 3A, 10.4.8 and figure 10-8): 4
// entries (timer, LINT0, LINT1, error; max 3), 5 with the performance counter (max 4),
// 6 with the thermal sensor (max 5), 7 with CMCI (max 6). CMCI is also announced by
// IA32_MCG_CAP[10] (MCG_CMCI_P, SDM vol. 3B, 15.5.1); the port asks for both.
#pragma once

#include <cstdint>

#include "hw/lapic_regs.h"

namespace guest::apic {

// Which of the optional LVT registers this local APIC implements.
struct OptionalLvts {
  bool performance = false, thermal = false, cmci = false;

  // From the local APIC version register and IA32_MCG_CAP[10] (false when the processor
  // has no IA32_MCG_CAP: CPUID.01H:EDX.MCA clear).
  [[nodiscard]] static constexpr OptionalLvts from(std::uint32_t version_register, bool mcg_cap_cmci) {
    const auto max_entry = irqshape::hw::lapic::MaxLvtEntry::get(version_register);
    return {max_entry >= 4, max_entry >= 5, max_entry >= 6 && mcg_cap_cmci};
  }
  // Whether `offset` is an optional LVT register this APIC lacks.
  [[nodiscard]] constexpr bool lacks(std::uint32_t offset) const {
    using namespace irqshape::hw::lapic;
    return (offset == kLvtPerf && !performance) || (offset == kLvtThermal && !thermal) || (offset == kLvtCmci && !cmci);
  }
};
inline constexpr OptionalLvts kEveryLvt{true, true, true};

[[nodiscard]] constexpr bool x2apic_readable(std::uint32_t offset, OptionalLvts lvts) {
  using namespace irqshape::hw::lapic;
  constexpr std::uint32_t kBankStride = 0x10;
  constexpr std::uint32_t kLastBankRegister = kIrr0 + 7 * kBankStride;  // IRR7
  if (lvts.lacks(offset)) return false;
  switch (offset) {
    case kId: case kVersion: case kTpr: case kPpr: case kLdr: case kSvr: case kEsr: case kLvtCmci:
    case kIcrLow: case kLvtTimer: case kLvtThermal: case kLvtPerf: case kLvtLint0: case kLvtLint1:
    case kLvtError: case kTimerInitial: case kTimerCurrent: case kTimerDivide:
      return true;
    default:  // ISR0-7, TMR0-7 and IRR0-7: 0x100-0x270, one every 0x10
      return offset >= kIsr0 && offset <= kLastBankRegister && offset % kBankStride == 0;
  }
}

[[nodiscard]] constexpr bool x2apic_writable(std::uint32_t offset, OptionalLvts lvts) {
  using namespace irqshape::hw::lapic;
  if (lvts.lacks(offset)) return false;
  switch (offset) {
    case kTpr: case kEoi: case kSvr: case kEsr: case kLvtCmci: case kIcrLow: case kLvtTimer: case kLvtThermal:
    case kLvtPerf: case kLvtLint0: case kLvtLint1: case kLvtError: case kTimerInitial: case kTimerDivide:
    case kSelfIpi:
      return true;
    default:
      return false;
  }
}

// The table against the SDM, entry by entry where the two modes differ (every optional
// LVT present; tests/guest/x2apic_msrs_test.cc checks the optional ones).
namespace x2apic_table_checks {
using namespace irqshape::hw::lapic;
constexpr bool readable(std::uint32_t offset) { return x2apic_readable(offset, kEveryLvt); }
constexpr bool writable(std::uint32_t offset) { return x2apic_writable(offset, kEveryLvt); }
static_assert(readable(kId) && !writable(kId), "x2APIC ID is read-only");
static_assert(writable(kEoi) && !readable(kEoi), "EOI is write-only");
static_assert(writable(kSelfIpi) && !readable(kSelfIpi), "SELF IPI is write-only");
static_assert(readable(kIcrLow) && writable(kIcrLow), "the ICR is MSR 0x830");
static_assert(!readable(kIcrHigh) && !writable(kIcrHigh), "no ICR high (0x831) in x2APIC mode");
static_assert(!readable(kDfr) && !writable(kDfr), "no DFR (0x80E) in x2APIC mode");
static_assert(!readable(kApr) && !readable(kRrd), "APR and RRD do not exist");
static_assert(!writable(kLdr), "the x2APIC LDR is read-only");
static_assert(readable(kIsr0 + 0x70) && readable(kIrr0 + 0x70) && !readable(kIsr0 + 0x08),
              "ISR/TMR/IRR: eight registers each, 0x10 apart");
static_assert(!readable(kEsr + 0x10) && !readable(kLvtCmci - 0x10), "0x290-0x2E0 are reserved");
static_assert(!writable(kTimerCurrent), "the current count is read-only");
}  // namespace x2apic_table_checks

}  // namespace guest::apic
