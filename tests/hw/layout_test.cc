// Register layouts checked against the datasheets, one literal per documented field:
// 82093AA datasheet section 3.2 (I/O APIC), Intel SDM vol. 3A chapter 10 (local APIC,
// MSI). If a field definition drifts, the number here names the page to re-read.
#include <gtest/gtest.h>

#include "hw/ioapic_regs.h"
#include "hw/lapic_regs.h"
#include "hw/msi.h"

namespace irqshape::hw {
namespace {

template <typename F>
void expect_field(unsigned lo, unsigned width) {
  EXPECT_EQ(F::lo, lo);
  EXPECT_EQ(F::width, width);
}

TEST(IoApicLayout, MemoryMappedRegisters) {
  EXPECT_EQ(ioapic::kIoRegSel, 0x00u);
  EXPECT_EQ(ioapic::kIoWin, 0x10u);
  EXPECT_EQ(ioapic::kEoi, 0x40u);
  expect_field<ioapic::IoRegSelAddress>(0, 8);
}

TEST(IoApicLayout, IdentificationVersionArbitration) {
  EXPECT_EQ(ioapic::kRegId, 0x00);
  EXPECT_EQ(ioapic::kRegVersion, 0x01);
  EXPECT_EQ(ioapic::kRegArbitration, 0x02);
  expect_field<ioapic::IdField>(24, 4);
  expect_field<ioapic::ArbitrationIdField>(24, 4);
  expect_field<ioapic::VersionField>(0, 8);
  expect_field<ioapic::MaxRedirectionEntry>(16, 8);
  expect_field<ioapic::PinAssertionSupported>(15, 1);
  EXPECT_EQ(ioapic::kVersion82093AA, 0x11);
  EXPECT_EQ(ioapic::kVersionIoxApic, 0x20);
}

TEST(IoApicLayout, RedirectionTableEntry) {
  EXPECT_EQ(ioapic::redirection_low(0), 0x10);
  EXPECT_EQ(ioapic::redirection_high(0), 0x11);
  EXPECT_EQ(ioapic::redirection_low(23), 0x3E);
  EXPECT_EQ(ioapic::redirection_high(23), 0x3F);
  namespace rte = ioapic::rte;
  expect_field<rte::Vector>(0, 8);
  expect_field<rte::DeliveryMode>(8, 3);
  expect_field<rte::DestinationMode>(11, 1);
  expect_field<rte::DeliveryStatus>(12, 1);
  expect_field<rte::Polarity>(13, 1);
  expect_field<rte::RemoteIrr>(14, 1);
  expect_field<rte::TriggerMode>(15, 1);
  expect_field<rte::Mask>(16, 1);
  expect_field<rte::ExtendedDestination>(49, 7);
  expect_field<rte::Destination>(56, 8);
  EXPECT_EQ(rte::kResetValue, 0x0000'0000'0001'0000ull);
  // bits 55:17 are reserved on the 82093AA
  EXPECT_EQ(rte::kDefinedMask, 0xFF00'0000'0001'FFFFull);
}

TEST(LocalApicLayout, RegisterOffsets) {
  using namespace lapic;
  EXPECT_EQ(kId, 0x020u);
  EXPECT_EQ(kVersion, 0x030u);
  EXPECT_EQ(kTpr, 0x080u);
  EXPECT_EQ(kPpr, 0x0A0u);
  EXPECT_EQ(kEoi, 0x0B0u);
  EXPECT_EQ(kLdr, 0x0D0u);
  EXPECT_EQ(kDfr, 0x0E0u);
  EXPECT_EQ(kSvr, 0x0F0u);
  EXPECT_EQ(kIsr0, 0x100u);
  EXPECT_EQ(kTmr0, 0x180u);
  EXPECT_EQ(kIrr0, 0x200u);
  EXPECT_EQ(kEsr, 0x280u);
  EXPECT_EQ(kIcrLow, 0x300u);
  EXPECT_EQ(kIcrHigh, 0x310u);
  EXPECT_EQ(kLvtTimer, 0x320u);
  EXPECT_EQ(kLvtLint0, 0x350u);
  EXPECT_EQ(kLvtError, 0x370u);
  EXPECT_EQ(kTimerDivide, 0x3E0u);
  // x2APIC MSRs (SDM table 10-6)
  EXPECT_EQ(x2apic_msr(kId), 0x802u);
  EXPECT_EQ(x2apic_msr(kTpr), 0x808u);
  EXPECT_EQ(x2apic_msr(kEoi), 0x80Bu);
  EXPECT_EQ(x2apic_msr(kSvr), 0x80Fu);
  EXPECT_EQ(x2apic_msr(kIrr0), 0x820u);
  EXPECT_EQ(x2apic_msr(kIcrLow), 0x830u);
  EXPECT_EQ(x2apic_msr(kSelfIpi), 0x83Fu);
  EXPECT_EQ(kMsrApicBase, 0x1Bu);
}

TEST(LocalApicLayout, Fields) {
  using namespace lapic;
  expect_field<XApicId>(24, 8);
  expect_field<TprClass>(4, 4);
  expect_field<SvrSoftwareEnable>(8, 1);
  expect_field<SvrFocusCheckDisable>(9, 1);
  expect_field<SvrEoiBroadcastSuppression>(12, 1);
  expect_field<EoiBroadcastSuppressionSupported>(24, 1);
  expect_field<DfrModel>(28, 4);
  expect_field<XApicLogicalId>(24, 8);
  expect_field<esr::ReceiveIllegalVector>(6, 1);
  expect_field<esr::SendIllegalVector>(5, 1);
  expect_field<esr::IllegalRegisterAddress>(7, 1);
  expect_field<icr::DeliveryMode>(8, 3);
  expect_field<icr::DestinationMode>(11, 1);
  expect_field<icr::Level>(14, 1);
  expect_field<icr::TriggerMode>(15, 1);
  expect_field<icr::Shorthand>(18, 2);
  expect_field<icr::XApicDestination>(56, 8);
  expect_field<icr::X2ApicDestination>(32, 32);
  expect_field<apic_base::X2ApicEnable>(10, 1);
  expect_field<apic_base::GlobalEnable>(11, 1);
  EXPECT_EQ(x2apic_ldr(0x23), 0x0002'0008u);  // cluster 2, member bit 3 (SDM 10.12.10.2)
}

// Reserved bits per register (SDM figures 10-8, 10-10, 10-23, 10-28 and table 10-6): a
// WRMSR that sets any bit outside these masks raises #GP in x2APIC mode.
TEST(LocalApicLayout, DefinedBits) {
  using namespace lapic;
  expect_field<LvtVector>(0, 8);
  expect_field<LvtDeliveryMode>(8, 3);
  expect_field<LvtDeliveryStatus>(12, 1);
  expect_field<LvtPolarity>(13, 1);
  expect_field<LvtRemoteIrr>(14, 1);
  expect_field<LvtTriggerMode>(15, 1);
  expect_field<LvtMask>(16, 1);
  expect_field<LvtTimerMode>(17, 2);
  expect_field<SelfIpiVector>(0, 8);
  EXPECT_EQ(kTprDefined, 0x0000'00FFu);
  EXPECT_EQ(kSvrDefined, 0x0000'13FFu);
  EXPECT_EQ(kTimerDivideDefined, 0x0000'000Bu);
  EXPECT_EQ(lvt_defined(kLvtTimer), 0x0007'10FFu);
  EXPECT_EQ(lvt_defined(kLvtLint0), 0x0001'F7FFu);
  EXPECT_EQ(lvt_defined(kLvtLint1), 0x0001'F7FFu);
  EXPECT_EQ(lvt_defined(kLvtError), 0x0001'10FFu);
  EXPECT_EQ(lvt_defined(kLvtThermal), 0x0001'17FFu);
  EXPECT_EQ(lvt_defined(kLvtPerf), 0x0001'17FFu);
  EXPECT_EQ(lvt_defined(kLvtCmci), 0x0001'17FFu);
  EXPECT_EQ(lvt_defined(kTpr), 0u);
  EXPECT_EQ(icr::kCommandWritable, 0x000C'CFFFu);
  EXPECT_EQ(icr::kX2ApicWriteAllowed, 0xFFFF'FFFF'000C'DFFFull);  // bit 12 ignored, not #GP
  EXPECT_EQ(x2apic_write_allowed(kEsr), 0u);
  EXPECT_EQ(x2apic_write_allowed(kEoi), 0u);
  EXPECT_EQ(x2apic_write_allowed(kTimerInitial), 0xFFFF'FFFFu);
  EXPECT_EQ(x2apic_write_allowed(kSelfIpi), 0xFFu);
  EXPECT_EQ(x2apic_write_allowed(kId), 0u);  // read-only: any write faults
}

TEST(MsiLayout, AddressAndData) {
  using namespace msi;
  expect_field<AddressFixed>(20, 12);
  expect_field<AddressDestination>(12, 8);
  expect_field<AddressExtendedDestination>(5, 7);
  expect_field<AddressRedirectionHint>(3, 1);
  expect_field<AddressDestinationMode>(2, 1);
  expect_field<DataVector>(0, 8);
  expect_field<DataDeliveryMode>(8, 3);
  expect_field<DataLevel>(14, 1);
  expect_field<DataTriggerMode>(15, 1);
}

}  // namespace
}  // namespace irqshape::hw
