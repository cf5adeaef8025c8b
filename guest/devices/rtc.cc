#include "devices/rtc.h"

#include "arch/x86.h"
#include "kernel/irq_lock.h"

namespace guest::rtc {

namespace {
constexpr std::uint16_t kIndex = 0x70;
constexpr std::uint16_t kData = 0x71;
constexpr std::uint8_t kRegisterA = 0x0A, kRegisterB = 0x0B, kRegisterC = 0x0C;
constexpr std::uint8_t kRateMask = 0x0F;
constexpr std::uint8_t kPeriodicEnable = 1u << 6;  // register B PIE
constexpr std::uint8_t kPeriodicFlag = 1u << 6;    // register C PF
constexpr std::uint8_t kMinRate = 3, kMaxRate = 15;

IrqLock lock;  // index/data is a select-then-access pair

std::uint8_t read(std::uint8_t reg) {
  x86::outb(kIndex, reg);
  return x86::inb(kData);
}
void write(std::uint8_t reg, std::uint8_t value) {
  x86::outb(kIndex, reg);
  x86::outb(kData, value);
}
}  // namespace

void start_periodic(std::uint8_t rate) {
  if (rate < kMinRate) rate = kMinRate;
  if (rate > kMaxRate) rate = kMaxRate;
  IrqLock::Guard g(lock);
  write(kRegisterA, static_cast<std::uint8_t>((read(kRegisterA) & ~kRateMask) | rate));
  write(kRegisterB, read(kRegisterB) | kPeriodicEnable);
  (void)read(kRegisterC);  // clear a stale flag so the first period raises the line
}

void stop() {
  IrqLock::Guard g(lock);
  write(kRegisterB, read(kRegisterB) & static_cast<std::uint8_t>(~kPeriodicEnable));
  (void)read(kRegisterC);
}

bool acknowledge() {
  IrqLock::Guard g(lock);
  return (read(kRegisterC) & kPeriodicFlag) != 0;
}

}  // namespace guest::rtc
