#include "hw/ioapic.h"

#include <gtest/gtest.h>

#include "recording_sink.h"

namespace irqshape::hw {
namespace {

using namespace ioapic;
using testing::RecordingSink;

class IoApicTest : public ::testing::Test {
 protected:
  std::uint32_t read_reg(std::uint8_t reg) {
    io.write32(kIoRegSel, reg);
    return io.read32(kIoWin);
  }
  void write_reg(std::uint8_t reg, std::uint32_t v) {
    io.write32(kIoRegSel, reg);
    io.write32(kIoWin, v);
  }
  void program(unsigned pin, std::uint64_t entry) {
    write_reg(redirection_high(pin), static_cast<std::uint32_t>(entry >> 32));
    write_reg(redirection_low(pin), static_cast<std::uint32_t>(entry));
  }
  std::uint64_t read_entry(unsigned pin) {
    return (std::uint64_t{read_reg(redirection_high(pin))} << 32) | read_reg(redirection_low(pin));
  }
  static std::uint64_t edge(std::uint8_t vector, std::uint8_t dest) {
    return rte::Vector::make(vector) | rte::Destination::make(dest);
  }
  static std::uint64_t level(std::uint8_t vector, std::uint8_t dest) {
    return edge(vector, dest) | rte::TriggerMode::mask;
  }

  RecordingSink sink;
  IoApic io{IoApic::Config{.id = 2, .pins = 24, .gsi_base = 0}, sink};
};

TEST_F(IoApicTest, ResetStateHasEveryEntryMasked) {
  for (unsigned pin = 0; pin < 24; ++pin) EXPECT_EQ(read_entry(pin), rte::kResetValue) << "pin " << pin;
  EXPECT_EQ(read_reg(kRegVersion), 0x0017'0020u);  // MRE 23, version 20h, PRQ 0
  EXPECT_EQ(read_reg(kRegId), 0x0200'0000u);
}

TEST_F(IoApicTest, VersionReportsConfiguredPinCountAndVersion) {
  IoApic small{{.pins = 8, .version = kVersion82093AA}, sink};
  small.write32(kIoRegSel, kRegVersion);
  EXPECT_EQ(small.read32(kIoWin), 0x0007'0011u);
  IoApic clamped{{.pins = 1000}, sink};
  EXPECT_EQ(clamped.pins(), IoApic::kMaxPins);
}

// IOREGSEL is 8 bits and the table starts at 0x10: entry 120 would be register 0x00
// (IOAPICID), entry 130 register 0x14 (entry 2). The model has at most 120 entries.
TEST_F(IoApicTest, PinCountIsCappedAtWhatIoRegSelCanAddress) {
  EXPECT_EQ(kMaxRedirectionEntries, 120u);
  EXPECT_EQ(IoApic::kMaxPins, kMaxRedirectionEntries);
  EXPECT_EQ(redirection_low(kMaxRedirectionEntries - 1), 0xFEu);
  EXPECT_EQ(redirection_high(kMaxRedirectionEntries - 1), 0xFFu);
  IoApic big{{.id = 5, .pins = 240}, sink};
  EXPECT_EQ(big.pins(), 120u);
  big.write32(kIoRegSel, kRegVersion);
  EXPECT_EQ(MaxRedirectionEntry::get(big.read32(kIoWin)), 119u);
  // The last entry is reachable and programming it leaves the ID register alone.
  big.write32(kIoRegSel, redirection_low(119));
  big.write32(kIoWin, 0x45);
  EXPECT_EQ(big.entry(119), 0x45u);
  big.write32(kIoRegSel, kRegId);
  EXPECT_EQ(big.read32(kIoWin), 0x0500'0000u);
  big.pulse(119);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages.back().vector, 0x45);
  // Pins the chip does not have stay silent and read as nothing.
  big.pulse(130);
  EXPECT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(big.entry(130), 0u);
  EXPECT_EQ(big.entry(2), rte::kResetValue);
}

// NMI, SMI, INIT and ExtINT entries are edge even when programmed level: no remote IRR,
// no level-triggered message, no re-delivery while the line stays asserted.
TEST_F(IoApicTest, NonVectoredModesProgrammedLevelActAsEdge) {
  for (unsigned mode : {0b010u, 0b100u, 0b101u, 0b111u}) {
    SCOPED_TRACE(mode);
    sink.messages.clear();
    program(5, level(0, 1) | rte::DeliveryMode::make(mode));
    io.set_line(5, true);
    ASSERT_EQ(sink.messages.size(), 1u);
    EXPECT_EQ(sink.messages[0].trigger_mode, TriggerMode::Edge);
    EXPECT_FALSE(rte::RemoteIrr::test(io.entry(5)));
    program(5, (level(0, 1) | rte::DeliveryMode::make(mode) | rte::Mask::mask));
    program(5, level(0, 1) | rte::DeliveryMode::make(mode));  // unmasked while asserted
    EXPECT_EQ(sink.messages.size(), 1u);
    io.set_line(5, false);
    io.set_line(5, true);
    EXPECT_EQ(sink.messages.size(), 2u);
    io.set_line(5, false);
  }
  program(6, level(0x60, 1));  // fixed level still sets remote IRR
  io.set_line(6, true);
  EXPECT_TRUE(rte::RemoteIrr::test(io.entry(6)));
}

// Delivery modes 011 and 110 are reserved in a redirection entry (110 is StartUp only
// in the ICR): the model sends nothing and counts it.
TEST_F(IoApicTest, ReservedDeliveryModesSendNothing) {
  for (unsigned mode : {0b011u, 0b110u}) {
    program(7, edge(0x47, 1) | rte::DeliveryMode::make(mode));
    io.pulse(7);
  }
  EXPECT_TRUE(sink.messages.empty());
  EXPECT_EQ(io.counters(7).reserved_mode, 2u);
  EXPECT_EQ(io.counters(7).delivered, 0u);
}

TEST_F(IoApicTest, IdIsReadWriteAndLoadsArbitrationId) {
  write_reg(kRegId, 0xFFFF'FFFF);
  EXPECT_EQ(read_reg(kRegId), 0x0F00'0000u);  // only bits 27:24 are defined
  EXPECT_EQ(read_reg(kRegArbitration), 0x0F00'0000u);
  write_reg(kRegVersion, 0);  // read-only
  EXPECT_EQ(read_reg(kRegVersion), 0x0017'0020u);
}

TEST_F(IoApicTest, IoRegSelKeepsOnlyTheAddressByte) {
  io.write32(kIoRegSel, 0xABCD'0001);
  EXPECT_EQ(io.read32(kIoRegSel), 0x01u);
}

TEST_F(IoApicTest, ReservedAndReadOnlyBitsIgnoreWrites) {
  program(3, ~std::uint64_t{0});
  const std::uint64_t e = read_entry(3);
  EXPECT_EQ(e & ~rte::kDefinedMask, 0u) << std::hex << e;
  EXPECT_FALSE(rte::DeliveryStatus::test(e));
  EXPECT_FALSE(rte::RemoteIrr::test(e));
  EXPECT_EQ(rte::Destination::get(e), 0xFFu);
}

TEST_F(IoApicTest, EntriesBeyondThePinCountReadZero) {
  EXPECT_EQ(read_reg(redirection_low(24)), 0u);
  write_reg(redirection_low(30), 0x41);
  EXPECT_EQ(read_reg(redirection_low(30)), 0u);
}

TEST_F(IoApicTest, EdgeDeliversOncePerRisingEdge) {
  program(4, edge(0x41, 3));
  io.set_line(4, true);
  io.set_line(4, true);  // held: no new edge
  io.set_line(4, false);
  io.pulse(4);
  ASSERT_EQ(sink.messages.size(), 2u);
  const InterruptMessage& m = sink.messages[0];
  EXPECT_EQ(m.vector, 0x41);
  EXPECT_EQ(m.destination, 3u);
  EXPECT_EQ(m.trigger_mode, TriggerMode::Edge);
  EXPECT_EQ(m.delivery_mode, DeliveryMode::Fixed);
  EXPECT_EQ(m.source, 4u);
  EXPECT_EQ(io.counters(4).delivered, 2u);
}

TEST_F(IoApicTest, EdgesWhileMaskedAreLost) {
  program(4, edge(0x41, 0) | rte::Mask::mask);
  io.pulse(4);
  program(4, edge(0x41, 0));  // unmasking does not replay the edge
  EXPECT_TRUE(sink.messages.empty());
  EXPECT_EQ(io.counters(4).masked_edges, 1u);
}

TEST_F(IoApicTest, LevelSetsRemoteIrrAndWaitsForEoi) {
  program(9, level(0x51, 1));
  io.set_line(9, true);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_TRUE(rte::RemoteIrr::test(read_entry(9)));
  EXPECT_EQ(sink.messages[0].trigger_mode, TriggerMode::Level);

  io.eoi(0x52);  // other vector: no effect
  EXPECT_TRUE(rte::RemoteIrr::test(read_entry(9)));
  io.eoi(0x51);  // still asserted: fires again
  EXPECT_EQ(sink.messages.size(), 2u);
  EXPECT_TRUE(rte::RemoteIrr::test(read_entry(9)));

  io.set_line(9, false);
  io.eoi(0x51);  // deasserted: remote IRR clears, nothing re-fires
  EXPECT_EQ(sink.messages.size(), 2u);
  EXPECT_FALSE(rte::RemoteIrr::test(read_entry(9)));
}

TEST_F(IoApicTest, EoiRegisterOnlyOnVersion20h) {
  program(9, level(0x51, 1));
  io.set_line(9, true);
  io.set_line(9, false);
  io.write32(kEoi, 0x51);
  EXPECT_FALSE(rte::RemoteIrr::test(read_entry(9)));

  IoApic old{{.version = kVersion82093AA}, sink};
  old.write32(kIoRegSel, redirection_low(9));
  old.write32(kIoWin, static_cast<std::uint32_t>(level(0x51, 1)));
  old.set_line(9, true);
  old.write32(kEoi, 0x51);
  EXPECT_TRUE(rte::RemoteIrr::test(old.entry(9)));
}

TEST_F(IoApicTest, UnmaskingAnAssertedLevelLineDelivers) {
  program(10, level(0x61, 0) | rte::Mask::mask);
  io.set_line(10, true);
  EXPECT_TRUE(sink.messages.empty());
  program(10, level(0x61, 0));
  EXPECT_EQ(sink.messages.size(), 1u);
}

// The level of a level-triggered input is sampled, not latched: any write that leaves an
// entry level, unmasked, asserted and with remote IRR clear delivers, not only unmasking.
// Nothing can be outstanding for such an entry (remote IRR clear), so nothing is sent twice.
TEST_F(IoApicTest, SwitchingToLevelWhileAssertedDelivers) {
  program(11, edge(0x62, 1));
  io.set_line(11, true);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].trigger_mode, TriggerMode::Edge);
  program(11, level(0x62, 1));  // still unmasked, line still held
  ASSERT_EQ(sink.messages.size(), 2u);
  EXPECT_EQ(sink.messages[1].trigger_mode, TriggerMode::Level);
  EXPECT_TRUE(rte::RemoteIrr::test(read_entry(11)));
  EXPECT_EQ(io.counters(11).delivered, 2u);
  program(11, level(0x62, 1));  // remote IRR set: rewriting sends nothing more
  EXPECT_EQ(sink.messages.size(), 2u);
  io.eoi(0x62);  // and the line goes on as a level line
  EXPECT_EQ(sink.messages.size(), 3u);
}

TEST_F(IoApicTest, FixingAReservedDeliveryModeOfAnAssertedLevelLineDelivers) {
  program(12, level(0x63, 1) | rte::DeliveryMode::make(0b011));
  io.set_line(12, true);
  EXPECT_TRUE(sink.messages.empty());
  EXPECT_EQ(io.counters(12).reserved_mode, 1u);
  program(12, level(0x63, 1));  // fixed
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].vector, 0x63);
  EXPECT_EQ(sink.messages[0].trigger_mode, TriggerMode::Level);
  EXPECT_TRUE(rte::RemoteIrr::test(read_entry(12)));
  EXPECT_EQ(io.counters(12).reserved_mode, 1u);  // the fix itself is no reserved-mode attempt
}

TEST_F(IoApicTest, RewritingALevelEntryAfterARefusedDeliveryDelivers) {
  program(13, level(0x64, 1));
  sink.accept = false;
  io.set_line(13, true);
  EXPECT_TRUE(rte::DeliveryStatus::test(read_entry(13)));
  EXPECT_FALSE(rte::RemoteIrr::test(read_entry(13)));
  EXPECT_EQ(io.counters(13).refused, 1u);
  sink.accept = true;
  program(13, level(0x64, 2));  // e.g. a new destination that exists
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].destination, 2u);
  const std::uint64_t e = read_entry(13);
  EXPECT_FALSE(rte::DeliveryStatus::test(e));  // the send is done, not pending
  EXPECT_TRUE(rte::RemoteIrr::test(e));
  EXPECT_EQ(io.counters(13).delivered, 1u);
  io.retry_pending();  // the write was the retry: nothing is left to send
  EXPECT_EQ(sink.messages.size(), 1u);

  // Refused again on the rewrite: still pending, counted, retried later.
  program(14, level(0x65, 1));
  sink.accept = false;
  io.set_line(14, true);
  write_reg(redirection_high(14), static_cast<std::uint32_t>(level(0x65, 3) >> 32));  // one write
  EXPECT_EQ(io.counters(14).refused, 2u);
  EXPECT_TRUE(rte::DeliveryStatus::test(read_entry(14)));
  sink.accept = true;
  io.retry_pending();
  ASSERT_EQ(sink.messages.size(), 2u);
  EXPECT_EQ(sink.messages[1].destination, 3u);
}

// Writes that must stay silent: masked, deasserted, remote IRR set, or edge.
TEST_F(IoApicTest, RewritesThatMustNotDeliver) {
  program(15, level(0x66, 1) | rte::Mask::mask);
  io.set_line(15, true);
  program(15, level(0x67, 1) | rte::Mask::mask);  // masked rewrite
  EXPECT_TRUE(sink.messages.empty());
  program(16, level(0x68, 1));  // deasserted line
  program(16, level(0x68, 2));
  EXPECT_TRUE(sink.messages.empty());
  program(17, edge(0x69, 1));
  io.set_line(17, true);
  program(17, edge(0x69, 2));  // edge: a held line is no new edge
  EXPECT_EQ(sink.messages.size(), 1u);
}

TEST_F(IoApicTest, SwitchingToEdgeClearsRemoteIrr) {
  program(10, level(0x61, 0));
  io.set_line(10, true);
  ASSERT_TRUE(rte::RemoteIrr::test(read_entry(10)));
  program(10, edge(0x61, 0));
  EXPECT_FALSE(rte::RemoteIrr::test(read_entry(10)));
}

TEST_F(IoApicTest, PolarityMustMatchTheWiring) {
  // A PCI INTx line is electrically active low. Programmed correctly it is quiet until
  // the device asserts; programmed active high it looks asserted while the device idles.
  io.set_wiring(16, Polarity::ActiveLow);
  program(16, level(0x71, 0) | rte::Polarity::mask);
  EXPECT_TRUE(sink.messages.empty());
  io.set_line(16, true);
  EXPECT_EQ(sink.messages.size(), 1u);
  io.set_line(16, false);
  io.eoi(0x71);

  io.set_wiring(17, Polarity::ActiveLow);
  program(17, level(0x72, 0));  // wrong polarity: idle line reads as asserted
  EXPECT_EQ(sink.messages.size(), 2u);
  EXPECT_EQ(sink.messages.back().vector, 0x72);
  EXPECT_TRUE(io.input_active(17));
}

TEST_F(IoApicTest, RefusedDeliveryStaysPendingUntilRetried) {
  program(5, edge(0x45, 7));
  sink.accept = false;
  io.pulse(5);
  EXPECT_TRUE(rte::DeliveryStatus::test(read_entry(5)));
  EXPECT_EQ(io.counters(5).refused, 1u);
  sink.accept = true;
  io.retry_pending();
  EXPECT_FALSE(rte::DeliveryStatus::test(read_entry(5)));
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].vector, 0x45);
}

TEST_F(IoApicTest, ExtendedDestinationIdOnlyWhenEnabled) {
  program(2, edge(0x40, 0x34) | rte::ExtendedDestination::make(0x12));
  EXPECT_EQ(rte::ExtendedDestination::get(read_entry(2)), 0u);
  io.pulse(2);
  EXPECT_EQ(sink.messages.back().destination, 0x34u);

  IoApic ext{{.extended_destination_id = true}, sink};
  ext.write32(kIoRegSel, redirection_high(2));
  ext.write32(kIoWin, static_cast<std::uint32_t>((edge(0x40, 0x34) | rte::ExtendedDestination::make(0x12)) >> 32));
  ext.write32(kIoRegSel, redirection_low(2));
  ext.write32(kIoWin, 0x40);
  ext.pulse(2);
  EXPECT_EQ(sink.messages.back().destination, 0x1234u);
}

TEST_F(IoApicTest, GsiBaseNamesTheSource) {
  IoApic second{{.pins = 8, .gsi_base = 24}, sink};
  second.write32(kIoRegSel, redirection_low(3));
  second.write32(kIoWin, 0x50);
  second.pulse(3);
  EXPECT_EQ(sink.messages.back().source, 27u);
}

TEST_F(IoApicTest, OutOfRangePinsAreIgnored) {
  io.set_line(200, true);
  io.set_wiring(999, Polarity::ActiveLow);
  EXPECT_TRUE(sink.messages.empty());
  EXPECT_EQ(io.entry(200), 0u);
}

}  // namespace
}  // namespace irqshape::hw
