#include "devices/pic.h"

#include <cstdint>

#include "arch/x86.h"

namespace guest::pic {

namespace {
// Intel 8259A datasheet: ICW1-ICW4 then OCW1 (the mask).
constexpr std::uint16_t kMasterCommand = 0x20, kMasterData = 0x21;
constexpr std::uint16_t kSlaveCommand = 0xA0, kSlaveData = 0xA1;
constexpr std::uint8_t kIcw1InitWithIcw4 = 0x11;
constexpr std::uint8_t kMasterBase = 0xF0, kSlaveBase = 0xF8;  // out of the way; never delivered
constexpr std::uint8_t kMasterHasSlaveOnIr2 = 0x04, kSlaveIdentity = 0x02;
constexpr std::uint8_t kIcw4x86 = 0x01;
constexpr std::uint8_t kMaskAll = 0xFF;
}  // namespace

void disable() {
  x86::outb(kMasterCommand, kIcw1InitWithIcw4);
  x86::outb(kSlaveCommand, kIcw1InitWithIcw4);
  x86::outb(kMasterData, kMasterBase);
  x86::outb(kSlaveData, kSlaveBase);
  x86::outb(kMasterData, kMasterHasSlaveOnIr2);
  x86::outb(kSlaveData, kSlaveIdentity);
  x86::outb(kMasterData, kIcw4x86);
  x86::outb(kSlaveData, kIcw4x86);
  x86::outb(kMasterData, kMaskAll);
  x86::outb(kSlaveData, kMaskAll);
}

}  // namespace guest::pic
