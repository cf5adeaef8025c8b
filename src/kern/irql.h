// Interrupt request levels (NT's KIRQL) and how they map onto x86 vectors.
//
// The local APIC services vectors by priority class (vector bits 7:4) and masks classes
// at or below the task priority (TPR / CR8). The guest kernel makes IRQL *be* that class:
// raising IRQL to n writes CR8 = n, and a device at IRQL n gets a vector in class n.
// That is why the vector allocator only hands out vectors whose bits 7:4 equal the
// requested run level.
//
// Levels follow Windows on x64: 0 passive, 1 APC, 2 dispatch, 3..12 device IRQLs
// (DIRQL), 13 clock, 14 IPI, 15 high.
#pragma once

#include <cstdint>

namespace irqshape::kern {

using KIRQL = std::uint8_t;

inline constexpr KIRQL PASSIVE_LEVEL = 0;
inline constexpr KIRQL APC_LEVEL = 1;
inline constexpr KIRQL DISPATCH_LEVEL = 2;
inline constexpr KIRQL CLOCK_LEVEL = 13;
inline constexpr KIRQL IPI_LEVEL = 14;
inline constexpr KIRQL HIGH_LEVEL = 15;

inline constexpr KIRQL kMinDeviceIrql = 3;
inline constexpr KIRQL kMaxDeviceIrql = 12;

[[nodiscard]] constexpr bool is_device_irql(unsigned irql) { return irql >= kMinDeviceIrql && irql <= kMaxDeviceIrql; }
[[nodiscard]] constexpr KIRQL irql_of_vector(unsigned vector) { return static_cast<KIRQL>((vector >> 4) & 0xF); }
[[nodiscard]] constexpr unsigned first_vector_of(KIRQL irql) { return static_cast<unsigned>(irql & 0xF) << 4; }

}  // namespace irqshape::kern
