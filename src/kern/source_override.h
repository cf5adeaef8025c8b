// ACPI interrupt source overrides (MADT type 2) and the rule that turns a line request
// into a GSI with trigger mode and polarity.
//
// ISA IRQ n is GSI n, edge, active high, unless an override says otherwise (typically
// IRQ 0 -> GSI 2, and IRQ 9 level/active low for the SCI). An override's flags may say
// "conforms to the bus", meaning the ISA defaults. A GSI that no ISA IRQ maps to and
// that is above the ISA range is a PCI-style line: level, active low. Whatever the
// caller states explicitly wins over all of that.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "hw/interrupt_message.h"
#include "kern/status.h"

namespace irqshape::kern {

struct SourceOverride {
  std::uint8_t isa_irq = 0;
  std::uint32_t gsi = 0;
  std::optional<hw::Polarity> polarity;      // nullopt: conforms to the bus (ISA: high)
  std::optional<hw::TriggerMode> trigger;    // nullopt: conforms to the bus (ISA: edge)
};

// What a driver asks for: an ISA IRQ or a GSI, optionally with explicit line settings.
struct LineRequest {
  enum class Kind : std::uint8_t { IsaIrq, Gsi };
  Kind kind = Kind::Gsi;
  std::uint32_t number = 0;
  std::optional<hw::TriggerMode> trigger;
  std::optional<hw::Polarity> polarity;
  const char* owner = "";  // shown by the debug dump; must outlive the allocation

  [[nodiscard]] static constexpr LineRequest gsi(std::uint32_t gsi, const char* owner = "") {
    return {Kind::Gsi, gsi, std::nullopt, std::nullopt, owner};
  }
  [[nodiscard]] static constexpr LineRequest isa_irq(std::uint8_t irq, const char* owner = "") {
    return {Kind::IsaIrq, irq, std::nullopt, std::nullopt, owner};
  }
};

struct ResolvedLine {
  std::uint32_t gsi = 0;
  hw::TriggerMode trigger = hw::TriggerMode::Edge;
  hw::Polarity polarity = hw::Polarity::ActiveHigh;
  friend constexpr bool operator==(const ResolvedLine&, const ResolvedLine&) = default;
};

class SourceOverrideTable {
 public:
  static constexpr unsigned kMaxOverrides = 16;
  static constexpr unsigned kIsaIrqs = 16;

  // STATUS_INVALID_PARAMETER_1 for an IRQ outside 0-15, STATUS_INSUFFICIENT_RESOURCES when
  // full. A second override for the same IRQ replaces the first.
  NTSTATUS add(const SourceOverride& o);
  // STATUS_INVALID_PARAMETER_1 for an ISA IRQ outside 0-15.
  [[nodiscard]] NTSTATUS resolve(const LineRequest& request, ResolvedLine& out) const;

 private:
  [[nodiscard]] const SourceOverride* by_irq(std::uint32_t irq) const;
  [[nodiscard]] const SourceOverride* by_gsi(std::uint32_t gsi) const;

  std::array<SourceOverride, kMaxOverrides> entries_{};
  unsigned count_ = 0;
};

}  // namespace irqshape::kern
