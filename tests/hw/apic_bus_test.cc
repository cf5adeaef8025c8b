#include "hw/apic_bus.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace irqshape::hw {
namespace {

using namespace ioapic;

// A four-CPU platform: I/O APIC -> bus -> local APICs, EOIs back to the I/O APIC.
class Platform : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::uint32_t id = 0; id < 4; ++id) {
      cpus.push_back(std::make_unique<LocalApic>(id));
      cpus.back()->write32(lapic::kSvr, lapic::SvrSoftwareEnable::mask | 0xFF);
      bus.attach(*cpus.back());
    }
    bus.attach(io);
  }
  void route(unsigned pin, std::uint64_t entry) {
    io.write32(kIoRegSel, redirection_high(pin));
    io.write32(kIoWin, static_cast<std::uint32_t>(entry >> 32));
    io.write32(kIoRegSel, redirection_low(pin));
    io.write32(kIoWin, static_cast<std::uint32_t>(entry));
  }

  ApicBus bus;
  IoApic io{IoApic::Config{}, bus};
  std::vector<std::unique_ptr<LocalApic>> cpus;
};

TEST_F(Platform, LevelLineRoundTripThroughEoiRegister) {
  route(11, rte::Vector::make(0x61) | rte::TriggerMode::mask | rte::Destination::make(2));
  io.set_line(11, true);
  LocalApic& cpu2 = *cpus[2];
  EXPECT_EQ(cpu2.pending_vector(), 0x61);
  EXPECT_EQ(cpus[0]->pending_vector(), -1);
  EXPECT_EQ(cpu2.acknowledge(), 0x61);
  io.set_line(11, false);  // the ISR quiets the device
  cpu2.write32(lapic::kEoi, 0);
  EXPECT_FALSE(rte::RemoteIrr::test(io.entry(11)));
  EXPECT_EQ(cpu2.pending_vector(), -1);
}

TEST_F(Platform, LevelLineStillAssertedAfterEoiFiresAgain) {
  route(11, rte::Vector::make(0x61) | rte::TriggerMode::mask | rte::Destination::make(1));
  io.set_line(11, true);
  cpus[1]->acknowledge();
  cpus[1]->eoi();  // handler did not quiet the device
  EXPECT_EQ(cpus[1]->pending_vector(), 0x61);
  EXPECT_EQ(io.counters(11).delivered, 2u);
}

TEST_F(Platform, LogicalFlatReachesEverySelectedCpu) {
  for (unsigned i = 0; i < 4; ++i) cpus[i]->write32(lapic::kLdr, (1u << i) << 24);
  route(3, rte::Vector::make(0x70) | rte::DestinationMode::mask | rte::Destination::make(0b1010));
  io.pulse(3);
  EXPECT_EQ(cpus[0]->pending_vector(), -1);
  EXPECT_EQ(cpus[1]->pending_vector(), 0x70);
  EXPECT_EQ(cpus[2]->pending_vector(), -1);
  EXPECT_EQ(cpus[3]->pending_vector(), 0x70);
}

TEST_F(Platform, LowestPriorityPicksTheLeastBusyCpu) {
  for (unsigned i = 0; i < 4; ++i) cpus[i]->write32(lapic::kLdr, (1u << i) << 24);
  cpus[0]->write32(lapic::kTpr, 0x40);
  cpus[1]->write32(lapic::kTpr, 0x20);
  cpus[2]->write32(lapic::kTpr, 0x30);
  cpus[3]->write32(lapic::kTpr, 0x20);
  route(3, rte::Vector::make(0x70) | rte::DeliveryMode::make(1) | rte::DestinationMode::mask |
               rte::Destination::make(0x0F));
  io.pulse(3);
  EXPECT_EQ(cpus[1]->pending_vector(), 0x70);  // lowest priority, lowest id among ties
  EXPECT_EQ(cpus[3]->pending_vector(), -1);
  io.pulse(3);  // focus processor: cpu1 already has it pending
  EXPECT_EQ(cpus[1]->merged_count(), 1u);
}

// SVR bit 9 disables focus processor checking: the pending vector no longer pulls the
// next lowest-priority message to that CPU.
TEST_F(Platform, LowestPriorityFocusCheckingCanBeDisabled) {
  for (unsigned i = 0; i < 4; ++i) cpus[i]->write32(lapic::kLdr, (1u << i) << 24);
  for (unsigned i = 0; i < 4; ++i) cpus[i]->write32(lapic::kTpr, 0x40);
  cpus[1]->write32(lapic::kTpr, 0x20);
  route(3, rte::Vector::make(0x70) | rte::DeliveryMode::make(1) | rte::DestinationMode::mask |
               rte::Destination::make(0x0F));
  io.pulse(3);
  ASSERT_EQ(cpus[1]->pending_vector(), 0x70);
  cpus[1]->write32(lapic::kTpr, 0x50);  // cpu 1 busier now, 0x70 still pending there
  cpus[3]->write32(lapic::kTpr, 0x30);
  io.pulse(3);  // focus processor: cpu 1
  EXPECT_EQ(cpus[1]->merged_count(), 1u);
  EXPECT_FALSE(cpus[3]->irr().test(0x70));
  for (auto& c : cpus) c->write32(lapic::kSvr, lapic::SvrSoftwareEnable::mask | lapic::SvrFocusCheckDisable::mask | 0xFF);
  io.pulse(3);  // no focus check: lowest priority, cpu 3
  EXPECT_EQ(cpus[1]->merged_count(), 1u);
  EXPECT_TRUE(cpus[3]->irr().test(0x70));
}

// A level-triggered de-assert message (Level = 0) raises no interrupt; an edge message
// is an assert whatever its Level bit says.
TEST_F(Platform, LevelDeassertMessagesRaiseNothing) {
  InterruptMessage m{.destination = 2, .vector = 0x55, .trigger_mode = TriggerMode::Level, .level_assert = false};
  EXPECT_TRUE(bus.deliver(m));
  EXPECT_FALSE(cpus[2]->irr().test(0x55));
  m.trigger_mode = TriggerMode::Edge;
  EXPECT_TRUE(bus.deliver(m));
  EXPECT_TRUE(cpus[2]->irr().test(0x55));
  cpus[0]->write32(lapic::kIcrHigh, 2u << 24);
  cpus[0]->write32(lapic::kIcrLow, 0x0000'8500);  // INIT level de-assert
  EXPECT_EQ(cpus[2]->special_counts().init, 0u);
  cpus[0]->write32(lapic::kIcrLow, 0x0000'C500);  // INIT assert
  EXPECT_EQ(cpus[2]->special_counts().init, 1u);
}

TEST_F(Platform, PhysicalBroadcastAndIpiShorthands) {
  route(4, rte::Vector::make(0x44) | rte::Destination::make(0xFF));
  io.pulse(4);
  for (auto& c : cpus) EXPECT_EQ(c->pending_vector(), 0x44);
  cpus[0]->write32(lapic::kIcrLow, 0x000C'0050);  // all excluding self, vector 50h
  EXPECT_FALSE(cpus[0]->irr().test(0x50));
  for (unsigned i = 1; i < 4; ++i) EXPECT_TRUE(cpus[i]->irr().test(0x50));
}

// In x2APIC mode FFFF_FFFFh is the broadcast; an 8-bit FFh from an I/O APIC or MSI is
// APIC id FFh (the SDM has no rule widening it; KVM's quirk does, the model does not).
TEST(X2ApicBus, EightBitFfIsNoBroadcast) {
  ApicBus bus;
  LocalApic a0{0, LocalApic::Mode::X2Apic}, a255{0xFF, LocalApic::Mode::X2Apic};
  bus.attach(a0);
  bus.attach(a255);
  InterruptMessage m;
  m.destination = 0xFF;
  m.vector = 0x50;
  EXPECT_TRUE(bus.deliver(m));
  EXPECT_FALSE(a0.irr().test(0x50));
  EXPECT_TRUE(a255.irr().test(0x50));
  m.destination = 0xFFFF'FFFF;
  m.vector = 0x51;
  EXPECT_TRUE(bus.deliver(m));
  EXPECT_TRUE(a0.irr().test(0x51));
  EXPECT_TRUE(a255.irr().test(0x51));
}

TEST_F(Platform, NoTargetMeansRefused) {
  route(6, rte::Vector::make(0x46) | rte::Destination::make(9));
  io.pulse(6);
  EXPECT_TRUE(rte::DeliveryStatus::test(io.entry(6)));
  EXPECT_EQ(io.counters(6).refused, 1u);
}

TEST_F(Platform, ObserverSeesAcceptedInterrupts) {
  struct Obs final : DeliveryObserver {
    void accepted(LocalApic& t, const InterruptMessage& m, LocalApic::Accept) override { seen.push_back({t.id(), m.vector}); }
    std::vector<std::pair<std::uint32_t, std::uint8_t>> seen;
  } obs;
  bus.set_observer(&obs);
  route(4, rte::Vector::make(0x44) | rte::Destination::make(3));
  io.pulse(4);
  ASSERT_EQ(obs.seen.size(), 1u);
  EXPECT_EQ(obs.seen[0].first, 3u);
  EXPECT_EQ(obs.seen[0].second, 0x44);
}

}  // namespace
}  // namespace irqshape::hw
