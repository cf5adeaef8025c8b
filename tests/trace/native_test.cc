#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>

#include "test_util.h"
#include "trace/crc32c.h"
#include "trace/native.h"
#include "trace/native_format.h"
#include "trace/text_writer.h"
#include "trace/varint.h"

namespace irqshape::trace {
namespace {

using testing::TempDir;

Trace random_trace(std::uint64_t seed, std::size_t n) {
  std::mt19937_64 rng(seed);
  Trace t;
  t.meta.clock = "local";
  t.meta.properties = {{"command", "fio --rw=randread"}, {"captured_by", "test"}};
  t.catalog.sources = {{36, "virtio1-req.0", SourceKind::block}, {38, "virtio2-input.0", SourceKind::net},
                       {0, "timer", SourceKind::timer}, {-1, "", SourceKind::other}};
  t.catalog.devices = {{DeviceKind::block, 254, 0, "vda"}, {DeviceKind::net, 0, 0, "eth0"}};
  Nanos ts = 1'000'000'000'000;
  for (std::size_t i = 0; i < n; ++i) {
    Record r;
    ts += rng() % 100'000;
    r.ts = ts;
    r.cpu = static_cast<std::uint16_t>(rng() % 64);
    r.type = static_cast<RecordType>(rng() % 7);
    switch (r.type) {
      case RecordType::irq_entry:
      case RecordType::irq_exit:
        r.id = static_cast<std::uint32_t>(rng() % t.catalog.sources.size());
        r.handled = r.type == RecordType::irq_exit && rng() % 2;
        break;
      case RecordType::block_issue:
      case RecordType::block_complete:
      case RecordType::block_requeue:
        r.id = 0;
        r.sector = rng() % (1ull << 40);
        r.nr_sectors = static_cast<std::uint32_t>(rng() % 4096);
        r.bytes = r.nr_sectors * 512;
        r.flags = BlockFlags(static_cast<std::uint16_t>(rng() & BlockFlags::kAllBits));
        if (r.type == RecordType::block_complete) r.error = -static_cast<std::int32_t>(rng() % 3);
        break;
      case RecordType::napi_poll:
        r.id = 1;
        r.work = static_cast<std::int32_t>(rng() % 65);
        r.budget = 64;
        break;
      case RecordType::lost_events:
        r.lost = rng() % 3 ? rng() % 100000 : 0;
        break;
    }
    t.records.push_back(r);
  }
  return t;
}

std::vector<std::uint8_t> encode(const Trace& t) {
  std::vector<std::uint8_t> out;
  auto w = NativeWriter::to_memory(out);
  EXPECT_TRUE(w->write_meta(t.meta));
  for (const auto& s : t.catalog.sources) EXPECT_TRUE(w->define_source(s));
  for (const auto& d : t.catalog.devices) EXPECT_TRUE(w->define_device(d));
  for (const auto& r : t.records) EXPECT_TRUE(w->write(r));
  EXPECT_TRUE(w->finish());
  return out;
}

Result<Trace> decode(const std::vector<std::uint8_t>& bytes, const std::string& name = "t.irqt") {
  auto r = open_trace(memory_input(std::span<const std::uint8_t>(bytes), name));
  if (!r) return r.error();
  return read_all(**r);
}

TEST(Native, RoundTripsEveryField) {
  const Trace t = random_trace(1, 50'000);
  const auto bytes = encode(t);
  auto back = decode(bytes);
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(back->meta.format, Format::native);
  EXPECT_EQ(back->meta.clock, "local");
  EXPECT_EQ(back->meta.properties, t.meta.properties);
  EXPECT_EQ(back->catalog, t.catalog);
  ASSERT_EQ(back->records.size(), t.records.size());
  for (std::size_t i = 0; i < t.records.size(); ++i) ASSERT_EQ(back->records[i], t.records[i]) << "record " << i;
  // Compact: well under 16 bytes per record even for these random (incompressible) values.
  EXPECT_LT(bytes.size(), t.records.size() * 16);
}

// Readers hand records out in time order: a native trace whose records step back is
// refused with the record and its CPU (it converted to text that could not be read back).
TEST(Native, ARecordThatStepsBackInTimeIsAnError) {
  Trace t = random_trace(3, 10);
  t.records[5].ts = t.records[4].ts - 1;
  t.records[5].cpu = 7;
  auto back = decode(encode(t));
  ASSERT_FALSE(back);
  EXPECT_EQ(back.message(), fmt::format("t.irqt: record 6 (CPU 7): time goes backwards: {} ns after {} ns (records must be "
                                        "in time order)",
                                        t.records[5].ts, t.records[4].ts));
}

// A source name with a control character is refused when read: the text formats could
// not carry it (a newline in a name made the ftrace text copy one line longer).
TEST(Native, ANameWithAControlCharacterIsAnError) {
  Trace t = random_trace(4, 10);
  t.catalog.sources[0].name = "eth0\nirq_handler_entry";
  auto back = decode(encode(t));
  ASSERT_FALSE(back);
  EXPECT_NE(back.message().find("source name has a control character (0x0a)"), std::string::npos) << back.message();
}

// irq -1 ("unknown", which the native format carries) survives ftrace text and back.
TEST(Native, AnUnknownIrqSurvivesFtraceText) {
  Trace t;
  t.catalog.sources = {{-1, "", SourceKind::other}};
  Record r;
  r.type = RecordType::irq_entry;
  r.ts = 5;
  t.records.push_back(r);
  const std::string line = format_ftrace_line(t.records[0], t.catalog);
  const Trace back = testing::read_string(line + "\n");
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.catalog.sources.at(0).irq, -1);
}

TEST(Native, EmptyTrace) {
  Trace t;
  auto back = decode(encode(t));
  ASSERT_TRUE(back) << back.message();
  EXPECT_TRUE(back->records.empty());
}

TEST(Native, WriterRefusesUndefinedIds) {
  std::vector<std::uint8_t> out;
  auto w = NativeWriter::to_memory(out);
  Record r;
  r.type = RecordType::irq_entry;
  r.id = 0;
  EXPECT_EQ(w->write(r).message(), "<memory>: record refers to undefined source 0");
}

TEST(Native, EveryTruncationIsAnError) {
  const auto bytes = encode(random_trace(2, 300));
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(len));
    auto back = decode(cut, "cut.irqt");
    ASSERT_FALSE(back) << "truncated at " << len << " of " << bytes.size() << " read without error";
    EXPECT_TRUE(back.message().starts_with("cut.irqt: ")) << back.message();
  }
}

TEST(Native, EveryFlippedByteIsDetected) {
  const auto bytes = encode(random_trace(3, 200));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto bad = bytes;
    bad[i] ^= 0x20;
    auto back = decode(bad, "flip.irqt");
    ASSERT_FALSE(back) << "flip at byte " << i << " went unnoticed";
  }
}

TEST(Native, ErrorsNameTheByteOffset) {
  auto bytes = encode(random_trace(4, 100));
  auto bad = bytes;
  bad[40] ^= 1;  // inside the first block's payload
  EXPECT_EQ(decode(bad, "x.irqt").message().substr(0, 17), "x.irqt: byte offs");
  EXPECT_NE(decode(bad, "x.irqt").message().find("checksum mismatch"), std::string::npos);

  auto trailing = bytes;
  trailing.push_back(0);
  EXPECT_EQ(decode(trailing, "x.irqt").message(),
            fmt::format("x.irqt: byte offset {}: data after the end block", bytes.size()));

  auto version = bytes;
  version[8] = 2;  // major version 2, header checksum fixed up
  const std::uint32_t crc = crc32c(0, version.data(), 12);
  for (int i = 0; i < 4; ++i) version[12 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
  EXPECT_EQ(decode(version, "x.irqt").message(), "x.irqt: byte offset 8: unsupported format version 2.0 (this build reads 1.x)");
}

TEST(Native, UnknownOptionalBlocksAreSkipped) {
  auto bytes = encode(random_trace(5, 10));
  // Insert an optional block (type with bit 31) right after the file header.
  std::vector<std::uint8_t> block(16 + 3, 0);
  const std::uint32_t type = native::kOptionalBlock | 77;
  for (int i = 0; i < 4; ++i) block[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(type >> (8 * i));
  block[4] = 3;
  block[16] = 'a';
  std::uint32_t crc = crc32c(crc32c(0, block.data(), 12), block.data() + 16, 3);
  for (int i = 0; i < 4; ++i) block[12 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
  bytes.insert(bytes.begin() + 16, block.begin(), block.end());
  auto back = decode(bytes);
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(back->records.size(), 10u);
}

TEST(Native, ConvertsThroughFiles) {
  TempDir dir;
  const auto text = std::string(
      "  <idle>-0 [001] 1.000000100: irq_handler_entry: irq=36 name=virtio1-req.0\n"
      "  <idle>-0 [001] 1.000000900: irq_handler_exit: irq=36 ret=handled\n");
  testing::write_file(dir.file("in.txt"), text);
  auto r = convert_to_native(dir.file("in.txt"), dir.file("out.irqt"));
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->records, 2u);
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.irqt.partial")));
  auto t = load_trace(dir.file("out.irqt"));
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->records.size(), 2u);
  EXPECT_EQ(t->records[1].ts, 1'000'000'900u);
  EXPECT_EQ(t->meta.properties.at(0), (std::pair<std::string, std::string>{"source_format", "ftrace-text"}));
}

TEST(Native, FailedConversionLeavesNoOutput) {
  TempDir dir;
  testing::write_file(dir.file("in.txt"), "  <idle>-0 [001] 1.0: irq_handler_entry: irq=36 name=a\ngarbage\n");
  auto r = convert_to_native(dir.file("in.txt"), dir.file("out.irqt"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), dir.file("in.txt") + ": line 2: no '[cpu]' field");
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.irqt")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.irqt.partial")));
}

TEST(Varint, EdgeCases) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, ~0ull, 1ull << 63}) {
    std::vector<std::uint8_t> b;
    put_varint(b, v);
    const std::uint8_t* p = b.data();
    std::uint64_t out = 0;
    ASSERT_TRUE(get_varint(p, b.data() + b.size(), out));
    EXPECT_EQ(out, v);
    EXPECT_EQ(p, b.data() + b.size());
    const std::uint8_t* q = b.data();
    if (b.size() > 1) {
      EXPECT_FALSE(get_varint(q, b.data() + b.size() - 1, out));
    }
  }
  const std::uint8_t eleven[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  const std::uint8_t* p = eleven;
  std::uint64_t out;
  EXPECT_FALSE(get_varint(p, eleven + 11, out));
  const std::uint8_t overflow[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  p = overflow;
  EXPECT_FALSE(get_varint(p, overflow + 10, out));
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, std::int64_t{INT64_MIN}, std::int64_t{INT64_MAX}}) {
    EXPECT_EQ(unzigzag(zigzag(v)), v);
  }
}

TEST(Crc32c, KnownValues) {
  EXPECT_EQ(crc32c(0, "123456789", 9), 0xE3069283u);  // the standard check value
  EXPECT_EQ(crc32c(0, "", 0), 0u);
  std::string a(1000, 'a');
  EXPECT_EQ(crc32c(crc32c(0, a.data(), 300), a.data() + 300, 700), crc32c(0, a.data(), 1000));
}

}  // namespace
}  // namespace irqshape::trace
