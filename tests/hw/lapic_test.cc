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
