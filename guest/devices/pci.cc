#include "devices/pci.h"

#include "arch/x86.h"
#include "kernel/irq_lock.h"

namespace guest::pci {

namespace {
constexpr std::uint16_t kConfigAddress = 0xCF8;
constexpr std::uint16_t kConfigData = 0xCFC;
// CONFIG_ADDRESS: enable bit 31, bus 23:16, device 15:11, function 10:8, dword-aligned
// register 7:2.
constexpr std::uint32_t kEnable = 1u << 31;
constexpr unsigned kBusShift = 16, kSlotShift = 11, kFunctionShift = 8;
constexpr std::uint32_t kSlotMask = 0x1F, kFunctionMask = 0x7, kRegisterMask = 0xFC;
constexpr std::uint8_t kCapabilityNext = 1;
constexpr unsigned kMaxCapabilities = 48;  // (256 - 64) / 4: bounds a looping list
constexpr int kQ35LastRoutedSlot = 24;
constexpr int kPirqE = 4, kPirqsPerGroup = 4, kFirstPirqGsi = 16;

IrqLock lock;  // CONFIG_ADDRESS then CONFIG_DATA

std::uint32_t config_address(Address a, std::uint8_t offset) {
  return kEnable | (static_cast<std::uint32_t>(a.bus) << kBusShift) | ((a.slot & kSlotMask) << kSlotShift) |
         ((a.function & kFunctionMask) << kFunctionShift) | (offset & kRegisterMask);
}
}  // namespace

std::uint32_t read32(Address a, std::uint8_t offset) {
  IrqLock::Guard g(lock);
  x86::outl(kConfigAddress, config_address(a, offset));
  return x86::inl(kConfigData);
}

std::uint16_t read16(Address a, std::uint8_t offset) {
  return static_cast<std::uint16_t>(read32(a, offset) >> ((offset & 2) * 8));
}

std::uint8_t read8(Address a, std::uint8_t offset) {
  return static_cast<std::uint8_t>(read32(a, offset) >> ((offset & 3) * 8));
}

void write32(Address a, std::uint8_t offset, std::uint32_t value) {
  IrqLock::Guard g(lock);
  x86::outl(kConfigAddress, config_address(a, offset));
  x86::outl(kConfigData, value);
}

// A 16-bit access to 0xCFC + (offset & 2), not a read-modify-write of the dword: writing
// the Command register that way would write back the Status register's write-1-to-clear
// bits it read (PCI 3.0, 6.2.3) and clear them.
void write16(Address a, std::uint8_t offset, std::uint16_t value) {
  IrqLock::Guard g(lock);
  x86::outl(kConfigAddress, config_address(a, offset));
  x86::outw(static_cast<std::uint16_t>(kConfigData + (offset & 2)), value);
}

std::uint8_t find_capability(Address a, std::uint8_t id) {
  if ((read16(a, kStatus) & kStatusCapabilities) == 0) return 0;
  std::uint8_t at = read8(a, kCapabilitiesPointer) & kRegisterMask;  // the low 2 bits are reserved
  for (unsigned n = 0; at != 0 && n < kMaxCapabilities; ++n) {
    if (read8(a, at) == id) return at;
    at = read8(a, static_cast<std::uint8_t>(at + kCapabilityNext)) & kRegisterMask;
  }
  return 0;
}

std::uint64_t bar0_memory(Address a) {
  const std::uint32_t low = read32(a, kBar0);
  if ((low & 1u) != 0) return 0;  // I/O BAR
  std::uint64_t address = low & kBarMemoryAddressMask;
  if ((low & kBarMemoryTypeMask) == kBarMemory64) address |= static_cast<std::uint64_t>(read32(a, kBar0 + 4)) << 32;
  return address;
}

bool is_q35() {
  const Address host{0, 0, 0};
  return read16(host, kVendorId) == kVendorIntel && read16(host, kDeviceId) == kDeviceQ35HostBridge;
}

int q35_intx_gsi(std::uint8_t slot, std::uint8_t interrupt_pin) {
  if (interrupt_pin == 0 || interrupt_pin > 4 || slot > kQ35LastRoutedSlot) return -1;
  const int pirq = (slot + (interrupt_pin - 1)) % kPirqsPerGroup + kPirqE;
  return kFirstPirqGsi + pirq;
}

}  // namespace guest::pci
