// MSI/MSI-X message address and data (Intel SDM vol. 3A, 10.11 "Message Signalled
// Interrupts"), with the two ways of reaching APIC ids above 255 that hypervisors use
// without interrupt remapping: the 15-bit Extended Destination ID (address bits 11:5)
// and KVM's x2APIC API (destination bits 31:8 in address bits 63:40).
#pragma once

#include <cstdint>
#include <optional>

#include "base/bits.h"
#include "hw/interrupt_message.h"

namespace irqshape::hw::msi {

// Address (64-bit: low dword is the architectural MSI address).
using AddressFixed = BitField<20, 12, std::uint64_t>;  // must read 0xFEE
inline constexpr std::uint64_t kAddressFixedValue = 0xFEE;
using AddressDestination = BitField<12, 8, std::uint64_t>;
using AddressExtendedDestination = BitField<5, 7, std::uint64_t>;  // destination 14:8
using AddressRemappableFormat = Bit<4, std::uint64_t>;  // interrupt-remapping format: not decoded here
using AddressRedirectionHint = Bit<3, std::uint64_t>;
using AddressDestinationMode = Bit<2, std::uint64_t>;
using AddressHighDestination = BitField<40, 24, std::uint64_t>;  // x2APIC API: destination 31:8

// Data (16 significant bits).
using DataVector = BitField<0, 8>;
using DataDeliveryMode = BitField<8, 3>;
using DataLevel = Bit<14>;
using DataTriggerMode = Bit<15>;
inline constexpr std::uint32_t kDataDefinedMask = fields_mask<DataVector, DataDeliveryMode, DataLevel, DataTriggerMode>;

enum class DestinationFormat : std::uint8_t {
  XApic8,      // destination 7:0 only
  Extended15,  // plus address bits 11:5 as destination 14:8
  X2Apic32,    // plus address bits 63:40 as destination 31:8
};

struct Message {
  std::uint64_t address = 0;
  std::uint32_t data = 0;
  friend constexpr bool operator==(const Message&, const Message&) = default;
};

[[nodiscard]] constexpr std::uint32_t max_destination(DestinationFormat f) {
  switch (f) {
    case DestinationFormat::XApic8: return 0xFF;
    case DestinationFormat::Extended15: return 0x7FFF;
    case DestinationFormat::X2Apic32: return 0xFFFF'FFFF;
  }
  return 0;
}

// Composes the message a device writes. nullopt when the destination does not fit the
// format or the delivery mode is reserved for MSI (011, and 110: StartUp is ICR-only).
[[nodiscard]] constexpr std::optional<Message> encode(const InterruptMessage& m, DestinationFormat f) {
  if (m.destination > max_destination(f)) return std::nullopt;
  if (!is_valid_delivery_mode(static_cast<unsigned>(m.delivery_mode))) return std::nullopt;
  const std::uint64_t dest = m.destination;
  std::uint64_t address = AddressFixed::make(kAddressFixedValue) | AddressDestination::make(dest & 0xFF) |
                          AddressRedirectionHint::make(m.redirection_hint ? 1 : 0) |
                          AddressDestinationMode::make(static_cast<std::uint64_t>(m.destination_mode));
  if (f == DestinationFormat::Extended15) address |= AddressExtendedDestination::make(dest >> 8);
  if (f == DestinationFormat::X2Apic32) address |= AddressHighDestination::make(dest >> 8);
  const std::uint32_t data = DataVector::make(m.vector) |
                             DataDeliveryMode::make(static_cast<std::uint32_t>(m.delivery_mode)) |
                             DataLevel::make(m.level_assert ? 1 : 0) |
                             DataTriggerMode::make(static_cast<std::uint32_t>(m.trigger_mode));
  return Message{address, data};
}

// Decodes a message written by a device. nullopt when the address is not in the
// interrupt range, uses the remappable format, carries destination bits the format does
// not define, or the delivery mode is reserved.
[[nodiscard]] constexpr std::optional<InterruptMessage> decode(const Message& msg, DestinationFormat f,
                                                               std::uint32_t source = 0) {
  if (AddressFixed::get(msg.address) != kAddressFixedValue) return std::nullopt;
  if (AddressRemappableFormat::test(msg.address)) return std::nullopt;
  const std::uint64_t ext = AddressExtendedDestination::get(msg.address);
  const std::uint64_t high = AddressHighDestination::get(msg.address);
  if (f != DestinationFormat::Extended15 && ext != 0) return std::nullopt;
  if (f != DestinationFormat::X2Apic32 && high != 0) return std::nullopt;
  const std::uint32_t mode = DataDeliveryMode::get(msg.data);
  if (!is_valid_delivery_mode(mode)) return std::nullopt;

  InterruptMessage m;
  m.destination = static_cast<std::uint32_t>(AddressDestination::get(msg.address) | (ext << 8) | (high << 8));
  m.destination_mode = static_cast<DestinationMode>(AddressDestinationMode::get(msg.address));
  m.redirection_hint = AddressRedirectionHint::test(msg.address);
  m.vector = static_cast<std::uint8_t>(DataVector::get(msg.data));
  m.delivery_mode = static_cast<DeliveryMode>(mode);
  m.trigger_mode = static_cast<TriggerMode>(DataTriggerMode::get(msg.data));
  m.level_assert = DataLevel::test(msg.data);
  m.source = source;
  return m;
}

}  // namespace irqshape::hw::msi
