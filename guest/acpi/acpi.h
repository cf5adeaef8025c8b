// The ACPI tables the guest needs, read once at boot (ACPI 6.4 specification):
//   RSDP (5.2.5) -> XSDT (5.2.8) or RSDT (5.2.7) -> MADT "APIC" (5.2.12) and the HPET
//   table ("HPET", IA-PC HPET specification 1.0a, 3.2.4).
// From the MADT: the local APIC ids of the enabled processors (types 0 and 9), the I/O
// APICs with their GSI base (type 1), the interrupt source overrides (type 2) and the
// local APIC address (header, or the 64-bit override of type 5).
// Every table's checksum is verified; a bad one is reported, not used.
//
// Firmware lengths and addresses are not trusted: every table must be at least its
// fixed header long and at most kMaxTableLength, every MADT entry at least as long as
// its type's fields, and everything read must lie in the memory the parser was given
// (the kernel's identity map: below 4 GiB). A table that fails is refused with an error
// naming it and what is wrong, never read past its end. Device register blocks (local
// APIC page, I/O APICs, HPET) must be nonzero, aligned to their size and wholly in the
// identity map's uncached device window (acpi.cc, register_block_error).
#pragma once

#include <cstddef>
#include <cstdint>

#include "boot/layout.h"
#include "kern/source_override.h"

namespace guest::acpi {

inline constexpr unsigned kMaxProcessors = 64;
inline constexpr unsigned kMaxIoApics = 8;
inline constexpr unsigned kMaxOverrides = 16;
inline constexpr std::uint32_t kMaxTableLength = 256 * 1024;  // no table the guest reads is near this
// The end of the identity map, and the start of its uncached part: device registers (local
// APIC, I/O APICs, HPET) must lie wholly in [kDeviceWindowBegin, kIdentityMapEnd).
inline constexpr std::uint64_t kIdentityMapEnd = std::uint64_t{GUEST_IDENTITY_MAP_GIB} << 30;
inline constexpr std::uint64_t kDeviceWindowBegin = std::uint64_t{GUEST_UNCACHED_FROM_GIB} << 30;

// The physical memory the parser may read: [begin, end), physical address a at host
// address a + bias. The kernel's is its identity map; hosted tests and the fuzz target
// map a buffer.
struct PhysicalMemory {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uintptr_t bias = 0;
  // The `length` bytes at `physical`, or nullptr when any of them lies outside.
  const std::uint8_t* view(std::uint64_t physical, std::uint64_t length) const {
    if (physical < begin || physical > end || length > end - physical) return nullptr;
    return reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(physical) + bias);
  }
};

struct IoApicEntry {
  std::uint8_t id = 0;
  std::uint64_t address = 0;
  std::uint32_t gsi_base = 0;
};

struct Platform {
  std::uint64_t rsdp = 0;
  bool rsdp_from_loader = false;  // hvm_start_info.rsdp_paddr, rather than the BIOS-area scan
  std::uint8_t revision = 0;
  bool xsdt = false;
  std::uint64_t local_apic_address = 0;
  bool pcat_compat = false;  // MADT flag: dual 8259s present (must be masked)
  std::uint32_t processor_apic_ids[kMaxProcessors] = {};  // enabled processors, MADT order
  unsigned processors = 0;
  unsigned processors_disabled = 0;  // listed but neither enabled nor online-capable
  unsigned processors_duplicate = 0;  // enabled entries repeating an APIC id already listed (ignored)
  IoApicEntry ioapics[kMaxIoApics] = {};
  unsigned ioapic_count = 0;
  irqshape::kern::SourceOverride overrides[kMaxOverrides] = {};
  unsigned override_count = 0;
  std::uint64_t hpet_address = 0;  // 0 when there is no HPET table
};

// Finds the RSDP (the loader's pointer if nonzero, else the BIOS areas: the first KiB of
// the EBDA and 0xE0000-0xFFFFF, ACPI 5.2.5.1) and parses. Returns false with `error`
// set when something needed is missing or corrupt.
// `error` names the table (and MADT entry type) and what is wrong with it.
bool parse(std::uint64_t rsdp_hint, Platform& out, const char*& error);

// The same over `memory` (hosted tests, the fuzz target).
bool parse(std::uint64_t rsdp_hint, const PhysicalMemory& memory, Platform& out, const char*& error);

}  // namespace guest::acpi
