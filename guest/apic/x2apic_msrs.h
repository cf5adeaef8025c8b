// Which local APIC registers exist as x2APIC MSRs (Intel SDM vol. 3A, table 10-6
// "Local APIC Register Address Map Supported by x2APIC"), by xAPIC offset. Reading or
// writing any other MSR in 0x800-0x8FF raises #GP; kern's X2ApicRegisters wants such an
// access reported as a failed read_msr/write_msr instead (kern/local_apic_access.h).
// Differences from the xAPIC page: no DFR (0x0E0) and no ICR high (0x310) - the ICR is
// one 64-bit MSR at 0x830 -; APR (0x090) and RRD (0x0C0) are gone; SELF IPI (0x3F0) is
// new; EOI and SELF IPI are write-only, ID, version, PPR, LDR, ISR/TMR/IRR and the
// current count read-only.
#pragma once

#include <cstdint>

#include "hw/lapic_regs.h"

namespace guest::apic {

[[nodiscard]] constexpr bool x2apic_readable(std::uint32_t offset) {
  using namespace irqshape::hw::lapic;
  constexpr std::uint32_t kBankStride = 0x10;
  constexpr std::uint32_t kLastBankRegister = kIrr0 + 7 * kBankStride;  // IRR7
  switch (offset) {
    case kId: case kVersion: case kTpr: case kPpr: case kLdr: case kSvr: case kEsr: case kLvtCmci:
    case kIcrLow: case kLvtTimer: case kLvtThermal: case kLvtPerf: case kLvtLint0: case kLvtLint1:
    case kLvtError: case kTimerInitial: case kTimerCurrent: case kTimerDivide:
      return true;
    default:  // ISR0-7, TMR0-7 and IRR0-7: 0x100-0x270, one every 0x10
      return offset >= kIsr0 && offset <= kLastBankRegister && offset % kBankStride == 0;
  }
}

[[nodiscard]] constexpr bool x2apic_writable(std::uint32_t offset) {
  using namespace irqshape::hw::lapic;
  switch (offset) {
    case kTpr: case kEoi: case kSvr: case kEsr: case kLvtCmci: case kIcrLow: case kLvtTimer: case kLvtThermal:
    case kLvtPerf: case kLvtLint0: case kLvtLint1: case kLvtError: case kTimerInitial: case kTimerDivide:
    case kSelfIpi:
      return true;
    default:
      return false;
  }
}

// The table against the SDM, entry by entry where the two modes differ.
namespace x2apic_table_checks {
using namespace irqshape::hw::lapic;
static_assert(x2apic_readable(kId) && !x2apic_writable(kId), "x2APIC ID is read-only");
static_assert(x2apic_writable(kEoi) && !x2apic_readable(kEoi), "EOI is write-only");
static_assert(x2apic_writable(kSelfIpi) && !x2apic_readable(kSelfIpi), "SELF IPI is write-only");
static_assert(x2apic_readable(kIcrLow) && x2apic_writable(kIcrLow), "the ICR is MSR 0x830");
static_assert(!x2apic_readable(kIcrHigh) && !x2apic_writable(kIcrHigh), "no ICR high (0x831) in x2APIC mode");
static_assert(!x2apic_readable(kDfr) && !x2apic_writable(kDfr), "no DFR (0x80E) in x2APIC mode");
static_assert(!x2apic_readable(kApr) && !x2apic_readable(kRrd), "APR and RRD do not exist");
static_assert(!x2apic_writable(kLdr), "the x2APIC LDR is read-only");
static_assert(x2apic_readable(kIsr0 + 0x70) && x2apic_readable(kIrr0 + 0x70) && !x2apic_readable(kIsr0 + 0x08),
              "ISR/TMR/IRR: eight registers each, 0x10 apart");
static_assert(!x2apic_readable(kEsr + 0x10) && !x2apic_readable(kLvtCmci - 0x10), "0x290-0x2E0 are reserved");
static_assert(!x2apic_writable(kTimerCurrent), "the current count is read-only");
}  // namespace x2apic_table_checks

}  // namespace guest::apic
