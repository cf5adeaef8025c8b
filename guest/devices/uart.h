// The PC's first serial port, a National Semiconductor PC16550D UART at I/O 0x3F8 wired
// to ISA IRQ 4. Transmit is polled (the console); receive is interrupt driven: the
// self-test connects an ISR through IoConnectInterrupt and the harness types into it.
//
// Register offsets and bits: PC16550D datasheet (June 1995), table II "Register Summary".
// No lock is shared between the transmit path and the ISR: they touch different
// registers (THR and LSR.THRE vs. RBR, LSR.DR and IIR), none of them a select-then-
// access pair, and with the transmit interrupt disabled reading IIR clears nothing the
// transmit path depends on.
#pragma once

#include <cstdint>

namespace guest::uart {

inline constexpr std::uint16_t kCom1 = 0x3F8;
inline constexpr std::uint8_t kCom1IsaIrq = 4;

// Programs 115200 8N1, FIFOs on (receive trigger: 1 byte), all interrupts off, OUT2 on
// (OUT2 gates the UART's interrupt output onto the ISA bus on PC boards).
void init();
void put(char c);  // polls THRE; no lock (callers serialize: kernel/console.h)

// Receive interrupts on or off (IER.ERBFI).
void enable_receive_interrupt(bool on);
// Reads IIR (the interrupt identification); true if a receive interrupt (data available
// or character timeout) is pending.
[[nodiscard]] bool receive_interrupt_pending();
// Reads one byte if LSR.DR says one is waiting.
[[nodiscard]] bool read_byte(std::uint8_t& out);

}  // namespace guest::uart
