#include "trace/dat_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "test_util.h"
#include "tracecmd_oracle.h"
#include "trace/dat_writer.h"
#include "trace/event_format.h"
#include "trace/ring_buffer.h"
#include "trace/text_writer.h"

namespace irqshape::trace {
namespace {

using testing::PageEvent;
using testing::TempDir;

constexpr std::uint32_t kVda = (254u << 20) | 0;

// The same lines irqshape_oracle_dump prints, from our reader.
std::string dump_ours(const std::string& path) {
  auto r = open_trace(path, Format::trace_cmd_dat);
  if (!r) return "error: " + r.message();
  std::ostringstream out;
  Record rec;
  for (;;) {
    auto more = (*r)->next(rec);
    if (!more) return out.str() + "error: " + more.message();
    if (!*more) break;
    const Catalog& c = (*r)->catalog();
    switch (rec.type) {
      case RecordType::irq_entry:
        out << rec.cpu << ' ' << rec.ts << " irq_handler_entry irq=" << c.sources[rec.id].irq
            << " name=" << c.sources[rec.id].name << '\n';
        break;
      case RecordType::irq_exit:
        out << rec.cpu << ' ' << rec.ts << " irq_handler_exit irq=" << c.sources[rec.id].irq
            << " ret=" << (rec.handled ? 1 : 0) << '\n';
        break;
      case RecordType::block_issue:
      case RecordType::block_complete:
      case RecordType::block_requeue:
        out << rec.cpu << ' ' << rec.ts << ' ' << to_string(rec.type) << " sector=" << rec.sector << '+'
            << rec.nr_sectors << '\n';
        break;
      case RecordType::napi_poll:
        out << rec.cpu << ' ' << rec.ts << " napi_poll work=" << rec.work << '\n';
        break;
      case RecordType::lost_events:
        out << rec.cpu << " lost\n";
        break;
    }
  }
  return out.str();
}

std::string dump_oracle(const std::string& path) {
  char* s = irqshape_oracle_dump(path.c_str());
  if (s == nullptr) return "libtracecmd cannot open " + path;
  std::string out = s;
  std::free(s);
  return out;
}

// Two CPUs, every event type, a large time gap (time extend) and a long event; CPU 1's
// second page follows 17 lost events, and starts with an event the model skips when
// `skipped_after_loss`.
std::vector<std::vector<std::vector<std::uint8_t>>> sample_pages(bool skipped_after_loss = false) {
  const std::uint64_t t0 = 5'000'000'000;
  std::vector<PageEvent> cpu0 = {
      {t0 + 100, testing::block_issue_payload(kVda, 2048, 8, 4096, "RS")},
      {t0 + 5'000, testing::sched_switch_payload()},
      {t0 + 900'000'000, testing::block_issue_payload(kVda, 4096, 256, 131072, "WFS")},
  };
  std::vector<PageEvent> cpu1 = {
      {t0 + 20'000, testing::irq_entry_payload(36, "virtio1-req.0")},
      {t0 + 20'700, testing::block_complete_payload(kVda, 2048, 8, 0, "RS")},
      {t0 + 21'000, testing::irq_exit_payload(36, true)},
      {t0 + 30'000, testing::irq_entry_payload(38, std::string(150, 'q'))},  // > 112 bytes: length word
      {t0 + 30'500, testing::irq_exit_payload(38, false)},
      {t0 + 40'000, testing::napi_payload("eth0", 7, 64)},
  };
  std::vector<PageEvent> cpu1_page2 = {
      {t0 + 900'100'000, testing::block_complete_payload(kVda, 4096, 256, -5, "WFS")},
  };
  if (skipped_after_loss) cpu1_page2.insert(cpu1_page2.begin(), {t0 + 900'050'000, testing::sched_switch_payload()});
  return {{testing::build_page(cpu0)}, {testing::build_page(cpu1), testing::build_page(cpu1_page2, 4096, 17)}};
}

// The sample written as a v6 .dat with `option` (id, size, data) added first among its
// options; the per-CPU data offsets after "flyrecord" move with it.
std::string sample_dat_with_option(TempDir& dir, const std::string& option) {
  const auto path = dir.file("sample.dat");
  EXPECT_TRUE(write_dat(testing::make_dat_contents(dir, sample_pages()), path));
  std::string bytes = testing::read_file(path);
  const std::string label("options  \0", 10);
  const auto at = bytes.find(label);
  EXPECT_NE(at, std::string::npos);
  if (at == std::string::npos) return bytes;
  bytes.insert(at + label.size(), option);
  const auto fly = bytes.find(std::string("flyrecord\0", 10));
  for (std::size_t cpu = 0; fly != std::string::npos && cpu < 2; ++cpu) {
    std::uint64_t offset = 0;
    std::memcpy(&offset, bytes.data() + fly + 10 + 16 * cpu, 8);  // (little-endian host and file)
    offset += option.size();
    std::memcpy(bytes.data() + fly + 10 + 16 * cpu, &offset, 8);
  }
  return bytes;
}

// The sample written as a .dat and read back.
Result<Trace> load_sample(TempDir& dir, bool skipped_after_loss = false) {
  const auto path = dir.file("t.dat");
  EXPECT_TRUE(write_dat(testing::make_dat_contents(dir, sample_pages(skipped_after_loss)), path));
  return load_trace(path);
}

TEST(DatReader, ReadsWhatTheWriterWrote) {
  TempDir dir;
  auto t = load_sample(dir);
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->meta.format, Format::trace_cmd_dat);
  EXPECT_EQ(t->meta.clock, "local");
  EXPECT_EQ(t->skipped_events, 1u);  // sched_switch
  ASSERT_EQ(t->records.size(), 10u);
  const auto& r = t->records;
  EXPECT_EQ(r[0].type, RecordType::block_issue);
  EXPECT_EQ(r[0].ts, 5'000'000'100u);
  EXPECT_EQ(r[0].bytes, 4096u);
  EXPECT_EQ(t->catalog.devices.at(r[0].id), (Device{DeviceKind::block, 254, 0, "254,0"}));
  EXPECT_EQ(r[1].type, RecordType::irq_entry);
  EXPECT_EQ(r[1].cpu, 1);
  EXPECT_EQ(t->catalog.sources.at(r[1].id), (Source{36, "virtio1-req.0", SourceKind::block}));
  EXPECT_EQ(r[2].type, RecordType::block_complete);
  EXPECT_EQ(r[3].type, RecordType::irq_exit);
  EXPECT_TRUE(r[3].handled);
  EXPECT_EQ(t->catalog.sources.at(r[4].id).name, std::string(150, 'q'));
  EXPECT_FALSE(r[5].handled);
  EXPECT_EQ(r[6].type, RecordType::napi_poll);
  EXPECT_EQ(r[6].work, 7);
  EXPECT_EQ(r[7].type, RecordType::block_issue);  // after the 0.9 s time extend
  EXPECT_EQ(r[7].ts, 5'900'000'000u);
  EXPECT_TRUE(r[7].flags.has(BlockFlags::kFua));
  EXPECT_EQ(r[8].type, RecordType::lost_events);  // the second page on cpu1 says 17 were lost
  EXPECT_EQ(r[8].lost, 17u);
  EXPECT_EQ(r[9].error, -5);
}

// A passthrough request (an NVMe admin or SG_IO command) has no sectors: its size is
// block_rq_issue's `bytes` field, not nr_sector * 512.
TEST(DatReader, IssueSizeIsTheBytesField) {
  TempDir dir;
  const auto path = dir.file("p.dat");
  const std::vector<PageEvent> cpu0 = {{1'000, testing::block_issue_payload(kVda, 0, 0, 4096, "R")}};
  ASSERT_TRUE(write_dat(testing::make_dat_contents(dir, {{testing::build_page(cpu0)}}), path));
  auto t = load_trace(path);
  ASSERT_TRUE(t) << t.message();
  ASSERT_EQ(t->records.size(), 1u);
  EXPECT_EQ(t->records[0].nr_sectors, 0u);
  EXPECT_EQ(t->records[0].bytes, 4096u);
}

TEST(DatReader, AgreesWithLibtracecmdOnWrittenFiles) {
  TempDir dir;
  const auto path = dir.file("t.dat");
  ASSERT_TRUE(write_dat(testing::make_dat_contents(dir, sample_pages()), path));
  EXPECT_EQ(dump_ours(path), dump_oracle(path));
}

// TSC2NSEC (id 14: u32 multiplier, u32 shift, u64 offset) and OFFSET (id 7, a decimal
// string) convert raw timestamps; the converted times must be libtracecmd's.
TEST(DatReader, TimestampOptionsAgreeWithLibtracecmd) {
  const auto u32 = [](std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  const auto u64 = [](std::uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); };
  const std::string tsc = std::string("\x0e\x00", 2) + u32(16) + u32(5) + u32(1) + u64(123'456);
  const std::string unused_tsc = std::string("\x0e\x00", 2) + u32(16) + u32(0) + u32(1) + u64(7);  // multiplier 0
  const std::string offset = std::string("\x07\x00", 2) + u32(6) + std::string("-1000\0", 6);
  // DATE (1): microseconds, written by trace-cmd as hex; also decimal and octal.
  const auto date = [&](const std::string& text) { return std::string("\x01\x00", 2) + u32(static_cast<std::uint32_t>(text.size() + 1)) + text + '\0'; };
  // libtracecmd maps the CPU data by pages: a DATE option of "0" (an offset of 0 us)
  // pads the insertion to a whole page so that the data stays page aligned. (A uname
  // option would do as well, but libtracecmd 3.1.6 never frees the uname it copies,
  // which LeakSanitizer reports.)
  const auto padded = [&](const std::string& option) {
    const std::size_t pad = 4096 - (option.size() + 6) % 4096;
    return option + std::string("\x01\x00", 2) + u32(static_cast<std::uint32_t>(pad)) + "0" + std::string(pad - 1, '\0');
  };
  for (const std::string& option : {tsc, unused_tsc, offset, tsc + offset, date("0x5f5e100"), date("-250"),
                                    date("0777") + offset, tsc + date("1000000")}) {
    TempDir dir;
    const auto path = dir.file("ts.dat");
    testing::write_file(path, sample_dat_with_option(dir, padded(option)));
    const auto ours = dump_ours(path);
    EXPECT_EQ(ours.find("error:"), std::string::npos) << ours;
    EXPECT_EQ(ours, dump_oracle(path));
  }
}

// A lost-events marker takes the time of the next record its CPU keeps (the kernel's
// first event after the loss, unless that is of a kind the model skips); written as
// ftrace text (a line without a time, right before that record) and read back, it keeps
// that time, as every other record keeps its own.
TEST(DatReader, LostMarkersKeepTheirTimeThroughFtraceText) {
  for (const bool skipped_after_loss : {false, true}) {
    TempDir dir;
    auto t = load_sample(dir, skipped_after_loss);
    ASSERT_TRUE(t) << t.message();
    const auto marker = std::find_if(t->records.begin(), t->records.end(),
                                     [](const Record& r) { return r.type == RecordType::lost_events; });
    ASSERT_NE(marker, t->records.end());
    EXPECT_EQ(marker->lost, 17u);
    EXPECT_EQ(marker->ts, 5'900'100'000u) << "the block_complete after it, skipped event or not";
    ASSERT_NE(marker + 1, t->records.end());
    EXPECT_EQ((marker + 1)->type, RecordType::block_complete);
    EXPECT_EQ(t->skipped_events, skipped_after_loss ? 2u : 1u);
    std::string text;
    for (const Record& r : t->records) text += format_ftrace_line(r, t->catalog) + "\n";
    const Trace back = testing::read_string(text);
    EXPECT_EQ(back.records, t->records) << text;
  }
}

TEST(DatReader, AgreesWithLibtracecmdOnRealFiles) {
  // Captured on this machine and converted by trace-cmd 3.1.6 to v7 (zstd): see data/traces/README.md.
  int checked = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("data/traces", ec)) {
    if (e.path().extension() != ".dat") continue;
    const auto ours = dump_ours(e.path().string());
    ASSERT_EQ(ours.find("error:"), std::string::npos) << ours.substr(ours.find("error:"));
    EXPECT_EQ(ours, dump_oracle(e.path().string())) << e.path();
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no .dat files under data/traces";
}

// `trace-cmd extract -B fixture` of an instance that recorded 8 direct writes with dd
// (tests/trace/dat/README.md): the top instance is in the file with no CPUs, the data
// is in buffer "fixture". It used to read as an empty trace.
TEST(DatReader, ReadsTheFirstBufferWithDataWhenTheTopInstanceHasNone) {
  auto t = load_trace((testing::fixture_dir() / "dat" / "instance-only.v7.dat").string());
  ASSERT_TRUE(t) << t.message();
  // What `trace-cmd report` shows: 112 events, on CPU 1.
  ASSERT_EQ(t->records.size(), 112u);
  std::map<RecordType, int> counts;
  for (const auto& r : t->records) {
    ++counts[r.type];
    EXPECT_EQ(r.cpu, 1u);
  }
  EXPECT_EQ(counts[RecordType::irq_entry], 26);
  EXPECT_EQ(counts[RecordType::irq_exit], 26);
  EXPECT_EQ(counts[RecordType::block_issue], 26);
  EXPECT_EQ(counts[RecordType::block_complete], 34);
  EXPECT_EQ(t->records.front().ts, 12214'446646414u);
  EXPECT_EQ(t->records.back().ts, 12214'490463758u);
  EXPECT_EQ(t->meta.clock, "local");
  using Property = std::pair<std::string, std::string>;
  const auto& p = t->meta.properties;
  EXPECT_NE(std::find(p.begin(), p.end(), Property{"buffer", "fixture"}), p.end());
  EXPECT_NE(std::find(p.begin(), p.end(),
                      Property{"note", "the file holds 2 trace-cmd buffers; read buffer \"fixture\", skipped the top "
                                       "instance (no data)"}),
            p.end());
}

// The CPU count option (8) is held to the same bound as the header's count: a crafted one
// would otherwise make the reader set up a stream per claimed CPU.
TEST(DatReader, AnImplausibleCpuCountOptionIsAnError) {
  TempDir dir;
  const std::string bytes = sample_dat_with_option(dir, std::string("\x08\x00\x04\x00\x00\x00\xa0\x86\x01\x00", 10));
  const std::string error = testing::error_of(bytes, "c.dat");  // 100000 CPUs
  EXPECT_NE(error.find("implausible CPU count 100000"), std::string::npos) << error;
}

TEST(DatReader, BadDateAndOffsetOptionsAreErrors) {
  TempDir dir;
  const auto option = [](char id, const std::string& text) {
    return std::string{id, '\0'} + static_cast<char>(text.size() + 1) + std::string(3, '\0') + text + '\0';
  };
  for (const auto& [bytes, want] :
       {std::pair{option(1, "12abc"), "date option '12abc': not an integer"},
        std::pair{option(1, "0x7fffffffffffffff"), "date option '0x7fffffffffffffff': out of range in nanoseconds"},
        std::pair{option(7, "-"), "offset option '-': not an integer"},
        std::pair{option(7, "99999999999999999999"), "offset option '99999999999999999999': out of range"},
        std::pair{option(7, "9223372036854775808"), "offset option '9223372036854775808': out of range"},
        std::pair{option(7, "9223372036854775807") + option(1, "1"),
                  "date option '1': out of range added to the earlier offsets"}}) {
    const std::string error = testing::error_of(sample_dat_with_option(dir, bytes), "d.dat");
    EXPECT_NE(error.find(want), std::string::npos) << error;
    EXPECT_NE(error.find("byte offset"), std::string::npos) << error;
  }
}

// A v6 file recorded with trace-cmd record -B holds BUFFER options (id 3); only the top
// instance is read, and a note says which buffers were not.
TEST(DatReader, V6BuffersThatAreNotReadAreNamedInANote) {
  TempDir dir;
  const std::string bytes = sample_dat_with_option(
      dir, std::string("\x03\x00\x0e\x00\x00\x00", 6) + std::string(8, '\0') + std::string("extra\0", 6));
  const auto edited = dir.file("b2.dat");
  testing::write_file(edited, bytes);
  auto t = load_trace(edited);
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->records.size(), 10u);  // the top instance's
  using Property = std::pair<std::string, std::string>;
  const auto& p = t->meta.properties;
  EXPECT_NE(std::find(p.begin(), p.end(),
                      Property{"note", "the file also holds 1 trace-cmd buffer (extra), not read: only the top "
                                       "instance is"}),
            p.end());
}

TEST(DatReader, AFileWithOneBufferHasNoNote) {
  auto t = load_trace("data/traces/dd-write.v7.dat");
  ASSERT_TRUE(t) << t.message();
  EXPECT_FALSE(t->records.empty());
  for (const auto& [k, v] : t->meta.properties) EXPECT_NE(k, "note") << v;
}

// An offset pointing past the end of a cut file says where the file ends.
TEST(DatReader, ACutFileSaysWhereItEnds) {
  const std::string v7 = testing::read_file("data/traces/dd-write.v7.dat");
  ASSERT_GT(v7.size(), 100u);
  EXPECT_EQ(testing::error_of(v7.substr(0, 100), "cut.dat"),
            "cut.dat: byte offset 2218: truncated section id (the file ends at byte 100)");
}

TEST(DatReader, EveryTruncationIsAnError) {
  TempDir dir;
  const auto path = dir.file("t.dat");
  ASSERT_TRUE(write_dat(testing::make_dat_contents(dir, sample_pages()), path));
  const std::string bytes = testing::read_file(path);
  for (std::size_t len = 0; len < bytes.size(); len += (len < 2048 ? 1 : 97)) {
    const std::string cut = bytes.substr(0, len);
    const auto err = testing::error_of(cut, "cut.dat", Format::trace_cmd_dat);
    ASSERT_FALSE(err.empty()) << "truncated at " << len << " read without error";
    ASSERT_TRUE(err.starts_with("cut.dat: ")) << err;
  }
}

TEST(DatReader, CorruptPagesAreErrorsWithOffsets) {
  TempDir dir;
  const auto path = dir.file("t.dat");
  ASSERT_TRUE(write_dat(testing::make_dat_contents(dir, sample_pages()), path));
  std::string bytes = testing::read_file(path);
  // CPU data is page aligned: find cpu0's page by its timestamp.
  const std::uint64_t t0 = 5'000'000'100;
  const std::string ts(reinterpret_cast<const char*>(&t0), 8);
  const auto page = bytes.find(ts);
  ASSERT_NE(page, std::string::npos);
  ASSERT_EQ(page % 4096, 0u);
  std::string bad = bytes;
  bad[page + 8] = '\xff';  // commit: larger than the page
  bad[page + 9] = '\x7f';
  EXPECT_EQ(testing::error_of(bad, "bad.dat"),
            fmt::format("bad.dat: byte offset {}: CPU 0: page commit size runs past the end of the page", page + 8));
  bad = bytes;
  bad[page + 16] = 0;  // first event: type_len 0 ...
  bad[page + 20] = 2;  // ... with a length word smaller than itself
  bad[page + 21] = bad[page + 22] = bad[page + 23] = 0;
  EXPECT_EQ(testing::error_of(bad, "bad.dat"),
            fmt::format("bad.dat: byte offset {}: CPU 0: event length smaller than its length word", page + 16));
}

TEST(DatReader, RejectsWhatItCannotRead) {
  EXPECT_EQ(testing::error_of(std::string("\x17\x08\x44tracing9\0", 12), "v.dat"),
            "v.dat: byte offset 10: unsupported trace-cmd file version '9' (this reader handles 6 and 7)");
  const std::string header("\x17\x08\x44tracing6\0\0\x08\0\x10\0\0", 18);
  auto pipe = open_trace(std::make_unique<testing::SequentialInput>(header, "<stdin>"));
  ASSERT_FALSE(pipe);
  EXPECT_EQ(pipe.message(), "<stdin>: trace-cmd .dat files need random access; read them from a regular file");
  EXPECT_EQ(testing::error_of(std::string("\x17\x08\x44tracing7\0\0\x08\0\x10\0\0lz4\0" "1\0", 24), "c.dat"),
            "c.dat: byte offset 24: compression 'lz4' is not supported (only none and zstd); convert with: trace-cmd "
            "convert --compression none -i IN -o OUT");
}

TEST(EventFormat, ParsesKernelFormats) {
  auto f = parse_event_format(testing::read_file(testing::fixture_dir() / "formats" / "block_rq_issue.format"));
  ASSERT_TRUE(f) << f.message();
  EXPECT_EQ(f->name, "block_rq_issue");
  EXPECT_EQ(f->id, 2104u);
  const EventField* rwbs = f->field("rwbs");
  ASSERT_NE(rwbs, nullptr);
  EXPECT_EQ(rwbs->offset, 34u);
  EXPECT_EQ(rwbs->size, 10u);
  const EventField* cmd = f->field("cmd");
  ASSERT_NE(cmd, nullptr);
  EXPECT_TRUE(cmd->data_loc);
  const EventField* pid = f->field("common_pid");
  ASSERT_NE(pid, nullptr);
  EXPECT_TRUE(pid->is_signed);
  auto hp = parse_header_page(testing::read_file(testing::fixture_dir() / "formats" / "header_page"));
  ASSERT_TRUE(hp) << hp.message();
  EXPECT_EQ(hp->commit_offset, 8u);
  EXPECT_EQ(hp->commit_size, 8u);
  EXPECT_EQ(hp->data_offset, 16u);
  EXPECT_FALSE(parse_event_format("name: x\nformat:\n\tfield:int a;\toffset:8;\n"));
  EXPECT_FALSE(parse_header_page("\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"));
}

TEST(PageDecoder, HandlesPaddingAndAbsoluteTimestamps) {
  RingBufferLayout layout;
  std::vector<std::uint8_t> page(4096, 0);
  auto put32 = [&](std::size_t off, std::uint32_t v) { std::memcpy(page.data() + off, &v, 4); };
  std::uint64_t ts = 1000;
  std::memcpy(page.data(), &ts, 8);
  std::size_t p = 16;
  put32(p, 29u | (5u << 5));  // discarded event (padding with a delta): 8 bytes of it follow
  put32(p + 4, 8);
  p += 4 + 8;
  put32(p, 31u | (7u << 5));  // absolute timestamp (2 << 27) + 7
  put32(p + 4, 2);
  p += 8;
  put32(p, 1u | (3u << 5));  // 4-byte event, delta 3
  put32(p + 4, 0xabcd);
  p += 8;
  put32(p, 29u);  // padding, delta 0: the rest of the page is empty
  p += 4;
  const std::uint64_t commit = p - 16 + 64;
  std::memcpy(page.data() + 8, &commit, 8);
  PageDecoder d(layout);
  ASSERT_EQ(d.reset(page), nullptr);
  RawEvent ev;
  ASSERT_EQ(d.next(ev), 1);
  EXPECT_EQ(ev.ts, (2ull << 27) + 7 + 3);
  EXPECT_EQ(ev.payload.size(), 4u);
  EXPECT_EQ(d.next(ev), 0);
}

}  // namespace
}  // namespace irqshape::trace
