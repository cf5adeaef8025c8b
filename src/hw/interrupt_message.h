// An interrupt message as it travels from an interrupt controller (I/O APIC redirection
// entry, MSI write, IPI) to local APICs: the architectural fields of the APIC message
// format, plus the source that raised it.
#pragma once

#include <cstdint>

namespace irqshape::hw {

// Intel SDM vol. 3, 10.6.1 / 82093AA datasheet 3.2.4: delivery mode encodings.
enum class DeliveryMode : std::uint8_t {
  Fixed = 0b000,
  LowestPriority = 0b001,
  Smi = 0b010,
  Nmi = 0b100,
  Init = 0b101,
  StartUp = 0b110,
  ExtInt = 0b111,
};

enum class DestinationMode : std::uint8_t { Physical = 0, Logical = 1 };
enum class TriggerMode : std::uint8_t { Edge = 0, Level = 1 };
enum class Polarity : std::uint8_t { ActiveHigh = 0, ActiveLow = 1 };

// Whether `encoding` is a delivery mode an MSI data word or an I/O APIC redirection
// entry may carry: 011 and 110 are reserved there (SDM vol. 3A 10.11.2; 82093AA
// datasheet 3.2.4). Only the ICR gives 110 a meaning (StartUp, SDM 10.6.1); an IPI is
// built from the ICR without this check.
[[nodiscard]] constexpr bool is_valid_delivery_mode(unsigned encoding) {
  return encoding <= 0b111 && encoding != 0b011 && encoding != 0b110;
}

// First vector a device may use: 0-31 are the processor's exceptions (0-15 are illegal
// on the APIC bus altogether, SDM 10.5.3).
inline constexpr unsigned kFirstDeviceVector = 32;
inline constexpr unsigned kFirstLegalApicVector = 16;

struct InterruptMessage {
  // Physical: an APIC id (8 bits xAPIC, 15 with the extended destination id, 32 in
  // x2APIC). Logical: a logical destination (flat/cluster mask or x2APIC cluster:mask).
  std::uint32_t destination = 0;
  std::uint8_t vector = 0;
  DeliveryMode delivery_mode = DeliveryMode::Fixed;
  DestinationMode destination_mode = DestinationMode::Physical;
  TriggerMode trigger_mode = TriggerMode::Edge;
  bool level_assert = true;        // level-triggered messages: assert (1) or deassert
  bool redirection_hint = false;   // MSI RH bit: lowest-priority style redirection allowed
  // Not architectural: who raised the message (GSI for an I/O APIC pin, a requester id
  // for MSI), the way an interrupt-remapping or shaping unit on the path sees it.
  std::uint32_t source = 0;

  friend constexpr bool operator==(const InterruptMessage&, const InterruptMessage&) = default;
};

}  // namespace irqshape::hw
