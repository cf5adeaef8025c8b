// The vectors the guest platform owns. src/kern reserves every vector outside the device
// classes 3-12 (kern/system_vectors.h) and uses two of them itself: 0x20 (move cleanup)
// and 0xFF (the APIC spurious vector). The platform takes these from the classes kern
// leaves to it, one per purpose, at the IRQL the class stands for (kern/irql.h):
#pragma once

#include <cstdint>

namespace guest {

// Class 13 (CLOCK_LEVEL): the local APIC timer, used only to wake a CPU that waits in
// HLT for something with a deadline (kernel/clock.h).
inline constexpr std::uint8_t kTimerVector = 0xD0;
// Class 14 (IPI_LEVEL): "look at your work mailbox" (smp/cpu_work.h).
inline constexpr std::uint8_t kWakeupVector = 0xE0;
// Class 15 (HIGH_LEVEL): the local APIC's LVT error interrupt.
inline constexpr std::uint8_t kApicErrorVector = 0xFE;

}  // namespace guest
