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

template <typename T>
const T* at(std::uint64_t physical) {
  return reinterpret_cast<const T*>(physical);  // identity-mapped
}

bool checksum_ok(const void* p, std::size_t length) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < length; ++i) sum = static_cast<std::uint8_t>(sum + b[i]);
  return sum == 0;
}

bool is_rsdp(std::uint64_t address) {
  const auto* r = at<Rsdp>(address);
  return __builtin_memcmp(r->signature, "RSD PTR ", 8) == 0 && checksum_ok(r, kRsdpV1Length);
}

std::uint64_t scan_for_rsdp(std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t a = from; a + sizeof(Rsdp) <= to; a += kRsdpAlignment)
    if (is_rsdp(a)) return a;
  return 0;
}

std::uint64_t find_rsdp(std::uint64_t hint) {
  if (hint != 0 && is_rsdp(hint)) return hint;
  const std::uint64_t ebda = static_cast<std::uint64_t>(*at<std::uint16_t>(kEbdaPointer)) << 4;
  if (ebda != 0) {
    if (const std::uint64_t r = scan_for_rsdp(ebda, ebda + kEbdaSearchLength)) return r;
  }
  return scan_for_rsdp(kBiosAreaStart, kBiosAreaEnd);
}

const TableHeader* find_table(const Platform& p, std::uint64_t root, const char* signature) {
  const auto* h = at<TableHeader>(root);
  const std::size_t entry_size = p.xsdt ? 8 : 4;
  const std::size_t n = (h->length - sizeof(TableHeader)) / entry_size;
  const auto* entries = reinterpret_cast<const std::uint8_t*>(h) + sizeof(TableHeader);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t address = 0;
    __builtin_memcpy(&address, entries + i * entry_size, entry_size);
    const auto* t = at<TableHeader>(address);
    if (__builtin_memcmp(t->signature, signature, 4) == 0 && checksum_ok(t, t->length)) return t;
  }
  return nullptr;
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
  if (p.processors < kMaxProcessors) p.processor_apic_ids[p.processors++] = apic_id;
}

template <typename T>
T read_field(const std::uint8_t* entry, std::size_t offset) {
  T v;
  __builtin_memcpy(&v, entry + offset, sizeof(T));
  return v;
}

void parse_madt_entry(Platform& p, const std::uint8_t* e) {
  switch (e[0]) {
    case kLocalApic:  // uid(1) apic_id(1) flags(4) at offsets 2, 3, 4
      add_processor(p, e[3], read_field<std::uint32_t>(e, 4));
      break;
    case kLocalX2Apic:  // reserved(2) x2apic_id(4) flags(4) uid(4) at 2, 4, 8, 12
      add_processor(p, read_field<std::uint32_t>(e, 4), read_field<std::uint32_t>(e, 8));
      break;
    case kIoApic:  // id(1) reserved(1) address(4) gsi_base(4) at 2, 3, 4, 8
      if (p.ioapic_count < kMaxIoApics) {
        p.ioapics[p.ioapic_count++] = {e[2], read_field<std::uint32_t>(e, 4), read_field<std::uint32_t>(e, 8)};
      }
      break;
    case kSourceOverride: {  // bus(1) source(1) gsi(4) flags(2) at 2, 3, 4, 8
      if (e[2] != kIsaBus || p.override_count >= kMaxOverrides) break;
      const auto flags = read_field<std::uint16_t>(e, 8);
      p.overrides[p.override_count++] = {e[3], read_field<std::uint32_t>(e, 4), polarity_of(flags), trigger_of(flags)};
      break;
    }
    case kLocalApicOverride:  // reserved(2) address(8) at 2, 4
      p.local_apic_address = read_field<std::uint64_t>(e, 4);
      break;
    default:
      break;
  }
}

void parse_madt(Platform& p, const Madt* madt) {
  p.local_apic_address = madt->local_apic_address;
  p.pcat_compat = (madt->flags & kMadtPcatCompat) != 0;
  const auto* e = reinterpret_cast<const std::uint8_t*>(madt) + sizeof(Madt);
  const auto* end = reinterpret_cast<const std::uint8_t*>(madt) + madt->header.length;
  while (e + 2 <= end && e[1] >= 2 && e + e[1] <= end) {
    parse_madt_entry(p, e);
    e += e[1];
  }
}

}  // namespace

bool parse(std::uint64_t rsdp_hint, Platform& out, const char*& error) {
  out.rsdp = find_rsdp(rsdp_hint);
  out.rsdp_from_loader = out.rsdp != 0 && out.rsdp == rsdp_hint;
  if (out.rsdp == 0) return error = "no RSDP", false;
  const auto* rsdp = at<Rsdp>(out.rsdp);
  out.revision = rsdp->revision;
  out.xsdt = rsdp->revision >= 2 && rsdp->xsdt_address != 0 && checksum_ok(rsdp, rsdp->length);
  const std::uint64_t root = out.xsdt ? rsdp->xsdt_address : rsdp->rsdt_address;
  if (!checksum_ok(at<TableHeader>(root), at<TableHeader>(root)->length)) return error = "bad RSDT/XSDT checksum", false;
  const TableHeader* madt = find_table(out, root, "APIC");
  if (madt == nullptr) return error = "no MADT", false;
  parse_madt(out, reinterpret_cast<const Madt*>(madt));
  if (out.processors == 0) return error = "MADT lists no enabled processor", false;
  if (out.ioapic_count == 0) return error = "MADT lists no I/O APIC", false;
  if (const TableHeader* hpet = find_table(out, root, "HPET")) {
    out.hpet_address = read_field<std::uint64_t>(reinterpret_cast<const std::uint8_t*>(hpet), kHpetAddressOffset);
  }
  return true;
}

}  // namespace guest::acpi
