#include "acpi/acpi.h"

#include <cstddef>
#include <optional>

namespace guest::acpi {

namespace {

using irqshape::hw::Polarity;
using irqshape::hw::TriggerMode;

// ACPI 6.4, 5.2.5.3 (RSDP) and 5.2.6 (system description table header).
struct [[gnu::packed]] Rsdp {
  char signature[8];  // "RSD PTR "
  std::uint8_t checksum;
  char oem_id[6];
  std::uint8_t revision;  // 0: ACPI 1.0 (RSDT only), 2: XSDT present
  std::uint32_t rsdt_address;
  std::uint32_t length;
  std::uint64_t xsdt_address;
  std::uint8_t extended_checksum;
  std::uint8_t reserved[3];
};
constexpr std::size_t kRsdpV1Length = 20;

struct [[gnu::packed]] TableHeader {
  char signature[4];
  std::uint32_t length;
  std::uint8_t revision;
  std::uint8_t checksum;
  char oem_id[6];
  char oem_table_id[8];
  std::uint32_t oem_revision;
  std::uint32_t creator_id;
  std::uint32_t creator_revision;
};

// MADT (5.2.12): header, local APIC address, flags, then variable-length entries.
struct [[gnu::packed]] Madt {
  TableHeader header;
  std::uint32_t local_apic_address;
  std::uint32_t flags;
};
constexpr std::uint32_t kMadtPcatCompat = 1u << 0;

enum MadtType : std::uint8_t {
  kLocalApic = 0,          // 5.2.12.2
  kIoApic = 1,             // 5.2.12.3
  kSourceOverride = 2,     // 5.2.12.5
  kLocalApicOverride = 5,  // 5.2.12.8
  kLocalX2Apic = 9,        // 5.2.12.12
};
constexpr std::uint32_t kProcessorEnabled = 1u << 0;
constexpr std::uint8_t kIsaBus = 0;

// MPS INTI flags (table 5.50): polarity bits 1:0, trigger bits 3:2.
constexpr std::uint16_t kPolarityMask = 0x3, kPolarityHigh = 0x1, kPolarityLow = 0x3;
constexpr std::uint16_t kTriggerShift = 2, kTriggerMask = 0x3, kTriggerEdge = 0x1, kTriggerLevel = 0x3;

// HPET description table: the base address is a Generic Address Structure at offset 40
// whose 64-bit address field is at 44 (IA-PC HPET spec 1.0a, table 3).
constexpr std::size_t kHpetAddressOffset = 44;

// BIOS areas searched for the RSDP (ACPI 5.2.5.1).
constexpr std::uint64_t kEbdaPointer = 0x40E;  // real-mode segment of the EBDA
constexpr std::uint64_t kEbdaSearchLength = 1024;
constexpr std::uint64_t kBiosAreaStart = 0xE0000, kBiosAreaEnd = 0x100000;
constexpr std::uint64_t kRsdpAlignment = 16;

// Minimum lengths: the table header, the MADT's fixed fields, the HPET table up to the end
// of its base address.
constexpr std::uint32_t kMadtMinLength = sizeof(Madt);
constexpr std::uint32_t kHpetMinLength = kHpetAddressOffset + 8;
constexpr std::size_t kGasSpaceIdOffset = 40;  // Generic Address Structure: address space id
constexpr std::uint8_t kGasSystemMemory = 0;
constexpr std::uint32_t kRsdpV2MinLength = sizeof(Rsdp);
constexpr std::uint32_t kRsdpMaxLength = 4096;

template <typename T>
T read_field(const std::uint8_t* p, std::size_t offset) {
  T v;
  __builtin_memcpy(&v, p + offset, sizeof(T));
  return v;
}

// The fuzz target (fuzz/acpi_tables.cc) defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION so
// that random tables get past the checksums to the parsing; every byte is still summed.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr bool kChecksumsMatter = false;
#else
constexpr bool kChecksumsMatter = true;
#endif

bool checksum_ok(const std::uint8_t* b, std::size_t length) {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < length; ++i) sum = static_cast<std::uint8_t>(sum + b[i]);
  return sum == 0 || !kChecksumsMatter;
}

bool is_rsdp(const PhysicalMemory& m, std::uint64_t address) {
  const std::uint8_t* r = m.view(address, kRsdpV1Length);
  return r != nullptr && __builtin_memcmp(r, "RSD PTR ", 8) == 0 && checksum_ok(r, kRsdpV1Length);
}

// Every 16-byte slot that starts in [from, to), the last ones too: is_rsdp needs the 20
// bytes of a revision-0 RSDP to be readable memory, not to end inside the area.
std::uint64_t scan_for_rsdp(const PhysicalMemory& m, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t a = from; a < to; a += kRsdpAlignment)
    if (is_rsdp(m, a)) return a;
  return 0;
}

std::uint64_t find_rsdp(const PhysicalMemory& m, std::uint64_t hint) {
  if (hint != 0 && is_rsdp(m, hint)) return hint;
  if (const std::uint8_t* pointer = m.view(kEbdaPointer, 2)) {
    const std::uint64_t ebda = static_cast<std::uint64_t>(read_field<std::uint16_t>(pointer, 0)) << 4;
    if (ebda != 0) {
      if (const std::uint64_t r = scan_for_rsdp(m, ebda, ebda + kEbdaSearchLength)) return r;
    }
  }
  return scan_for_rsdp(m, kBiosAreaStart, kBiosAreaEnd);
}

// The tables the parser reads, and what can be wrong with one.
enum Table : unsigned { kRsdt, kXsdt, kMadtTable, kHpetTable };
enum Problem : unsigned { kOutside, kShort, kLong, kChecksum };

// [table][problem]: the message naming both.
constexpr const char* kTableErrors[4][4] = {
    {"RSDT: not inside the identity-mapped memory below 4 GiB", "RSDT: length below its 36-byte header",
     "RSDT: length over 256 KiB", "RSDT: bad checksum"},
    {"XSDT: not inside the identity-mapped memory below 4 GiB", "XSDT: length below its 36-byte header",
     "XSDT: length over 256 KiB", "XSDT: bad checksum"},
    {"MADT: not inside the identity-mapped memory below 4 GiB", "MADT: length below the 44 bytes of its fixed fields",
     "MADT: length over 256 KiB", "MADT: bad checksum"},
    {"HPET table: not inside the identity-mapped memory below 4 GiB",
     "HPET table: length below the 52 bytes that hold the base address", "HPET table: length over 256 KiB",
     "HPET table: bad checksum"},
};

// The whole table at `address` if its length is in [min_length, kMaxTableLength], all of it
// is readable and its checksum is right; otherwise nullptr and `problem`.
const std::uint8_t* checked_table(const PhysicalMemory& m, std::uint64_t address, std::uint32_t min_length,
                                  Problem& problem) {
  const std::uint8_t* header = m.view(address, sizeof(TableHeader));
  if (header == nullptr) return problem = kOutside, nullptr;
  const auto length = read_field<std::uint32_t>(header, offsetof(TableHeader, length));
  if (length < min_length) return problem = kShort, nullptr;
  if (length > kMaxTableLength) return problem = kLong, nullptr;
  const std::uint8_t* table = m.view(address, length);
  if (table == nullptr) return problem = kOutside, nullptr;
  if (!checksum_ok(table, length)) return problem = kChecksum, nullptr;
  return table;
}

std::uint32_t length_of(const std::uint8_t* table) {
  return read_field<std::uint32_t>(table, offsetof(TableHeader, length));
}

// The first valid table with `signature` that the root table lists. A table with that
// signature that is invalid is skipped (a later one may be good); if no valid one is
// found, `error` names the problem of the last invalid one, else says none is listed.
// Root entries pointing outside the readable memory are skipped.
const std::uint8_t* find_table(const PhysicalMemory& m, const std::uint8_t* root, bool xsdt, const char* signature,
                               Table table, std::uint32_t min_length, const char* none, const char*& error) {
  const std::size_t entry_size = xsdt ? 8 : 4;
  const std::size_t n = (length_of(root) - sizeof(TableHeader)) / entry_size;  // length >= header: checked
  const std::uint8_t* entries = root + sizeof(TableHeader);
  error = none;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t address = 0;
    __builtin_memcpy(&address, entries + i * entry_size, entry_size);
    const std::uint8_t* header = m.view(address, sizeof(TableHeader));
    if (header == nullptr || __builtin_memcmp(header, signature, 4) != 0) continue;
    Problem problem = kOutside;
    if (const std::uint8_t* t = checked_table(m, address, min_length, problem)) return t;
    error = kTableErrors[table][problem];
  }
  return nullptr;
}

// Device register blocks the kernel accesses at their physical address: the HPET's 1 KiB
// (IA-PC HPET 1.0a, 2.3: 1 KiB, 1 KiB-aligned), the local APIC's 4 KiB page (SDM vol. 3A,
// 10.4.4: IA32_APIC_BASE holds a 4 KiB-aligned base) and an I/O APIC's registers
// (IOREGSEL at 0x00, IOWIN at 0x10, the EOI register of version 0x20 on at 0x40). The
// MADT only says the address is the I/O APIC's (ACPI 6.4, 5.2.12.3); the 82093AA
// datasheet puts it at FEC0_xy00h, x and y being address bits 15:12 and 11:10 - a
// relocated I/O APIC still starts on a 1 KiB boundary. The rule for an I/O APIC is thus a
// 1 KiB-aligned 1 KiB block. Each block must be nonzero, aligned to its size, and wholly
// inside the identity map's uncached device window (kDeviceWindowBegin up to 4 GiB):
// below it is RAM - the real-mode area, the AP trampoline, the kernel image - mapped
// write-back, where the "registers" would be the kernel's own memory; above it nothing
// is mapped.
enum RegisterBlock : unsigned { kHpetBlock, kLocalApicPage, kLocalApicOverridePage, kIoApicBlock };
enum BlockProblem : unsigned { kBlockZero, kBlockUnaligned, kBlockBeyondMap, kBlockInRam, kBlockOk };

constexpr std::uint64_t kBlockSize[] = {1024, 4096, 4096, 1024};

// [block][problem]: the message naming both.
constexpr const char* kBlockErrors[4][4] = {
    {"HPET table: base address is 0", "HPET table: base address not 1 KiB-aligned",
     "HPET table: register block (1 KiB) not wholly below 4 GiB, outside the identity map",
     "HPET table: register block (1 KiB) below 3 GiB: RAM (low memory, the kernel image), not the uncached device "
     "window"},
    {"MADT: local APIC address (header) is 0", "MADT: local APIC address (header) not 4 KiB-aligned",
     "MADT: local APIC address (header): register page not wholly below 4 GiB, outside the identity map",
     "MADT: local APIC address (header) below 3 GiB: RAM (low memory, the kernel image), not the uncached device "
     "window"},
    {"MADT: local APIC address override (type 5) is 0", "MADT: local APIC address override (type 5) not 4 KiB-aligned",
     "MADT: local APIC address override (type 5): register page not wholly below 4 GiB, outside the identity map",
     "MADT: local APIC address override (type 5) below 3 GiB: RAM (low memory, the kernel image), not the uncached "
     "device window"},
    {"MADT: I/O APIC entry (type 1) address is 0", "MADT: I/O APIC entry (type 1) address not 1 KiB-aligned",
     "MADT: I/O APIC entry (type 1): register block not wholly below 4 GiB, outside the identity map",
     "MADT: I/O APIC entry (type 1) address below 3 GiB: RAM (low memory, the kernel image), not the uncached device "
     "window"},
};
static_assert(kDeviceWindowBegin == 3ull << 30, "kBlockErrors name the window's start");

// nullptr if the block at `address` is usable, else the error naming it.
const char* register_block_error(RegisterBlock block, std::uint64_t address) {
  const std::uint64_t size = kBlockSize[block];
  BlockProblem problem = kBlockOk;
  if (address == 0) problem = kBlockZero;
  else if (address % size != 0) problem = kBlockUnaligned;
  else if (address > kIdentityMapEnd - size) problem = kBlockBeyondMap;
  else if (address < kDeviceWindowBegin) problem = kBlockInRam;
  return problem == kBlockOk ? nullptr : kBlockErrors[block][problem];
}

std::optional<Polarity> polarity_of(std::uint16_t flags) {
  switch (flags & kPolarityMask) {
    case kPolarityHigh: return Polarity::ActiveHigh;
    case kPolarityLow: return Polarity::ActiveLow;
    default: return std::nullopt;  // conforms to the bus
  }
}

std::optional<TriggerMode> trigger_of(std::uint16_t flags) {
  switch ((flags >> kTriggerShift) & kTriggerMask) {
    case kTriggerEdge: return TriggerMode::Edge;
    case kTriggerLevel: return TriggerMode::Level;
    default: return std::nullopt;
  }
}

void add_processor(Platform& p, std::uint32_t apic_id, std::uint32_t flags) {
  if ((flags & kProcessorEnabled) == 0) {
    // Not present now (kProcessorOnlineCapable: a hot-plug slot): never started.
    ++p.processors_disabled;
    return;
  }
  for (unsigned i = 0; i < p.processors; ++i) {
    if (p.processor_apic_ids[i] == apic_id) {
      ++p.processors_duplicate;  // one CPU, listed twice (e.g. as type 0 and type 9): start it once
      return;
    }
  }
  if (p.processors < kMaxProcessors) p.processor_apic_ids[p.processors++] = apic_id;
}

// The bytes each MADT entry type the parser reads must have (ACPI 6.4, 5.2.12).
std::uint8_t min_entry_length(std::uint8_t type) {
  switch (type) {
    case kLocalApic: return 8;
    case kIoApic: return 12;
    case kSourceOverride: return 10;
    case kLocalApicOverride: return 12;
    case kLocalX2Apic: return 16;
    default: return 2;
  }
}

const char* short_entry_error(std::uint8_t type) {
  switch (type) {
    case kLocalApic: return "MADT: processor local APIC entry (type 0) shorter than 8 bytes";
    case kIoApic: return "MADT: I/O APIC entry (type 1) shorter than 12 bytes";
    case kSourceOverride: return "MADT: interrupt source override entry (type 2) shorter than 10 bytes";
    case kLocalApicOverride: return "MADT: local APIC address override entry (type 5) shorter than 12 bytes";
    case kLocalX2Apic: return "MADT: processor local x2APIC entry (type 9) shorter than 16 bytes";
    default: return "MADT: entry length below 2";
  }
}

// Returns nullptr, or the error naming what is wrong with the entry.
const char* parse_madt_entry(Platform& p, const std::uint8_t* e) {
  switch (e[0]) {
    case kLocalApic:  // uid(1) apic_id(1) flags(4) at offsets 2, 3, 4
      add_processor(p, e[3], read_field<std::uint32_t>(e, 4));
      break;
    case kLocalX2Apic:  // reserved(2) x2apic_id(4) flags(4) uid(4) at 2, 4, 8, 12
      add_processor(p, read_field<std::uint32_t>(e, 4), read_field<std::uint32_t>(e, 8));
      break;
    case kIoApic: {  // id(1) reserved(1) address(4) gsi_base(4) at 2, 3, 4, 8
      const auto address = read_field<std::uint32_t>(e, 4);
      if (const char* error = register_block_error(kIoApicBlock, address)) return error;
      if (p.ioapic_count < kMaxIoApics) p.ioapics[p.ioapic_count++] = {e[2], address, read_field<std::uint32_t>(e, 8)};
      break;
    }
    case kSourceOverride: {  // bus(1) source(1) gsi(4) flags(2) at 2, 3, 4, 8
      if (e[2] != kIsaBus || p.override_count >= kMaxOverrides) break;
      const auto flags = read_field<std::uint16_t>(e, 8);
      p.overrides[p.override_count++] = {e[3], read_field<std::uint32_t>(e, 4), polarity_of(flags), trigger_of(flags)};
      break;
    }
    case kLocalApicOverride: {  // reserved(2) address(8) at 2, 4
      const auto address = read_field<std::uint64_t>(e, 4);
      if (const char* error = register_block_error(kLocalApicOverridePage, address)) return error;
      p.local_apic_address = address;
      break;
    }
    default:
      break;
  }
  return nullptr;
}

// `madt` has been checked: at least kMadtMinLength long, all of it readable.
const char* parse_madt(Platform& p, const std::uint8_t* madt) {
  p.local_apic_address = read_field<std::uint32_t>(madt, offsetof(Madt, local_apic_address));
  if (const char* error = register_block_error(kLocalApicPage, p.local_apic_address)) return error;
  p.pcat_compat = (read_field<std::uint32_t>(madt, offsetof(Madt, flags)) & kMadtPcatCompat) != 0;
  const std::uint8_t* e = madt + sizeof(Madt);
  const std::uint8_t* const end = madt + length_of(madt);
  while (e < end) {
    if (end - e < 2) return "MADT: an entry runs past the table's end";
    const std::uint8_t length = e[1];
    if (length < 2) return "MADT: entry length below 2";
    if (length > end - e) return "MADT: an entry runs past the table's end";
    if (length < min_entry_length(e[0])) return short_entry_error(e[0]);
    if (const char* error = parse_madt_entry(p, e)) return error;
    e += length;
  }
  return nullptr;
}

const char* parse_hpet(Platform& p, const std::uint8_t* hpet) {
  if (hpet[kGasSpaceIdOffset] != kGasSystemMemory) return "HPET table: base address not in system memory space";
  const auto address = read_field<std::uint64_t>(hpet, kHpetAddressOffset);
  if (const char* error = register_block_error(kHpetBlock, address)) return error;
  p.hpet_address = address;
  return nullptr;
}

}  // namespace

bool parse(std::uint64_t rsdp_hint, const PhysicalMemory& m, Platform& out, const char*& error) {
  out.rsdp = find_rsdp(m, rsdp_hint);
  out.rsdp_from_loader = out.rsdp != 0 && out.rsdp == rsdp_hint;
  if (out.rsdp == 0) return error = "no RSDP", false;
  const std::uint8_t* rsdp = m.view(out.rsdp, kRsdpV1Length);
  out.revision = rsdp[offsetof(Rsdp, revision)];
  // ACPI 2.0+: the XSDT, if the extended RSDP is sane and its checksum right; else the RSDT.
  if (out.revision >= 2) {
    if (const std::uint8_t* v2 = m.view(out.rsdp, kRsdpV2MinLength)) {
      const auto length = read_field<std::uint32_t>(v2, offsetof(Rsdp, length));
      const std::uint8_t* whole =
          length >= kRsdpV2MinLength && length <= kRsdpMaxLength ? m.view(out.rsdp, length) : nullptr;
      out.xsdt = whole != nullptr && read_field<std::uint64_t>(v2, offsetof(Rsdp, xsdt_address)) != 0 &&
                 checksum_ok(whole, length);
    }
  }
  const std::uint64_t root_address = out.xsdt ? read_field<std::uint64_t>(rsdp, offsetof(Rsdp, xsdt_address))
                                              : read_field<std::uint32_t>(rsdp, offsetof(Rsdp, rsdt_address));
  const Table root_table = out.xsdt ? kXsdt : kRsdt;
  Problem problem = kOutside;
  const std::uint8_t* root = checked_table(m, root_address, sizeof(TableHeader), problem);
  if (root == nullptr) return error = kTableErrors[root_table][problem], false;
  const std::uint8_t* madt = find_table(m, root, out.xsdt, "APIC", kMadtTable, kMadtMinLength, "no MADT", error);
  if (madt == nullptr) return false;
  if (const char* e = parse_madt(out, madt)) return error = e, false;
  if (out.processors == 0) return error = "MADT lists no enabled processor", false;
  if (out.ioapic_count == 0) return error = "MADT lists no I/O APIC", false;
  const char* hpet_error = nullptr;
  if (const std::uint8_t* hpet = find_table(m, root, out.xsdt, "HPET", kHpetTable, kHpetMinLength, nullptr, hpet_error)) {
    if (const char* e = parse_hpet(out, hpet)) return error = e, false;
  } else if (hpet_error != nullptr) {
    return error = hpet_error, false;  // listed but unusable (no HPET at all is the caller's call)
  }
  return true;
}

bool parse(std::uint64_t rsdp_hint, Platform& out, const char*& error) {
  return parse(rsdp_hint, PhysicalMemory{0, kIdentityMapEnd, 0}, out, error);
}

}  // namespace guest::acpi
