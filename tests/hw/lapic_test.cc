#include "hw/lapic.h"

#include <gtest/gtest.h>

#include <vector>

namespace irqshape::hw {
namespace {

using namespace lapic;

struct RecordingPort final : LocalApicPort {
  void broadcast_eoi(std::uint8_t vector) override { eois.push_back(vector); }
  void send_ipi(std::uint32_t from, const InterruptMessage& m, unsigned shorthand) override {
    ipis.push_back({from, m, shorthand});
  }
  struct Ipi {
    std::uint32_t from;
    InterruptMessage message;
    unsigned shorthand;
  };
  std::vector<std::uint8_t> eois;
  std::vector<Ipi> ipis;
};

class LocalApicTest : public ::testing::Test {
 protected:
  void SetUp() override { apic.write32(kSvr, SvrSoftwareEnable::mask | 0xFF); }
  RecordingPort port;
  LocalApic apic{3, LocalApic::Mode::XApic, &port};
};

TEST_F(LocalApicTest, ResetValues) {
  LocalApic fresh{5};
  EXPECT_EQ(fresh.read32(kId), 0x0500'0000u);
  EXPECT_EQ(fresh.read32(kSvr), 0xFFu);  // software disabled, spurious vector FFh
  EXPECT_EQ(fresh.read32(kDfr), 0xFFFF'FFFFu);
  EXPECT_EQ(fresh.read32(kTpr), 0u);
  EXPECT_EQ(fresh.read32(kLvtLint0), kLvtResetValue);
  EXPECT_EQ(fresh.read32(kLvtTimer), kLvtResetValue);
  EXPECT_EQ(VersionField::get(fresh.read32(kVersion)), kIntegratedApicVersion);
}

TEST_F(LocalApicTest, VectorsBelow32AreRefused) {
  EXPECT_EQ(apic.accept(5, TriggerMode::Edge), LocalApic::Accept::IllegalVector);
  EXPECT_EQ(apic.accept(20, TriggerMode::Edge), LocalApic::Accept::ReservedVector);
  EXPECT_EQ(apic.read32(kEsr), 0u);  // ESR shows errors only after a write latches them
  apic.write32(kEsr, 0);
  EXPECT_EQ(apic.read32(kEsr), esr::ReceiveIllegalVector::mask);
  apic.write32(kEsr, 0);
  EXPECT_EQ(apic.read32(kEsr), 0u);
  EXPECT_TRUE(apic.irr().empty());
}

TEST_F(LocalApicTest, HighestPriorityFirstAndInServiceBlocksItsClass) {
  apic.accept(0x41, TriggerMode::Edge);
  apic.accept(0x81, TriggerMode::Edge);
  apic.accept(0x35, TriggerMode::Edge);
  EXPECT_EQ(apic.pending_vector(), 0x81);
  EXPECT_EQ(apic.acknowledge(), 0x81);
  EXPECT_EQ(apic.ppr(), 0x80);
  EXPECT_EQ(apic.pending_vector(), -1);  // 0x41 is below the in-service class
  apic.accept(0x85, TriggerMode::Edge);  // same class as in service: still blocked
  EXPECT_EQ(apic.pending_vector(), -1);
  apic.accept(0x91, TriggerMode::Edge);  // higher class: nests
  EXPECT_EQ(apic.acknowledge(), 0x91);
  apic.write32(kEoi, 0);                 // EOI retires the highest in-service vector
  EXPECT_FALSE(apic.isr().test(0x91));
  EXPECT_TRUE(apic.isr().test(0x81));
  apic.write32(kEoi, 0);
  EXPECT_EQ(apic.acknowledge(), 0x85);
  apic.eoi();
  EXPECT_EQ(apic.acknowledge(), 0x41);
  apic.eoi();
  EXPECT_EQ(apic.acknowledge(), 0x35);
}

TEST_F(LocalApicTest, TaskPriorityMasksLowerClasses) {
  apic.write32(kTpr, 0x50);
  apic.accept(0x55, TriggerMode::Edge);
  EXPECT_EQ(apic.pending_vector(), -1);
  EXPECT_EQ(apic.acknowledge(), 0xFF);  // nothing deliverable: spurious vector
  apic.accept(0x61, TriggerMode::Edge);
  EXPECT_EQ(apic.pending_vector(), 0x61);
  apic.write32(kTpr, 0x4F);
  EXPECT_EQ(apic.read32(kPpr), 0x4Fu);
}

TEST_F(LocalApicTest, PprIsTheLargerOfTprAndInServiceClass) {
  apic.write32(kTpr, 0x32);
  apic.accept(0x51, TriggerMode::Edge);
  apic.acknowledge();
  EXPECT_EQ(apic.read32(kPpr), 0x50u);
  apic.write32(kTpr, 0x67);
  EXPECT_EQ(apic.read32(kPpr), 0x67u);
}

TEST_F(LocalApicTest, SecondInterruptOnAPendingVectorMerges) {
  EXPECT_EQ(apic.accept(0x41, TriggerMode::Edge), LocalApic::Accept::Accepted);
  EXPECT_EQ(apic.accept(0x41, TriggerMode::Edge), LocalApic::Accept::Merged);
  EXPECT_EQ(apic.merged_count(), 1u);
  apic.acknowledge();  // in service, not pending: a new one is accepted
  EXPECT_EQ(apic.accept(0x41, TriggerMode::Edge), LocalApic::Accept::Accepted);
}

TEST_F(LocalApicTest, LevelEoiBroadcastsUnlessSuppressed) {
  apic.accept(0x61, TriggerMode::Level);
  EXPECT_TRUE(apic.tmr().test(0x61));
  apic.acknowledge();
  apic.eoi();
  EXPECT_EQ(port.eois, std::vector<std::uint8_t>{0x61});

  apic.accept(0x62, TriggerMode::Edge);
  apic.acknowledge();
  apic.eoi();
  EXPECT_EQ(port.eois.size(), 1u);  // edge vectors do not broadcast

  apic.write32(kSvr, SvrSoftwareEnable::mask | SvrEoiBroadcastSuppression::mask | 0xFF);
  apic.accept(0x61, TriggerMode::Level);
  apic.acknowledge();
  apic.eoi();
  EXPECT_EQ(port.eois.size(), 1u);
}

TEST_F(LocalApicTest, SoftwareDisabledHoldsRequests) {
  apic.write32(kSvr, 0xEF);
  apic.accept(0x41, TriggerMode::Edge);
  EXPECT_EQ(apic.pending_vector(), -1);
  EXPECT_EQ(apic.acknowledge(), 0xEF);
  apic.write32(kSvr, SvrSoftwareEnable::mask | 0xEF);
  EXPECT_EQ(apic.pending_vector(), 0x41);
}

// SDM 10.4.7.2: software-disabling sets the mask of every LVT entry, and while disabled
// writes cannot clear a mask; the other fields are written. Enabling unmasks nothing.
TEST_F(LocalApicTest, SoftwareDisabledKeepsEveryLvtMasked) {
  const std::uint32_t lvts[] = {kLvtCmci, kLvtTimer, kLvtThermal, kLvtPerf, kLvtLint0, kLvtLint1, kLvtError};
  for (std::uint32_t r : lvts) apic.write32(r, 0x40);  // enabled: unmasked, vector 40h
  EXPECT_EQ(apic.read32(kLvtLint0), 0x40u);
  apic.write32(kSvr, 0xFF);  // software disable
  for (std::uint32_t r : lvts) EXPECT_EQ(apic.read32(r), LvtMask::mask | 0x40u) << std::hex << r;
  apic.write32(kLvtLint0, 0x0000'0030);  // an attempt to unmask
  EXPECT_EQ(apic.read32(kLvtLint0), 0x0001'0030u);
  apic.write32(kLvtLint1, 0x0000'0400);  // NMI delivery, unmasked
  EXPECT_EQ(apic.read32(kLvtLint1), 0x0001'0400u);
  apic.write32(kSvr, SvrSoftwareEnable::mask | 0xFF);
  EXPECT_EQ(apic.read32(kLvtLint0), 0x0001'0030u);  // still masked until software unmasks
  apic.write32(kLvtLint0, 0x0000'0030);
  EXPECT_EQ(apic.read32(kLvtLint0), 0x30u);
}

TEST(LocalApicX2Apic, SoftwareDisabledKeepsEveryLvtMasked) {
  LocalApic apic{4, LocalApic::Mode::X2Apic};
  std::uint64_t v = 0;
  ASSERT_TRUE(apic.write_msr(0x835, 0x30));  // reset state: software-disabled
  ASSERT_TRUE(apic.read_msr(0x835, v));
  EXPECT_EQ(v, 0x0001'0030u);
  ASSERT_TRUE(apic.write_msr(0x80F, 0x1FF));
  ASSERT_TRUE(apic.write_msr(0x835, 0x30));
  ASSERT_TRUE(apic.write_msr(0x832, 0x2'00EC));  // periodic timer
  ASSERT_TRUE(apic.write_msr(0x80F, 0x0FF));
  ASSERT_TRUE(apic.read_msr(0x835, v));
  EXPECT_EQ(v, 0x0001'0030u);
  ASSERT_TRUE(apic.read_msr(0x832, v));
  EXPECT_EQ(v, 0x0003'00ECu);
}

TEST_F(LocalApicTest, RegisterFileShowsIrrIsrTmrWords) {
  apic.accept(0x41, TriggerMode::Level);  // word 2, bit 1
  apic.accept(0xE0, TriggerMode::Edge);   // word 7, bit 0
  EXPECT_EQ(apic.read32(kIrr0 + 0x20), 0x2u);
  EXPECT_EQ(apic.read32(kIrr0 + 0x70), 0x1u);
  EXPECT_EQ(apic.read32(kTmr0 + 0x20), 0x2u);
  apic.acknowledge();
  EXPECT_EQ(apic.read32(kIsr0 + 0x70), 0x1u);
  EXPECT_EQ(apic.read32(kIrr0 + 0x70), 0u);
}

TEST_F(LocalApicTest, IllegalRegisterAccessLatchesEsr) {
  EXPECT_EQ(apic.read32(0x3F0), 0u);  // SELF IPI does not exist in xAPIC mode
  apic.write32(kEsr, 0);
  EXPECT_TRUE(esr::IllegalRegisterAddress::test(apic.read32(kEsr)));
}

TEST_F(LocalApicTest, XApicLogicalDestinationFlatAndCluster) {
  apic.write32(kLdr, 0x0400'0000);  // logical id 0000_0100
  EXPECT_TRUE(apic.matches_logical(0x04));
  EXPECT_TRUE(apic.matches_logical(0x0C));
  EXPECT_FALSE(apic.matches_logical(0x03));
  apic.write32(kDfr, 0x0FFF'FFFF);  // cluster model
  EXPECT_EQ(apic.read32(kDfr), 0x0FFF'FFFFu);
  apic.write32(kLdr, 0x2400'0000);  // cluster 2, member 0100
  EXPECT_TRUE(apic.matches_logical(0x24));
  EXPECT_FALSE(apic.matches_logical(0x14));
  EXPECT_TRUE(apic.matches_logical(0xFF));
}

TEST_F(LocalApicTest, XApicIcrSendsIpiOnLowWrite) {
  apic.write32(kIcrHigh, 0x0700'0000);
  EXPECT_TRUE(port.ipis.empty());
  apic.write32(kIcrLow, 0x0000'4051);  // fixed, vector 51h, assert
  ASSERT_EQ(port.ipis.size(), 1u);
  EXPECT_EQ(port.ipis[0].message.destination, 7u);
  EXPECT_EQ(port.ipis[0].message.vector, 0x51);
  EXPECT_EQ(port.ipis[0].from, 3u);
  apic.write32(kIcrLow, 0x0000'4005);  // illegal vector: not sent, ESR latched
  EXPECT_EQ(port.ipis.size(), 1u);
  apic.write32(kEsr, 0);
  EXPECT_TRUE(esr::SendIllegalVector::test(apic.read32(kEsr)));
}

TEST(LocalApicX2Apic, MsrInterface) {
  RecordingPort port;
  LocalApic apic{0x1234, LocalApic::Mode::X2Apic, &port};
  std::uint64_t v = 0;
  ASSERT_TRUE(apic.read_msr(0x802, v));
  EXPECT_EQ(v, 0x1234u);                          // 32-bit id
  EXPECT_FALSE(apic.write_msr(0x802, 1));         // ID is read-only
  ASSERT_TRUE(apic.read_msr(0x80D, v));
  EXPECT_EQ(v, x2apic_ldr(0x1234));               // LDR derived from the id
  EXPECT_FALSE(apic.read_msr(0x80E, v));          // no DFR in x2APIC mode
  EXPECT_FALSE(apic.read_msr(0x80B, v));          // EOI is write-only
  EXPECT_FALSE(apic.write_msr(0x80B, 1));         // non-zero EOI is #GP
  EXPECT_TRUE(apic.write_msr(0x80F, 0x1FF));
  EXPECT_TRUE(apic.write_msr(0x830, (std::uint64_t{0x00AB'CDEF} << 32) | 0x4061));
  ASSERT_EQ(port.ipis.size(), 1u);
  EXPECT_EQ(port.ipis[0].message.destination, 0x00AB'CDEFu);
  EXPECT_TRUE(apic.write_msr(0x83F, 0x77));       // self IPI
  EXPECT_EQ(apic.pending_vector(), 0x77);
  ASSERT_TRUE(apic.read_msr(0x827, v));           // IRR7 holds 0xE0-0xFF; 0x77 is in IRR3
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(apic.read_msr(0x823, v));
  EXPECT_EQ(v, 1u << (0x77 - 0x60));
  EXPECT_EQ(apic.read32(kId), 0u);                // MMIO page is off in x2APIC mode
  LocalApic xapic{1};
  EXPECT_FALSE(xapic.read_msr(0x802, v));         // and MSRs are off in xAPIC mode
}

// SDM 10.12.1.3: in x2APIC mode a WRMSR that sets a reserved bit raises #GP (and changes
// nothing); table 10-6 adds that ESR, like EOI, takes only zero.
class LocalApicX2ApicReservedBits : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(apic.write_msr(0x80F, 0x1FF)); }
  // Expects the write to fault and the register to read as before.
  void expect_gp(std::uint32_t msr, std::uint64_t value) {
    std::uint64_t before = 0, after = 0;
    ASSERT_TRUE(apic.read_msr(msr, before));
    EXPECT_FALSE(apic.write_msr(msr, value)) << std::hex << "msr " << msr << " value " << value;
    ASSERT_TRUE(apic.read_msr(msr, after));
    EXPECT_EQ(after, before) << std::hex << "msr " << msr << " value " << value;
  }
  void expect_written(std::uint32_t msr, std::uint64_t value, std::uint64_t reads) {
    std::uint64_t v = 0;
    EXPECT_TRUE(apic.write_msr(msr, value)) << std::hex << "msr " << msr << " value " << value;
    ASSERT_TRUE(apic.read_msr(msr, v));
    EXPECT_EQ(v, reads) << std::hex << "msr " << msr << " value " << value;
  }
  RecordingPort port;
  LocalApic apic{7, LocalApic::Mode::X2Apic, &port};
};

TEST_F(LocalApicX2ApicReservedBits, Tpr) {
  expect_written(0x808, 0x5A, 0x5A);
  expect_gp(0x808, 0x100);  // bits 31:8
  expect_gp(0x808, 0x8000'0000);
  expect_gp(0x808, std::uint64_t{1} << 32);
  EXPECT_EQ(apic.tpr(), 0x5A);
}

TEST_F(LocalApicX2ApicReservedBits, EsrTakesOnlyZero) {
  apic.accept(5, TriggerMode::Edge);  // an error waiting to be latched
  expect_gp(0x828, 1);
  expect_gp(0x828, esr::ReceiveIllegalVector::mask);
  std::uint64_t v = 1;
  ASSERT_TRUE(apic.read_msr(0x828, v));
  EXPECT_EQ(v, 0u);  // the refused writes latched nothing
  EXPECT_TRUE(apic.write_msr(0x828, 0));
  ASSERT_TRUE(apic.read_msr(0x828, v));
  EXPECT_EQ(v, esr::ReceiveIllegalVector::mask);
}

TEST_F(LocalApicX2ApicReservedBits, Svr) {
  expect_written(0x80F, 0x13EF, 0x13EF);  // vector, enable, focus check off, EOI suppression
  expect_gp(0x80F, 0x05FF);               // bit 10
  expect_gp(0x80F, 0x09FF);               // bit 11
  expect_gp(0x80F, 0x21FF);               // bit 13
  expect_gp(0x80F, 0x8000'01FF);
  EXPECT_TRUE(apic.software_enabled());
}

TEST_F(LocalApicX2ApicReservedBits, Icr) {
  const std::uint64_t fixed = (std::uint64_t{9} << 32) | 0x4061;
  ASSERT_TRUE(apic.write_msr(0x830, fixed));
  ASSERT_EQ(port.ipis.size(), 1u);
  for (unsigned bit : {13u, 16u, 17u, 20u, 24u, 31u}) {
    SCOPED_TRACE(bit);
    expect_gp(0x830, (std::uint64_t{5} << 32) | 0x4071 | (std::uint64_t{1} << bit));
  }
  EXPECT_EQ(port.ipis.size(), 1u);  // nothing was sent
  // Bit 12 (delivery status) is absent in x2APIC mode; WRMSR ignores it (SDM figure
  // 10-28, note) instead of faulting.
  EXPECT_TRUE(apic.write_msr(0x830, fixed | icr::DeliveryStatus::mask));
  ASSERT_EQ(port.ipis.size(), 2u);
  std::uint64_t v = 0;
  ASSERT_TRUE(apic.read_msr(0x830, v));
  EXPECT_FALSE(icr::DeliveryStatus::test(v));
  // Every defined field at once, shorthand "all excluding self" included.
  EXPECT_TRUE(apic.write_msr(0x830, (std::uint64_t{0xFFFF'FFFF} << 32) | 0x000C'CF61));
  EXPECT_EQ(port.ipis.size(), 3u);
}

TEST_F(LocalApicX2ApicReservedBits, LvtEntriesHaveTheirOwnFields) {
  // LINT0/LINT1: vector, delivery mode, polarity, trigger mode, mask.
  expect_written(0x835, 0x0001'A730, 0x0001'A730);
  expect_gp(0x835, 0x0800);    // bit 11
  expect_gp(0x836, 0x2'0000);  // bit 17
  // Timer: vector, mask, timer mode; no delivery mode, polarity or trigger mode.
  expect_written(0x832, 0x0002'0040, 0x0002'0040);
  expect_gp(0x832, 0x0400);
  expect_gp(0x832, 0x2000);
  expect_gp(0x832, 0x8'0000);  // bit 19
  // Error: vector and mask only.
  expect_written(0x837, 0x0001'00FE, 0x0001'00FE);
  expect_gp(0x837, 0x0100);
  expect_gp(0x837, 0x8000);
  // Thermal, performance counter, CMCI: vector, delivery mode, mask.
  for (std::uint32_t msr : {0x833u, 0x834u, 0x82Fu}) {
    SCOPED_TRACE(msr);
    expect_written(msr, 0x0001'0400, 0x0001'0400);
    expect_gp(msr, 0x2000);
    expect_gp(msr, 0x4'0000);
  }
  // Read-only bits are no reserved bits: written, ignored.
  expect_written(0x835, 0x0001'5030, 0x0001'0030);  // delivery status, remote IRR
}

TEST_F(LocalApicX2ApicReservedBits, TimerRegistersAndSelfIpi) {
  expect_written(0x83E, 0xB, 0xB);
  expect_gp(0x83E, 0x4);  // bit 2 is 0 in the divide configuration
  expect_gp(0x83E, 0x10);
  expect_written(0x838, 0xFFFF'FFFF, 0xFFFF'FFFF);
  expect_gp(0x838, std::uint64_t{1} << 32);
  EXPECT_FALSE(apic.write_msr(0x83F, 0x177));  // SELF IPI: bits 31:8
  EXPECT_TRUE(apic.irr().empty());
  EXPECT_TRUE(apic.write_msr(0x83F, 0x77));
  EXPECT_TRUE(apic.irr().test(0x77));
}

// The xAPIC page has no #GP: a write keeps the register's defined bits and drops the rest.
TEST_F(LocalApicTest, XApicWritesDropReservedBits) {
  apic.write32(kTpr, 0xFFFF'FFFF);
  EXPECT_EQ(apic.read32(kTpr), 0xFFu);
  apic.write32(kLvtLint0, 0xFFFF'FFFF);
  EXPECT_EQ(apic.read32(kLvtLint0), 0x0001'A7FFu);
  apic.write32(kLvtTimer, 0xFFFF'FFFF);
  EXPECT_EQ(apic.read32(kLvtTimer), 0x0007'00FFu);
  apic.write32(kLvtError, 0xFFFF'FFFF);
  EXPECT_EQ(apic.read32(kLvtError), 0x0001'00FFu);
  apic.write32(kLvtPerf, 0xFFFF'FFFF);
  EXPECT_EQ(apic.read32(kLvtPerf), 0x0001'07FFu);
  apic.write32(kTimerDivide, 0xFFFF'FFFF);
  EXPECT_EQ(apic.read32(kTimerDivide), 0xBu);
  apic.write32(kSvr, 0xFFFF'FFFF);
  EXPECT_EQ(apic.read32(kSvr), 0x13FFu);
  apic.write32(kEsr, 0);
  EXPECT_EQ(apic.read32(kEsr), 0u);  // none of these was an illegal register access
}

TEST(LocalApicX2Apic, ClusterLogicalDestination) {
  LocalApic apic{0x23, LocalApic::Mode::X2Apic};
  EXPECT_TRUE(apic.matches_logical(0x0002'0008));
  EXPECT_TRUE(apic.matches_logical(0x0002'FFFF));
  EXPECT_FALSE(apic.matches_logical(0x0001'0008));
  EXPECT_TRUE(apic.matches_physical(0x23));
  EXPECT_FALSE(apic.matches_physical(0x123));
  EXPECT_TRUE(apic.matches_physical(0xFFFF'FFFF));
}

}  // namespace
}  // namespace irqshape::hw
