// The handle and description of an allocated interrupt source (an I/O APIC line or an
// MSI): what NT's HalGetInterruptVector hands a driver to pass on to IoConnectInterrupt.
#pragma once

#include <cstdint>

#include "hw/interrupt_message.h"
#include "kern/affinity.h"
#include "kern/irql.h"

namespace irqshape::kern {

// Index into the core's source table plus a generation, so a handle kept after its
// source was released is refused (STATUS_INVALID_PARAMETER) instead of reaching the
// source's next owner. A record whose generation has reached its last value is retired
// rather than reused, so no generation ever comes round again.
struct SystemVector {
  std::uint16_t index = 0xFFFF;
  std::uint32_t generation = 0;
  friend constexpr bool operator==(const SystemVector&, const SystemVector&) = default;
};

enum class SourceKind : std::uint8_t { Unused, IoApicLine, Message };

struct SystemInterrupt {
  SystemVector Vector;
  KIRQL Irql = 0;
  KAFFINITY Affinity = 0;  // CPUs the line may be moved among (pass to IoConnectInterrupt)
  unsigned Cpu = 0;        // where it is routed now
  std::uint8_t IdtVector = 0;
  SourceKind Kind = SourceKind::Unused;
  std::uint32_t Gsi = 0;   // I/O APIC lines only
  hw::TriggerMode Trigger = hw::TriggerMode::Edge;
  hw::Polarity Polarity = hw::Polarity::ActiveHigh;
};

}  // namespace irqshape::kern
