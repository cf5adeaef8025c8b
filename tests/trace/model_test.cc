#include "trace/model.h"

#include <gtest/gtest.h>

namespace irqshape::trace {
namespace {

TEST(Rwbs, DecodesWhatTheKernelPrints) {
  struct Case {
    const char* rwbs;
    std::uint16_t bits;
  };
  const Case cases[] = {
      {"R", BlockFlags::kRead},
      {"RA", BlockFlags::kRead | BlockFlags::kReadahead},
      {"RS", BlockFlags::kRead | BlockFlags::kSync},
      {"WS", BlockFlags::kWrite | BlockFlags::kSync},
      {"WFS", BlockFlags::kWrite | BlockFlags::kFua | BlockFlags::kSync},
      {"FWS", BlockFlags::kPreflush | BlockFlags::kWrite | BlockFlags::kSync},
      {"FWFSM", BlockFlags::kPreflush | BlockFlags::kWrite | BlockFlags::kFua | BlockFlags::kSync | BlockFlags::kMeta},
      {"FF", BlockFlags::kPreflush | BlockFlags::kFlushOp},
      {"F", BlockFlags::kFlushOp},
      {"FS", BlockFlags::kFlushOp | BlockFlags::kSync},
      {"D", BlockFlags::kDiscard},
      {"DS", BlockFlags::kDiscard | BlockFlags::kSync},
      {"DE", BlockFlags::kSecureErase},
      {"N", BlockFlags::kNoOp},
      {"RM", BlockFlags::kRead | BlockFlags::kMeta},
  };
  for (const auto& c : cases) {
    BlockFlags f;
    ASSERT_TRUE(parse_rwbs(c.rwbs, f)) << c.rwbs;
    EXPECT_EQ(f.bits(), c.bits) << c.rwbs;
    EXPECT_EQ(format_rwbs(f), c.rwbs);
  }
}

TEST(Rwbs, RejectsWhatTheKernelCannotPrint) {
  BlockFlags f;
  for (const char* bad : {"", "X", "r", "SW", "WSF", "WAA", "W S", "R\x01", "FFFFF"}) {
    EXPECT_FALSE(parse_rwbs(bad, f)) << bad;
  }
}

TEST(Rwbs, ReadWriteSyncFlushViews) {
  BlockFlags f;
  ASSERT_TRUE(parse_rwbs("FWFS", f));
  EXPECT_TRUE(f.is_write());
  EXPECT_FALSE(f.is_read());
  EXPECT_TRUE(f.is_sync());
  EXPECT_TRUE(f.is_flush());
  ASSERT_TRUE(parse_rwbs("RA", f));
  EXPECT_FALSE(f.is_flush());
  EXPECT_FALSE(f.is_sync());
}

TEST(SourceKind, FromLinuxNames) {
  EXPECT_EQ(classify_source_name("virtio1-req.0"), SourceKind::block);
  EXPECT_EQ(classify_source_name("virtio2-input.0"), SourceKind::net);
  EXPECT_EQ(classify_source_name("virtio2-output.0"), SourceKind::net);
  EXPECT_EQ(classify_source_name("virtio3-rx"), SourceKind::other);  // vsock
  EXPECT_EQ(classify_source_name("nvme0q1"), SourceKind::block);
  EXPECT_EQ(classify_source_name("ahci[0000:00:1f.2]"), SourceKind::block);
  EXPECT_EQ(classify_source_name("eth0-TxRx-3"), SourceKind::net);
  EXPECT_EQ(classify_source_name("enp3s0-rx-0"), SourceKind::net);
  EXPECT_EQ(classify_source_name("mlx5_comp0@pci:0000:3b:00.0"), SourceKind::net);
  EXPECT_EQ(classify_source_name("hpet"), SourceKind::timer);
  EXPECT_EQ(classify_source_name("timer"), SourceKind::timer);
  EXPECT_EQ(classify_source_name("ttyS0"), SourceKind::other);
  EXPECT_EQ(classify_source_name(""), SourceKind::other);
  // Names users give models and rule files (the ISD and the simulator use the same guess).
  EXPECT_EQ(classify_source_name("nic0"), SourceKind::net);
  EXPECT_EQ(classify_source_name("disk"), SourceKind::block);
  EXPECT_EQ(classify_source_name("xen-blkfront"), SourceKind::block);
  EXPECT_EQ(classify_source_name("ata_piix"), SourceKind::block);
  EXPECT_EQ(classify_source_name("lapic-apic-timer"), SourceKind::timer);
  EXPECT_EQ(classify_source_name("sensor-a"), SourceKind::other);
  EXPECT_EQ(classify_source_name("i8042"), SourceKind::other);
  static_assert(classify_source_name("LOC") == SourceKind::timer, "usable at compile time");
}

TEST(SourceKind, NamesAndStoredValuesAreStable) {
  // The values are stored in native trace files, the names in reports and rule files.
  EXPECT_EQ(static_cast<int>(SourceKind::other), 0);
  EXPECT_EQ(static_cast<int>(SourceKind::block), 1);
  EXPECT_EQ(static_cast<int>(SourceKind::net), 2);
  EXPECT_EQ(static_cast<int>(SourceKind::timer), 3);
  EXPECT_EQ(kLastSourceKind, SourceKind::timer);
  std::string names;
  for (const SourceKind k : irqshape::kSourceKinds) names += std::string(to_string(k)) + " ";
  EXPECT_EQ(names, "block net timer other ");
}

TEST(Source, DisplayName) {
  EXPECT_EQ(display_name(Source{36, "virtio1-req.0", SourceKind::block}), "virtio1-req.0 (irq 36)");
  EXPECT_EQ(display_name(Source{7, "", SourceKind::other}), "irq 7");
}

}  // namespace
}  // namespace irqshape::trace
