// The vectors the kernel keeps for itself on every CPU. Everything outside the device
// IRQL classes (3..12, vectors 0x30-0xCF) is reserved:
//   0x00-0x1F  processor exceptions
//   0x20-0x2F  DISPATCH_LEVEL class: the move-cleanup IPI (0x20) and software interrupts
//   0xD0-0xFF  clock, IPI and high classes: timers, IPIs, APIC error, spurious (0xFF)
#pragma once

#include <cstdint>

#include "kern/irql.h"

namespace irqshape::kern {

// Sent to a CPU to free a vector an interrupt line just left, or a released source's
// vector (see routing.h). It sits in the lowest class, like Linux's
// IRQ_MOVE_CLEANUP_VECTOR: when the CPU takes it, every higher-priority vector already
// pending there has been serviced, so the check "is the vector still pending or in
// service here?" rarely has to be retried.
inline constexpr std::uint8_t kMoveCleanupVector = 0x20;
// Programmed into every local APIC's spurious-interrupt vector register. Its low nibble
// is 0xF as P6-family processors require. Never EOI'd (SDM 10.9).
inline constexpr std::uint8_t kSpuriousVector = 0xFF;

[[nodiscard]] constexpr bool is_system_vector(unsigned vector) { return !is_device_irql(irql_of_vector(vector)); }

}  // namespace irqshape::kern
