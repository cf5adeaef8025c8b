// The 8254 programmable interval timer, channel 0, wired to ISA IRQ 0 (on QEMU's q35 and
// pc machines the MADT overrides it to GSI 2). Two uses in the self-tests:
//   periodic   mode 2 (rate generator): a rising edge every period;
//   one-shot   mode 0 (interrupt on terminal count): exactly one rising edge `ticks`
//              input clocks after the count is written - an interrupt source whose
//              count of sent interrupts is known exactly.
// Intel 8254 datasheet (order 231164-005): control word at port 0x43, channel 0 data at
// 0x40, input clock 1.193182 MHz.
#pragma once

#include <cstdint>

namespace guest::pit {

inline constexpr std::uint8_t kIsaIrq = 0;
inline constexpr std::uint32_t kInputHz = 1'193'182;

void start_periodic(std::uint32_t hz);
void fire_once(std::uint16_t ticks);
// Ends a periodic run: a last one-shot of one tick (QEMU's 8254 keeps its old timer
// until a new count is written), after which the output stays high with no more edges.
void stop();

}  // namespace guest::pit
