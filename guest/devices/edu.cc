#include "devices/edu.h"

namespace guest::edu {

namespace {
constexpr std::uint32_t kIdentification = 0x00;
constexpr std::uint32_t kInterruptStatus = 0x24;
constexpr std::uint32_t kInterruptRaise = 0x60;
constexpr std::uint32_t kInterruptAcknowledge = 0x64;

// MSI capability (PCI 3.0, 6.8.1): id 0x05; message control at +2 (bit 0 enable, bits
// 6:4 multiple message enable, bit 7 64-bit address capable); address at +4, upper
// address at +8 (64-bit form) and data at +12, or data at +8 (32-bit form).
constexpr std::uint8_t kMsiCapabilityId = 0x05;
constexpr std::uint8_t kMsiControl = 2, kMsiAddress = 4, kMsiAddressHigh = 8, kMsiData64 = 12, kMsiData32 = 8;
constexpr std::uint16_t kMsiEnable = 1u << 0;
constexpr std::uint16_t kMsiMultipleEnableMask = 0x7u << 4;
constexpr std::uint16_t kMsi64Bit = 1u << 7;

volatile std::uint32_t& reg(std::uint64_t base, std::uint32_t offset) {
  return *reinterpret_cast<volatile std::uint32_t*>(base + offset);
}
std::uint8_t at(std::uint8_t cap, std::uint8_t offset) { return static_cast<std::uint8_t>(cap + offset); }
}  // namespace

std::uint32_t Device::identification() const { return reg(mmio, kIdentification); }
std::uint32_t Device::status() const { return reg(mmio, kInterruptStatus); }
void Device::raise(std::uint32_t bits) const { reg(mmio, kInterruptRaise) = bits; }
void Device::acknowledge(std::uint32_t bits) const { reg(mmio, kInterruptAcknowledge) = bits; }

void Device::enable_msi(const irqshape::hw::msi::Message& m) const {
  const std::uint16_t control = pci::read16(address, at(msi_capability, kMsiControl));
  const bool wide = (control & kMsi64Bit) != 0;
  pci::write32(address, at(msi_capability, kMsiAddress), static_cast<std::uint32_t>(m.address));
  if (wide) pci::write32(address, at(msi_capability, kMsiAddressHigh), static_cast<std::uint32_t>(m.address >> 32));
  pci::write16(address, at(msi_capability, wide ? kMsiData64 : kMsiData32), static_cast<std::uint16_t>(m.data));
  pci::write16(address, pci::kCommand, pci::read16(address, pci::kCommand) | pci::kCommandIntxDisable);
  pci::write16(address, at(msi_capability, kMsiControl),
               static_cast<std::uint16_t>((control & ~kMsiMultipleEnableMask) | kMsiEnable));
}

void Device::disable_msi() const {
  const std::uint16_t control = pci::read16(address, at(msi_capability, kMsiControl));
  pci::write16(address, at(msi_capability, kMsiControl), static_cast<std::uint16_t>(control & ~kMsiEnable));
  pci::write16(address, pci::kCommand,
               static_cast<std::uint16_t>(pci::read16(address, pci::kCommand) & ~pci::kCommandIntxDisable));
}

unsigned discover(Device* out, unsigned max) {
  unsigned n = 0;
  const bool q35 = pci::is_q35();
  for (std::uint8_t slot = 0; slot < pci::kSlotsPerBus && n < max; ++slot) {
    const pci::Address a{0, slot, 0};
    if (pci::read16(a, pci::kVendorId) != kVendor || pci::read16(a, pci::kDeviceId) != kDevice) continue;
    Device d;
    d.address = a;
    d.mmio = pci::bar0_memory(a);
    if (d.mmio == 0) continue;
    pci::write16(a, pci::kCommand, pci::read16(a, pci::kCommand) | pci::kCommandMemory | pci::kCommandBusMaster);
    d.interrupt_pin = pci::read8(a, pci::kInterruptPin);
    d.msi_capability = pci::find_capability(a, kMsiCapabilityId);
    d.intx_gsi = q35 ? pci::q35_intx_gsi(slot, d.interrupt_pin) : -1;
    if (d.msi_capability != 0) d.disable_msi();
    d.acknowledge(~0u);
    out[n++] = d;
  }
  return n;
}

}  // namespace guest::edu
