#include "devices/pit.h"

#include "arch/x86.h"
#include "kernel/irq_lock.h"

namespace guest::pit {

namespace {
constexpr std::uint16_t kChannel0 = 0x40;
constexpr std::uint16_t kControl = 0x43;
// Control word: channel 0 (bits 7:6 = 00), access low then high byte (bits 5:4 = 11),
// mode in bits 3:1, binary counting (bit 0 = 0).
constexpr std::uint8_t kSelectChannel0 = 0x00;
constexpr std::uint8_t kAccessLowHigh = 0x30;
constexpr std::uint8_t kMode0TerminalCount = 0x0 << 1;
constexpr std::uint8_t kMode2RateGenerator = 0x2 << 1;
constexpr std::uint32_t kMaxDivisor = 0xFFFF;

IrqLock lock;  // the control word and the two data bytes must not interleave

void program(std::uint8_t mode, std::uint16_t count) {
  IrqLock::Guard g(lock);
  x86::outb(kControl, kSelectChannel0 | kAccessLowHigh | mode);
  x86::outb(kChannel0, static_cast<std::uint8_t>(count & 0xFF));
  x86::outb(kChannel0, static_cast<std::uint8_t>(count >> 8));
}
}  // namespace

void start_periodic(std::uint32_t hz) {
  std::uint32_t divisor = kInputHz / hz;
  if (divisor < 2) divisor = 2;  // mode 2 needs a count of at least 2
  if (divisor > kMaxDivisor) divisor = kMaxDivisor;
  program(kMode2RateGenerator, static_cast<std::uint16_t>(divisor));
}

void fire_once(std::uint16_t ticks) { program(kMode0TerminalCount, ticks == 0 ? 1 : ticks); }

void stop() { program(kMode0TerminalCount, 1); }

}  // namespace guest::pit
