// The MC146818 real-time clock's periodic interrupt, ISA IRQ 8 (Motorola MC146818A
// datasheet; CMOS index port 0x70, data port 0x71):
//   register A bits 3:0  rate select: frequency = 32768 >> (rate - 1) Hz, rate 3..15
//   register B bit 6     PIE, periodic interrupt enable
//   register C           flags (IRQF bit 7, PF bit 6), cleared by reading: the ISR must
//                        read it or the chip raises no further interrupt
#pragma once

#include <cstdint>

namespace guest::rtc {

inline constexpr std::uint8_t kIsaIrq = 8;
inline constexpr std::uint8_t kRate1024Hz = 6;
inline constexpr std::uint8_t kRate2048Hz = 5;

void start_periodic(std::uint8_t rate);
void stop();
// From the ISR: reads (and so clears) register C; true if the periodic flag was set.
[[nodiscard]] bool acknowledge();

}  // namespace guest::rtc
