// Which x2APIC MSRs the guest's MSR port lets through (guest/apic/x2apic_msrs.h), hosted:
// the optional LVT registers (performance counter, thermal sensor, CMCI) only where the
// local APIC version register counts them, CMCI only with IA32_MCG_CAP[10] too; the
// four LVTs every APIC has, always.
#include "apic/x2apic_msrs.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace guest::apic {
namespace {

using namespace irqshape::hw::lapic;

// A version register: version 0x14 (integrated APIC), Max LVT Entry = entries - 1.
constexpr std::uint32_t version_with(unsigned lvt_entries) { return 0x14u | (lvt_entries - 1) << 16; }

struct Present {
  bool performance, thermal, cmci;
};

Present present(std::uint32_t version, bool mcg_cap_cmci) {
  const OptionalLvts lvts = OptionalLvts::from(version, mcg_cap_cmci);
  for (const std::uint32_t offset : {kLvtPerf, kLvtThermal, kLvtCmci}) {
    // Readable and writable alike: an LVT that exists is both, one that does not neither.
    EXPECT_EQ(x2apic_readable(offset, lvts), x2apic_writable(offset, lvts)) << std::hex << offset;
  }
  return {x2apic_readable(kLvtPerf, lvts), x2apic_readable(kLvtThermal, lvts), x2apic_readable(kLvtCmci, lvts)};
}

TEST(GuestX2ApicMsrsTest, OptionalLvtsFollowTheMaxLvtEntry) {
  // Pentium: 4 entries; P6: + performance counter; Pentium 4: + thermal; Nehalem: + CMCI.
  const Present four = present(version_with(4), true);
  EXPECT_FALSE(four.performance || four.thermal || four.cmci);
  const Present five = present(version_with(5), true);
  EXPECT_TRUE(five.performance);
  EXPECT_FALSE(five.thermal || five.cmci);
  const Present six = present(version_with(6), true);  // QEMU's APIC: version 0x50014
  EXPECT_TRUE(six.performance && six.thermal);
  EXPECT_FALSE(six.cmci);
  const Present seven = present(version_with(7), true);
  EXPECT_TRUE(seven.performance && seven.thermal && seven.cmci);
}

TEST(GuestX2ApicMsrsTest, CmciNeedsMcgCapBit10Too) {
  const Present seven = present(version_with(7), false);
  EXPECT_TRUE(seven.performance && seven.thermal);
  EXPECT_FALSE(seven.cmci);
}

TEST(GuestX2ApicMsrsTest, TheFourArchitecturalLvtsAreAlwaysThere) {
  const OptionalLvts none = OptionalLvts::from(version_with(4), false);
  for (const std::uint32_t offset : {kLvtTimer, kLvtLint0, kLvtLint1, kLvtError}) {
    EXPECT_TRUE(x2apic_readable(offset, none)) << std::hex << offset;
    EXPECT_TRUE(x2apic_writable(offset, none)) << std::hex << offset;
  }
  // The gate touches only the three optional LVTs: the rest of the table is unchanged.
  for (std::uint32_t offset = 0; offset < 0x400; offset += 0x10) {
    if (offset == kLvtPerf || offset == kLvtThermal || offset == kLvtCmci) continue;
    EXPECT_EQ(x2apic_readable(offset, none), x2apic_readable(offset, kEveryLvt)) << std::hex << offset;
    EXPECT_EQ(x2apic_writable(offset, none), x2apic_writable(offset, kEveryLvt)) << std::hex << offset;
  }
}

}  // namespace
}  // namespace guest::apic
