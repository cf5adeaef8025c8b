// QEMU's "edu" educational PCI device (vendor 0x1234, device 0x11e8; QEMU
// docs/specs/edu.rst and hw/misc/edu.c): an interrupt source software can fire on
// command. BAR 0 is 1 MiB of MMIO:
//   0x00 identification (0x010000ed for version 1.0)
//   0x24 interrupt status (the bits raised and not yet acknowledged)
//   0x60 interrupt raise: status |= value, then an MSI (when enabled) or INTx asserted
//   0x64 interrupt acknowledge: status &= ~value; INTx deasserted when status is 0
// With MSI enabled every raise sends one message, even if status was already nonzero;
// with MSI disabled INTx is a level held while status != 0.
// The MSI capability is 64-bit capable, one vector, no per-vector masking.
#pragma once

#include <cstdint>

#include "devices/pci.h"
#include "hw/msi.h"

namespace guest::edu {

inline constexpr std::uint16_t kVendor = 0x1234;
inline constexpr std::uint16_t kDevice = 0x11E8;
inline constexpr unsigned kMaxDevices = 4;

struct Device {
  pci::Address address;
  std::uint64_t mmio = 0;
  std::uint8_t interrupt_pin = 0;
  std::uint8_t msi_capability = 0;  // config offset, 0 if none
  int intx_gsi = -1;                // q35 routing, -1 if unknown

  [[nodiscard]] std::uint32_t identification() const;
  [[nodiscard]] std::uint32_t status() const;
  void raise(std::uint32_t bits) const;
  void acknowledge(std::uint32_t bits) const;

  // Writes the message and enables MSI (INTx disabled); or turns MSI off (INTx back on).
  void enable_msi(const irqshape::hw::msi::Message& message) const;
  void disable_msi() const;
};

// Every edu on bus 0, memory decoding and bus mastering enabled, MSI off. Returns how many.
unsigned discover(Device* out, unsigned max);

}  // namespace guest::edu
