// The guest's ACPI parser (guest/acpi/acpi.cc), compiled hosted over crafted tables in a
// buffer: valid tables parse; every table and MADT entry whose firmware length or address
// is wrong is refused with an error naming it, never read past its end.
#include "acpi/acpi.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "smp/start_plan.h"

namespace guest::acpi {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put32(Bytes& b, std::size_t at, std::uint32_t v) { std::memcpy(b.data() + at, &v, 4); }
void put64(Bytes& b, std::size_t at, std::uint64_t v) { std::memcpy(b.data() + at, &v, 8); }
void append32(Bytes& b, std::uint32_t v) { b.resize(b.size() + 4), put32(b, b.size() - 4, v); }
void append64(Bytes& b, std::uint64_t v) { b.resize(b.size() + 8), put64(b, b.size() - 8, v); }

// Byte `at` makes the sum of b[0, length) zero.
void fix_checksum(Bytes& b, std::size_t at, std::size_t length) {
  b[at] = 0;
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < length && i < b.size(); ++i) sum = static_cast<std::uint8_t>(sum + b[i]);
  b[at] = static_cast<std::uint8_t>(-sum);
}

// A system description table: header (length = 36 + body unless overridden) and body.
Bytes table(const char* signature, const Bytes& body, std::optional<std::uint32_t> length = std::nullopt) {
  Bytes t(36 + body.size(), 0);
  std::memcpy(t.data(), signature, 4);
  t[8] = 1;  // revision
  if (!body.empty()) std::memcpy(t.data() + 36, body.data(), body.size());
  put32(t, 4, length.value_or(static_cast<std::uint32_t>(t.size())));
  fix_checksum(t, 9, t.size());
  return t;
}

Bytes local_apic(std::uint8_t id, std::uint8_t length = 8) {
  Bytes e{0, length, id, id, 1, 0, 0, 0};
  e.resize(length);
  return e;
}
Bytes ioapic(std::uint8_t length = 12, std::uint32_t address = 0xFEC0'0000) {
  Bytes e{1, length, 0, 0};
  append32(e, address);
  append32(e, 0);
  e.resize(length);
  return e;
}
Bytes source_override(std::uint8_t length = 10) {
  Bytes e{2, length, 0, 0};
  append32(e, 2);
  e.push_back(0), e.push_back(0);
  e.resize(length);
  return e;
}
Bytes lapic_override(std::uint64_t address, std::uint8_t length = 12) {
  Bytes e{5, length, 0, 0};
  append64(e, address);
  e.resize(length);
  return e;
}
Bytes local_x2apic(std::uint32_t id, std::uint8_t length = 16) {
  Bytes e{9, length, 0, 0};
  append32(e, id);
  append32(e, 1);  // enabled
  append32(e, id);
  e.resize(length);
  return e;
}

Bytes madt_body(const std::vector<Bytes>& entries, std::uint32_t local_apic_address = 0xFEE0'0000) {
  Bytes body;
  append32(body, local_apic_address);
  append32(body, 1);  // PCAT_COMPAT
  for (const Bytes& e : entries) body.insert(body.end(), e.begin(), e.end());
  return body;
}

Bytes hpet_body(std::uint64_t address, std::uint8_t space = 0) {
  Bytes body(20, 0);
  put32(body, 0, 0x8086'A201);  // event timer block id (offset 36)
  body[4] = space;              // GAS: space, width, offset, access (40)
  body[5] = 64;
  put64(body, 8, address);      // GAS address (44)
  body[17] = 0x80;              // HPET number, minimum tick (0x0080), attributes
  return body;
}

// An RSDP (revision 0: RSDT at `root`; 2: XSDT there), both checksums right.
Bytes rsdp(std::uint8_t revision, std::uint64_t root) {
  Bytes r(36, 0);
  std::memcpy(r.data(), "RSD PTR ", 8);
  r[15] = revision;
  if (revision >= 2) {
    put32(r, 20, 36);
    put64(r, 24, root);
  } else {
    put32(r, 16, static_cast<std::uint32_t>(root));
  }
  fix_checksum(r, 8, 20);
  if (revision >= 2) fix_checksum(r, 32, 36);  // after: covers byte 8 too
  return r;
}

// Physical memory [kBase, kBase + size) backed by a buffer: RSDP at kBase, root table at
// kRoot, MADT at kMadt, HPET table at kHpet.
class AcpiTest : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kBase = 0x10000, kRoot = kBase + 0x100, kMadt = kBase + 0x400,
                                 kHpet = kBase + 0x800, kSize = 0x1000;

  AcpiTest() : memory_(kSize, 0) {
    madt = table("APIC", madt_body({local_apic(0), local_apic(1), ioapic(), source_override()}));
    hpet = table("HPET", hpet_body(0xFED0'0000));
  }

  void place(std::uint64_t at, const Bytes& b) {
    ASSERT_LE(at - kBase + b.size(), memory_.size());
    std::memcpy(memory_.data() + (at - kBase), b.data(), b.size());
  }

  // Lays out the RSDP (revision 0: RSDT, 2: XSDT), the root table listing `entries`
  // (default: the MADT and the HPET table), and those tables; then parses.
  bool parse_with(std::uint8_t revision = 0, std::optional<std::vector<std::uint64_t>> entries = std::nullopt) {
    const std::vector<std::uint64_t> listed = entries.value_or(std::vector<std::uint64_t>{kMadt, kHpet});
    if (root.empty()) {
      Bytes body;
      for (std::uint64_t a : listed) revision >= 2 ? append64(body, a) : append32(body, static_cast<std::uint32_t>(a));
      root = table(revision >= 2 ? "XSDT" : "RSDT", body);
    }
    place(kBase, rsdp(revision, kRoot));
    place(kRoot, root);
    place(kMadt, madt);
    place(kHpet, hpet);
    const PhysicalMemory memory{kBase, kBase + memory_.size(),
                                reinterpret_cast<std::uintptr_t>(memory_.data()) - static_cast<std::uintptr_t>(kBase)};
    return parse(kBase, memory, platform, error);
  }

  Bytes root, madt, hpet;
  Platform platform;
  const char* error = "";

 private:
  Bytes memory_;
};

TEST_F(AcpiTest, ValidRsdtTablesParse) {
  ASSERT_TRUE(parse_with()) << error;
  EXPECT_TRUE(platform.rsdp_from_loader);
  EXPECT_FALSE(platform.xsdt);
  EXPECT_EQ(platform.processors, 2u);
  EXPECT_EQ(platform.processor_apic_ids[1], 1u);
  EXPECT_EQ(platform.ioapic_count, 1u);
  EXPECT_EQ(platform.ioapics[0].address, 0xFEC0'0000u);
  EXPECT_EQ(platform.override_count, 1u);
  EXPECT_EQ(platform.overrides[0].gsi, 2u);
  EXPECT_EQ(platform.local_apic_address, 0xFEE0'0000u);
  EXPECT_TRUE(platform.pcat_compat);
  EXPECT_EQ(platform.hpet_address, 0xFED0'0000u);
}

TEST_F(AcpiTest, ValidXsdtTablesParseWithX2ApicEntriesAndOverride) {
  madt = table("APIC", madt_body({local_x2apic(0), local_x2apic(300), ioapic(), lapic_override(0xFEE0'1000)}));
  ASSERT_TRUE(parse_with(2)) << error;
  EXPECT_TRUE(platform.xsdt);
  EXPECT_EQ(platform.processors, 2u);
  EXPECT_EQ(platform.processor_apic_ids[1], 300u);
  EXPECT_EQ(platform.local_apic_address, 0xFEE0'1000u);
}

TEST_F(AcpiTest, RootTableLengthZeroIsRefused) {
  root = table("RSDT", {}, 0);
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "RSDT: length below its 36-byte header");
}

TEST_F(AcpiTest, RootTableLength35IsRefused) {
  root = table("XSDT", {}, 35);
  EXPECT_FALSE(parse_with(2));
  EXPECT_STREQ(error, "XSDT: length below its 36-byte header");
}

TEST_F(AcpiTest, OverlongRootTableIsRefused) {
  root = table("RSDT", {}, 0xFFFF'FFFF);
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "RSDT: length over 256 KiB");
}

TEST_F(AcpiTest, RootTableRunningPastMemoryIsRefused) {
  root = table("RSDT", {}, 0x10000);  // under the limit, but past the end of the memory
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "RSDT: not inside the identity-mapped memory below 4 GiB");
}

TEST_F(AcpiTest, RootTableWithBadChecksumIsRefused) {
  root = table("RSDT", {});
  ++root[9];
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "RSDT: bad checksum");
}

TEST_F(AcpiTest, MadtLengthZeroIsRefused) {
  madt = table("APIC", madt_body({}), 0);
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "MADT: length below the 44 bytes of its fixed fields");
}

TEST_F(AcpiTest, MadtShorterThanItsFixedFieldsIsRefused) {
  madt = table("APIC", madt_body({}), 43);
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "MADT: length below the 44 bytes of its fixed fields");
}

TEST_F(AcpiTest, OverlongMadtIsRefused) {
  madt = table("APIC", madt_body({}), 0x8000'0000);
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "MADT: length over 256 KiB");
}

TEST_F(AcpiTest, MadtWithBadChecksumIsRefused) {
  ++madt[9];
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "MADT: bad checksum");
}

TEST_F(AcpiTest, TruncatedMadtEntriesAreRefusedByType) {
  struct Case {
    Bytes entry;
    const char* error;
  };
  const Case cases[] = {
      {local_apic(2, 7), "MADT: processor local APIC entry (type 0) shorter than 8 bytes"},
      {ioapic(11), "MADT: I/O APIC entry (type 1) shorter than 12 bytes"},
      {source_override(9), "MADT: interrupt source override entry (type 2) shorter than 10 bytes"},
      {lapic_override(0xFEE0'0000, 11), "MADT: local APIC address override entry (type 5) shorter than 12 bytes"},
      {local_x2apic(2, 15), "MADT: processor local x2APIC entry (type 9) shorter than 16 bytes"},
      {local_x2apic(2, 2), "MADT: processor local x2APIC entry (type 9) shorter than 16 bytes"},
      {Bytes{0, 0}, "MADT: entry length below 2"},
      {Bytes{0x7F, 1}, "MADT: entry length below 2"},
      {Bytes{0x7F}, "MADT: an entry runs past the table's end"},
      {Bytes{0, 8, 0, 3}, "MADT: an entry runs past the table's end"},
  };
  for (const Case& c : cases) {
    madt = table("APIC", madt_body({local_apic(0), ioapic(), c.entry}));
    root.clear();
    platform = {};
    EXPECT_FALSE(parse_with()) << c.error;
    EXPECT_STREQ(error, c.error);
  }
}

TEST_F(AcpiTest, DuplicateApicIdsAreListedOnce) {
  madt = table("APIC", madt_body({local_apic(0), local_apic(1), local_x2apic(1), local_apic(0), ioapic()}));
  ASSERT_TRUE(parse_with()) << error;
  EXPECT_EQ(platform.processors, 2u);
  EXPECT_EQ(platform.processors_duplicate, 2u);
  EXPECT_EQ(platform.processor_apic_ids[0], 0u);
  EXPECT_EQ(platform.processor_apic_ids[1], 1u);
}

TEST_F(AcpiTest, UnknownMadtEntryTypesAreSkipped) {
  madt = table("APIC", madt_body({local_apic(0), Bytes{0x7F, 3, 0}, ioapic(), Bytes{4, 6, 0xFF, 0, 0, 1}}));
  ASSERT_TRUE(parse_with()) << error;
  EXPECT_EQ(platform.processors, 1u);
  EXPECT_EQ(platform.ioapic_count, 1u);
}

TEST_F(AcpiTest, LocalApicOverrideAbove4GiBIsRefused) {
  madt = table("APIC", madt_body({local_apic(0), ioapic(), lapic_override(0x1'0000'0000)}));
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "MADT: local APIC address override (type 5): register page not wholly below 4 GiB, outside the identity map");
}

// Device register blocks the kernel maps by their address: each must be aligned to its
// size and lie wholly in the identity map's uncached device window [3 GiB, 4 GiB).
struct BlockCase {
  std::uint64_t address;
  const char* error;  // nullptr: accepted
};

TEST_F(AcpiTest, LocalApicOverridePageMustBeAlignedAndInTheDeviceWindow) {
  const BlockCase cases[] = {
      {0xFFFF'F000, nullptr},  // the last 4 KiB page below 4 GiB
      {0xC000'0000, nullptr},
      {0xFFFF'FC00, "MADT: local APIC address override (type 5) not 4 KiB-aligned"},
      {0xFEE0'0400, "MADT: local APIC address override (type 5) not 4 KiB-aligned"},
      {0, "MADT: local APIC address override (type 5) is 0"},
      {0x10'0000, "MADT: local APIC address override (type 5) below 3 GiB: RAM (low memory, the kernel image), not the "
                  "uncached device window"},
      {0xBFFF'F000, "MADT: local APIC address override (type 5) below 3 GiB: RAM (low memory, the kernel image), not "
                    "the uncached device window"},
  };
  for (const BlockCase& c : cases) {
    madt = table("APIC", madt_body({local_apic(0), ioapic(), lapic_override(c.address)}));
    root.clear();
    platform = {};
    if (c.error == nullptr) {
      EXPECT_TRUE(parse_with()) << std::hex << c.address << ": " << error;
      EXPECT_EQ(platform.local_apic_address, c.address);
    } else {
      EXPECT_FALSE(parse_with()) << std::hex << c.address;
      EXPECT_STREQ(error, c.error) << std::hex << c.address;
    }
  }
}

TEST_F(AcpiTest, MadtHeaderLocalApicAddressMustBeAlignedAndInTheDeviceWindow) {
  const BlockCase cases[] = {
      {0xFEE0'0000, nullptr},
      {0xFFFF'F000, nullptr},
      {0xFFFF'FFF0, "MADT: local APIC address (header) not 4 KiB-aligned"},
      {0, "MADT: local APIC address (header) is 0"},
      {0x8000, "MADT: local APIC address (header) below 3 GiB: RAM (low memory, the kernel image), not the uncached "
               "device window"},
  };
  for (const BlockCase& c : cases) {
    madt = table("APIC", madt_body({local_apic(0), ioapic()}, static_cast<std::uint32_t>(c.address)));
    root.clear();
    platform = {};
    if (c.error == nullptr) {
      EXPECT_TRUE(parse_with()) << std::hex << c.address << ": " << error;
    } else {
      EXPECT_FALSE(parse_with()) << std::hex << c.address;
      EXPECT_STREQ(error, c.error) << std::hex << c.address;
    }
  }
  // A valid override replaces a header address the parser would refuse: the header is
  // read first, so it must be valid too.
  madt = table("APIC", madt_body({local_apic(0), ioapic(), lapic_override(0xFEE0'0000)}, 0xFFFF'FFF0));
  root.clear();
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "MADT: local APIC address (header) not 4 KiB-aligned");
}

TEST_F(AcpiTest, IoApicAddressMustBeAlignedAndInTheDeviceWindow) {
  const BlockCase cases[] = {
      {0xFEC0'0000, nullptr},
      {0xFEC0'0400, nullptr},  // 1 KiB-aligned: IOREGSEL, IOWIN and the EOI register (0x40) fit
      {0xFFFF'FC00, nullptr},  // the last 1 KiB below 4 GiB
      {0, "MADT: I/O APIC entry (type 1) address is 0"},
      {0xFEC0'0010, "MADT: I/O APIC entry (type 1) address not 1 KiB-aligned"},
      {0xFFFF'FFF0, "MADT: I/O APIC entry (type 1) address not 1 KiB-aligned"},
      {0x10'0000, "MADT: I/O APIC entry (type 1) address below 3 GiB: RAM (low memory, the kernel image), not the "
                  "uncached device window"},
      {0x400, "MADT: I/O APIC entry (type 1) address below 3 GiB: RAM (low memory, the kernel image), not the "
              "uncached device window"},
  };
  for (const BlockCase& c : cases) {
    // The bad entry second: the message names the entry type whichever I/O APIC it is.
    madt = table("APIC", madt_body({local_apic(0), ioapic(), ioapic(12, static_cast<std::uint32_t>(c.address))}));
    root.clear();
    platform = {};
    if (c.error == nullptr) {
      EXPECT_TRUE(parse_with()) << std::hex << c.address << ": " << error;
      EXPECT_EQ(platform.ioapic_count, 2u);
      EXPECT_EQ(platform.ioapics[1].address, c.address);
    } else {
      EXPECT_FALSE(parse_with()) << std::hex << c.address;
      EXPECT_STREQ(error, c.error) << std::hex << c.address;
    }
  }
}

TEST_F(AcpiTest, XsdtEntriesAbove4GiBAreSkipped) {
  EXPECT_TRUE(parse_with(2, std::vector<std::uint64_t>{0x1'0000'0000, 0xFFFF'FFFF'FFFF'FFF0, kMadt, kHpet})) << error;
  root.clear();
  EXPECT_FALSE(parse_with(2, std::vector<std::uint64_t>{0x1'0000'0000}));
  EXPECT_STREQ(error, "no MADT");
}

TEST_F(AcpiTest, ShortHpetTableIsRefused) {
  hpet = table("HPET", hpet_body(0xFED0'0000), 51);
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "HPET table: length below the 52 bytes that hold the base address");
}

TEST_F(AcpiTest, HpetAddressAbove4GiBOrNotMemoryIsRefused) {
  hpet = table("HPET", hpet_body(0x1'0000'0000));
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "HPET table: register block (1 KiB) not wholly below 4 GiB, outside the identity map");
  hpet = table("HPET", hpet_body(0xFED0'0000, 1));
  root.clear();
  EXPECT_FALSE(parse_with());
  EXPECT_STREQ(error, "HPET table: base address not in system memory space");
}

TEST_F(AcpiTest, HpetBlockMustBeAlignedAndInTheDeviceWindow) {
  const BlockCase cases[] = {
      {0xFED0'0000, nullptr},
      {0xFFFF'FC00, nullptr},  // the last 1 KiB below 4 GiB
      {0xFFFF'FF00, "HPET table: base address not 1 KiB-aligned"},  // its block would run past 4 GiB
      {0xFFFF'FFF8, "HPET table: base address not 1 KiB-aligned"},
      {0xFED0'0200, "HPET table: base address not 1 KiB-aligned"},
      {0, "HPET table: base address is 0"},
      {0x20'0000, "HPET table: register block (1 KiB) below 3 GiB: RAM (low memory, the kernel image), not the "
                  "uncached device window"},
  };
  for (const BlockCase& c : cases) {
    hpet = table("HPET", hpet_body(c.address));
    root.clear();
    platform = {};
    if (c.error == nullptr) {
      EXPECT_TRUE(parse_with()) << std::hex << c.address << ": " << error;
      EXPECT_EQ(platform.hpet_address, c.address);
    } else {
      EXPECT_FALSE(parse_with()) << std::hex << c.address;
      EXPECT_STREQ(error, c.error) << std::hex << c.address;
    }
  }
}

TEST_F(AcpiTest, NoHpetTableLeavesTheAddressZero) {
  ASSERT_TRUE(parse_with(0, std::vector<std::uint64_t>{kMadt})) << error;
  EXPECT_EQ(platform.hpet_address, 0u);
}

TEST_F(AcpiTest, NoRsdpIsReported) {
  const PhysicalMemory nothing{kBase, kBase, 0};
  EXPECT_FALSE(parse(kBase, nothing, platform, error));
  EXPECT_STREQ(error, "no RSDP");
}

// The BIOS-area scan (no loader hint): the first MiB, plus a little above it, backed by a
// buffer; the EBDA segment at 0x40E; the tables at 0x20000.
struct BiosMemory {
  static constexpr std::uint64_t kEbda = 0x9'FC00, kRoot = 0x2'0000, kMadt = 0x2'0100, kHpet = 0x2'0400;
  static constexpr std::uint64_t kSize = 0x10'1000;

  BiosMemory() : bytes(kSize, 0) {
    Bytes body;
    append32(body, static_cast<std::uint32_t>(kMadt));
    append32(body, static_cast<std::uint32_t>(kHpet));
    place(kRoot, table("RSDT", body));
    place(kMadt, table("APIC", madt_body({local_apic(0), ioapic()})));
    place(kHpet, table("HPET", hpet_body(0xFED0'0000)));
  }

  void place(std::uint64_t at, const Bytes& b) { std::memcpy(bytes.data() + at, b.data(), b.size()); }
  void set_ebda(std::uint64_t ebda) {
    const auto segment = static_cast<std::uint16_t>(ebda >> 4);
    std::memcpy(bytes.data() + 0x40E, &segment, 2);
  }
  // An RSDP (revision 0) at `at`, then the parse without a loader hint: found there?
  bool scan_finds(std::uint64_t at) {
    place(at, rsdp(0, kRoot));
    platform = {};
    return parse(0, PhysicalMemory{0, kSize, reinterpret_cast<std::uintptr_t>(bytes.data())}, platform, error) &&
           platform.rsdp == at && !platform.rsdp_from_loader;
  }

  Bytes bytes;
  Platform platform;
  const char* error = "";
};

TEST(RsdpScanTest, EveryBiosAreaSlotIsSearchedUpToTheLast) {
  for (const std::uint64_t at : {0xE'0000, 0xF'0000, 0xF'FFD0, 0xF'FFE0, 0xF'FFF0}) {
    BiosMemory m;
    EXPECT_TRUE(m.scan_finds(at)) << std::hex << at << ": " << m.error;
  }
}

TEST(RsdpScanTest, EverySlotOfTheEbdasFirstKiBIsSearchedUpToTheLast) {
  for (const std::uint64_t offset : {0x0, 0x10, 0x3D0, 0x3E0, 0x3F0}) {
    BiosMemory m;
    m.set_ebda(BiosMemory::kEbda);
    EXPECT_TRUE(m.scan_finds(BiosMemory::kEbda + offset)) << std::hex << offset << ": " << m.error;
  }
}

TEST(RsdpScanTest, NothingOutsideTheSearchAreasIsFound) {
  BiosMemory past_ebda;
  past_ebda.set_ebda(BiosMemory::kEbda);
  EXPECT_FALSE(past_ebda.scan_finds(BiosMemory::kEbda + 0x400));  // past the EBDA's first KiB
  EXPECT_STREQ(past_ebda.error, "no RSDP");
  BiosMemory past_bios;
  EXPECT_FALSE(past_bios.scan_finds(0x10'0000));  // past the BIOS area
  EXPECT_STREQ(past_bios.error, "no RSDP");
  BiosMemory unaligned;
  EXPECT_FALSE(unaligned.scan_finds(0xE'0008));  // not on a 16-byte boundary
  EXPECT_STREQ(unaligned.error, "no RSDP");
}

// What smp.cc does with a parsed MADT when every start it tries succeeds: the ids it
// starts (CPU index 1, 2, ... in that order) and how many it counts failed.
struct StartOutcome {
  std::vector<std::uint32_t> started;
  unsigned failed = 0;
  unsigned not_addressable = 0;
};

StartOutcome plan_starts(const Platform& p, std::uint32_t bsp_id, bool xapic_mode, unsigned max_cpus) {
  StartOutcome out;
  unsigned next = 1;
  for (unsigned i = 0; i < p.processors; ++i) {
    switch (smp::decide_start(p.processor_apic_ids[i], bsp_id, xapic_mode, next, max_cpus, false)) {
      case smp::StartDecision::IsBsp: break;
      case smp::StartDecision::NoFreeIndex: ++out.failed; break;
      case smp::StartDecision::NotAddressable: ++out.failed, ++out.not_addressable; break;
      case smp::StartDecision::Start: out.started.push_back(p.processor_apic_ids[i]), ++next; break;
    }
  }
  return out;
}

TEST_F(AcpiTest, XApicModeDoesNotStartIdsFrom0xFFOn) {
  // 0xFF as a type-0 entry (the xAPIC broadcast id), 0x100 and 0x1234 as x2APIC entries.
  madt = table("APIC", madt_body({local_apic(0), local_apic(1), local_apic(0xFF), local_x2apic(0x100), local_apic(0xFE),
                                  local_x2apic(0x1234), local_apic(2), ioapic()}));
  ASSERT_TRUE(parse_with()) << error;
  ASSERT_EQ(platform.processors, 7u);
  const StartOutcome xapic = plan_starts(platform, 0, true, GUEST_MAX_CPUS);
  EXPECT_EQ(xapic.started, (std::vector<std::uint32_t>{1, 0xFE, 2}));
  EXPECT_EQ(xapic.failed, 3u);
  EXPECT_EQ(xapic.not_addressable, 3u);
  // x2APIC destinations are 32 bits: every one is started.
  const StartOutcome x2apic = plan_starts(platform, 0, false, GUEST_MAX_CPUS);
  EXPECT_EQ(x2apic.started, (std::vector<std::uint32_t>{1, 0xFF, 0x100, 0xFE, 0x1234, 2}));
  EXPECT_EQ(x2apic.failed, 0u);
}

TEST_F(AcpiTest, X2ApicModeDoesNotStartTheBroadcastId) {
  // 0xFFFFFFFF is the x2APIC broadcast destination: an INIT sent there would reach every
  // CPU, the BSP too. Every other 32-bit id is one processor's.
  madt = table("APIC", madt_body({local_x2apic(0), local_x2apic(0xFFFF'FFFF), local_x2apic(1),
                                  local_x2apic(0xFFFF'FFFE), ioapic()}));
  ASSERT_TRUE(parse_with()) << error;
  ASSERT_EQ(platform.processors, 4u);
  const StartOutcome x2apic = plan_starts(platform, 0, false, GUEST_MAX_CPUS);
  EXPECT_EQ(x2apic.started, (std::vector<std::uint32_t>{1, 0xFFFF'FFFE}));
  EXPECT_EQ(x2apic.failed, 1u);
  EXPECT_EQ(x2apic.not_addressable, 1u);
  EXPECT_EQ(smp::decide_start(0xFFFF'FFFF, 0, false, 1, GUEST_MAX_CPUS, false), smp::StartDecision::NotAddressable);
  EXPECT_EQ(smp::decide_start(0xFFFF'FFFF, 0, true, 1, GUEST_MAX_CPUS, false), smp::StartDecision::NotAddressable);
}

TEST_F(AcpiTest, StartDecisionSkipsTheBspAndRunsOutOfIndexes) {
  // The BSP need not be the first entry, nor id 0.
  madt = table("APIC", madt_body({local_apic(4), local_apic(7), local_apic(5), local_apic(6), ioapic()}));
  ASSERT_TRUE(parse_with()) << error;
  const StartOutcome three = plan_starts(platform, 7, true, 3);  // room for the BSP and two APs
  EXPECT_EQ(three.started, (std::vector<std::uint32_t>{4, 5}));
  EXPECT_EQ(three.failed, 1u);
  EXPECT_EQ(three.not_addressable, 0u);
  // An AP that could not be parked holds its index: nothing more is started.
  EXPECT_EQ(smp::decide_start(6, 7, true, 2, GUEST_MAX_CPUS, true), smp::StartDecision::NoFreeIndex);
  // The room check comes before the address check, as in smp.cc: both count as failed.
  EXPECT_EQ(smp::decide_start(0x100, 7, true, GUEST_MAX_CPUS, GUEST_MAX_CPUS, false),
            smp::StartDecision::NoFreeIndex);
  EXPECT_EQ(smp::decide_start(smp::kXApicBroadcast - 1, 7, true, 1, GUEST_MAX_CPUS, false),
            smp::StartDecision::Start);
}

}  // namespace
}  // namespace guest::acpi
