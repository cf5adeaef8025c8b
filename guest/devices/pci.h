// PCI configuration space through configuration mechanism #1 (PCI Local Bus
// Specification 3.0, 3.2.2.3.2): CONFIG_ADDRESS at port 0xCF8, CONFIG_DATA at 0xCFC.
// Enough for bus 0, which is where QEMU puts -device edu; the BARs are the ones the
// firmware (SeaBIOS) assigned before the kernel started.
#pragma once

#include <cstdint>

namespace guest::pci {

struct Address {
  std::uint8_t bus = 0;
  std::uint8_t slot = 0;
  std::uint8_t function = 0;
};

// Standard header offsets and bits (PCI 3.0, 6.1 and 6.2).
inline constexpr std::uint8_t kVendorId = 0x00;
inline constexpr std::uint8_t kDeviceId = 0x02;
inline constexpr std::uint8_t kCommand = 0x04;
inline constexpr std::uint8_t kStatus = 0x06;
inline constexpr std::uint8_t kBar0 = 0x10;
inline constexpr std::uint8_t kCapabilitiesPointer = 0x34;
inline constexpr std::uint8_t kInterruptPin = 0x3D;  // 1 = INTA# .. 4 = INTD#, 0 = none
inline constexpr std::uint16_t kCommandMemory = 1u << 1;
inline constexpr std::uint16_t kCommandBusMaster = 1u << 2;  // needed for MSI writes
inline constexpr std::uint16_t kCommandIntxDisable = 1u << 10;
inline constexpr std::uint16_t kStatusCapabilities = 1u << 4;
inline constexpr std::uint32_t kBarMemoryTypeMask = 0x6, kBarMemory64 = 0x4;
inline constexpr std::uint32_t kBarMemoryAddressMask = ~0xFu;
inline constexpr std::uint16_t kNoDevice = 0xFFFF;
inline constexpr unsigned kSlotsPerBus = 32;

std::uint32_t read32(Address a, std::uint8_t offset);
std::uint16_t read16(Address a, std::uint8_t offset);
std::uint8_t read8(Address a, std::uint8_t offset);
void write32(Address a, std::uint8_t offset, std::uint32_t value);
void write16(Address a, std::uint8_t offset, std::uint16_t value);

// Offset of the first capability with `id`, 0 if none (PCI 3.0, 6.7).
std::uint8_t find_capability(Address a, std::uint8_t id);
// Memory BAR 0's address (32- or 64-bit), 0 if it is not a memory BAR.
std::uint64_t bar0_memory(Address a);

// Host bridge identity, to know which chipset's INTx routing applies.
inline constexpr std::uint16_t kVendorIntel = 0x8086;
inline constexpr std::uint16_t kDeviceQ35HostBridge = 0x29C0;  // 82G33/G31/P35/P31 DRAM controller (QEMU q35)
[[nodiscard]] bool is_q35();

// The GSI a bus-0 device's INTx pin reaches on QEMU's q35 in APIC mode. QEMU wires
// slots 0-24 so that pin p (0 = INTA) of slot s drives PIRQ[(s + p) % 4 + 4], i.e.
// PIRQ E-H (hw/isa/lpc_ich9.c, ich9_cc_init; the DSDT's _PRT says the same), and the
// ICH9 connects PIRQ A-H to I/O APIC inputs 16-23. Returns -1 outside that range.
[[nodiscard]] int q35_intx_gsi(std::uint8_t slot, std::uint8_t interrupt_pin);

}  // namespace guest::pci
