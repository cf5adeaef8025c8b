#include "devices/uart.h"

#include "arch/x86.h"

namespace guest::uart {

namespace {
// PC16550D register offsets from the base port (DLAB = LCR bit 7 selects DLL/DLM).
constexpr std::uint16_t kRbrThr = 0;  // receive buffer / transmit holding; DLL with DLAB
constexpr std::uint16_t kIer = 1;     // interrupt enable; DLM with DLAB
constexpr std::uint16_t kIirFcr = 2;  // interrupt identification (read) / FIFO control (write)
constexpr std::uint16_t kLcr = 3;
constexpr std::uint16_t kMcr = 4;
constexpr std::uint16_t kLsr = 5;

constexpr std::uint8_t kIerReceiveData = 1u << 0;  // ERBFI
constexpr std::uint8_t kLcrDlab = 1u << 7;
constexpr std::uint8_t kLcr8N1 = 0x03;             // 8 data bits, no parity, 1 stop bit
constexpr std::uint8_t kFcrEnable = 1u << 0;
constexpr std::uint8_t kFcrClearReceive = 1u << 1;
constexpr std::uint8_t kFcrClearTransmit = 1u << 2;
constexpr std::uint8_t kFcrTrigger1 = 0x00;        // receive trigger level 1 byte (bits 7:6)
constexpr std::uint8_t kMcrDtr = 1u << 0;
constexpr std::uint8_t kMcrRts = 1u << 1;
constexpr std::uint8_t kMcrOut2 = 1u << 3;
constexpr std::uint8_t kLsrDataReady = 1u << 0;
constexpr std::uint8_t kLsrThrEmpty = 1u << 5;
constexpr std::uint8_t kIirNoInterrupt = 1u << 0;
constexpr std::uint8_t kIirIdMask = 0x0E;
constexpr std::uint8_t kIirReceiveData = 0x04;     // received data available
constexpr std::uint8_t kIirCharTimeout = 0x0C;     // FIFO character timeout

// The 16550 divides a 1.8432 MHz clock by 16 * divisor: divisor 1 is 115200 baud.
constexpr std::uint16_t kDivisor115200 = 1;

std::uint16_t port(std::uint16_t reg) { return static_cast<std::uint16_t>(kCom1 + reg); }
}  // namespace

void init() {
  x86::outb(port(kIer), 0);
  x86::outb(port(kLcr), kLcrDlab);
  x86::outb(port(kRbrThr), static_cast<std::uint8_t>(kDivisor115200 & 0xFF));
  x86::outb(port(kIer), static_cast<std::uint8_t>(kDivisor115200 >> 8));
  x86::outb(port(kLcr), kLcr8N1);
  x86::outb(port(kIirFcr), kFcrEnable | kFcrClearReceive | kFcrClearTransmit | kFcrTrigger1);
  x86::outb(port(kMcr), kMcrDtr | kMcrRts | kMcrOut2);
}

void put(char c) {
  while ((x86::inb(port(kLsr)) & kLsrThrEmpty) == 0) x86::pause();
  x86::outb(port(kRbrThr), static_cast<std::uint8_t>(c));
}

void enable_receive_interrupt(bool on) { x86::outb(port(kIer), on ? kIerReceiveData : 0); }

bool receive_interrupt_pending() {
  const std::uint8_t iir = x86::inb(port(kIirFcr));
  if ((iir & kIirNoInterrupt) != 0) return false;
  const std::uint8_t id = iir & kIirIdMask;
  return id == kIirReceiveData || id == kIirCharTimeout;
}

bool read_byte(std::uint8_t& out) {
  if ((x86::inb(port(kLsr)) & kLsrDataReady) == 0) return false;
  out = x86::inb(port(kRbrThr));
  return true;
}

}  // namespace guest::uart
