// The ACPI tables the guest needs, read once at boot (ACPI 6.4 specification):
//   RSDP (5.2.5) -> XSDT (5.2.8) or RSDT (5.2.7) -> MADT "APIC" (5.2.12) and the HPET
//   table ("HPET", IA-PC HPET specification 1.0a, 3.2.4).
// From the MADT: the local APIC ids of the enabled processors (types 0 and 9), the I/O
// APICs with their GSI base (type 1), the interrupt source overrides (type 2) and the
// local APIC address (header, or the 64-bit override of type 5).
// Every table's checksum is verified; a bad one is reported, not used.
#pragma once

#include <cstdint>

#include "kern/source_override.h"

namespace guest::acpi {

inline constexpr unsigned kMaxProcessors = 64;
inline constexpr unsigned kMaxIoApics = 8;
inline constexpr unsigned kMaxOverrides = 16;

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
  IoApicEntry ioapics[kMaxIoApics] = {};
  unsigned ioapic_count = 0;
  irqshape::kern::SourceOverride overrides[kMaxOverrides] = {};
  unsigned override_count = 0;
  std::uint64_t hpet_address = 0;  // 0 when there is no HPET table
};

// Finds the RSDP (the loader's pointer if nonzero, else the BIOS areas: the first KiB of
// the EBDA and 0xE0000-0xFFFFF, ACPI 5.2.5.1) and parses. Returns false with `error`
// set when something needed is missing or corrupt.
bool parse(std::uint64_t rsdp_hint, Platform& out, const char*& error);

}  // namespace guest::acpi
