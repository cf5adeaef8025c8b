#include "hw/msi.h"

#include <gtest/gtest.h>

#include <random>

namespace irqshape::hw {
namespace {

using msi::DestinationFormat;

InterruptMessage fixed(std::uint32_t dest, std::uint8_t vector) {
  InterruptMessage m;
  m.destination = dest;
  m.vector = vector;
  return m;
}

TEST(Msi, EncodesTheArchitecturalFormat) {
  auto msg = msi::encode(fixed(3, 0x41), DestinationFormat::XApic8);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->address, 0xFEE0'3000u);
  EXPECT_EQ(msg->data, 0x4041u);  // vector 41h, fixed, edge, assert

  InterruptMessage m = fixed(0xFF, 0xEC);
  m.destination_mode = DestinationMode::Logical;
  m.redirection_hint = true;
  m.delivery_mode = DeliveryMode::LowestPriority;
  m.trigger_mode = TriggerMode::Level;
  msg = msi::encode(m, DestinationFormat::XApic8);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->address, 0xFEEF'F00Cu);
  EXPECT_EQ(msg->data, 0xC1ECu);
}

TEST(Msi, WideDestinations) {
  auto ext = msi::encode(fixed(0x1234, 0x50), DestinationFormat::Extended15);
  ASSERT_TRUE(ext);
  EXPECT_EQ(ext->address, 0xFEE3'4000u | (0x12u << 5));
  auto x2 = msi::encode(fixed(0x00AB'CDEF, 0x50), DestinationFormat::X2Apic32);
  ASSERT_TRUE(x2);
  EXPECT_EQ(x2->address, (std::uint64_t{0xABCD} << 40) | 0xFEEE'F000u);
  EXPECT_FALSE(msi::encode(fixed(0x100, 0x50), DestinationFormat::XApic8));
  EXPECT_FALSE(msi::encode(fixed(0x8000, 0x50), DestinationFormat::Extended15));
}

TEST(Msi, DecodeRejectsWhatItCannotRepresent) {
  EXPECT_FALSE(msi::decode({0xFED0'3000, 0x41}, DestinationFormat::XApic8));          // not 0xFEE
  EXPECT_FALSE(msi::decode({0xFEE0'3010, 0x41}, DestinationFormat::XApic8));          // remappable
  EXPECT_FALSE(msi::decode({0xFEE0'3000 | (1 << 5), 0x41}, DestinationFormat::XApic8));  // ext bits
  EXPECT_FALSE(msi::decode({std::uint64_t{1} << 40 | 0xFEE0'0000, 0x41}, DestinationFormat::Extended15));
  EXPECT_FALSE(msi::decode({0xFEE0'3000, 0x0341}, DestinationFormat::XApic8));        // mode 011
  EXPECT_FALSE(msi::decode({0xFEE0'3000, 0x0641}, DestinationFormat::XApic8));        // mode 110
  auto m = msi::decode({0xFEE0'3000, 0x4041}, DestinationFormat::XApic8, 77);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->destination, 3u);
  EXPECT_EQ(m->vector, 0x41);
  EXPECT_EQ(m->source, 77u);
}

// 110 is StartUp only in the ICR; in MSI data (and I/O APIC entries) it is reserved.
TEST(Msi, StartUpIsNotAnMsiDeliveryMode) {
  EXPECT_TRUE(is_valid_delivery_mode(0b000));
  EXPECT_TRUE(is_valid_delivery_mode(0b111));
  EXPECT_FALSE(is_valid_delivery_mode(0b011));
  EXPECT_FALSE(is_valid_delivery_mode(0b110));
  EXPECT_FALSE(msi::encode(InterruptMessage{.destination = 1, .vector = 0x30, .delivery_mode = DeliveryMode::StartUp},
                           DestinationFormat::XApic8));
}

TEST(Msi, RandomRoundTrip) {
  std::mt19937 rng(42);
  const DestinationFormat formats[] = {DestinationFormat::XApic8, DestinationFormat::Extended15,
                                       DestinationFormat::X2Apic32};
  const DeliveryMode modes[] = {DeliveryMode::Fixed, DeliveryMode::LowestPriority, DeliveryMode::Smi,
                                DeliveryMode::Nmi, DeliveryMode::Init, DeliveryMode::ExtInt};
  for (int i = 0; i < 20000; ++i) {
    const DestinationFormat f = formats[rng() % 3];
    InterruptMessage m;
    m.destination = static_cast<std::uint32_t>(rng()) & msi::max_destination(f);
    m.vector = static_cast<std::uint8_t>(rng());
    m.delivery_mode = modes[rng() % 6];
    m.destination_mode = static_cast<DestinationMode>(rng() & 1);
    m.trigger_mode = static_cast<TriggerMode>(rng() & 1);
    m.level_assert = (rng() & 1) != 0;
    m.redirection_hint = (rng() & 1) != 0;
    auto encoded = msi::encode(m, f);
    ASSERT_TRUE(encoded);
    auto decoded = msi::decode(*encoded, f);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, m);
  }
}

static_assert(msi::encode(InterruptMessage{.destination = 1, .vector = 0x30}, DestinationFormat::XApic8)->address ==
                  0xFEE0'1000u,
              "encode is usable at compile time");

}  // namespace
}  // namespace irqshape::hw
