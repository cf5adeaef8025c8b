// The real traces in data/traces (captured on the project's VM, see its README.md)
// read cleanly and show what their workloads did.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "test_util.h"
#include "trace/stats.h"
#include "trace/views.h"

namespace irqshape::trace {
namespace {

const std::string kDir = "data/traces/";

TraceStats stats_of(const std::string& name) {
  auto r = open_trace(kDir + name);
  if (!r) throw std::runtime_error(r.message());
  auto s = compute_stats(**r);
  if (!s) throw std::runtime_error(s.message());
  return std::move(*s);
}

const BlockDeviceStats& vda(const TraceStats& s) {
  for (const auto& b : s.block) {
    if (s.catalog.devices[b.id].major == 254 && s.catalog.devices[b.id].minor == 0) return b;
  }
  throw std::runtime_error("no 254,0 device");
}

double share_at_or_above(const BlockDeviceStats& b, std::size_t depth) {
  const double total = static_cast<double>(std::accumulate(b.depth_at_issue.begin(), b.depth_at_issue.end(), 0ull));
  double n = 0;
  for (std::size_t d = depth; d < b.depth_at_issue.size(); ++d) n += static_cast<double>(b.depth_at_issue[d]);
  return total > 0 ? n / total : 0;
}

TEST(DataTraces, RandomReadQueueDepthOne) {
  auto s = stats_of("randread-qd1.irqt");
  EXPECT_EQ(s.meta.format, Format::native);
  EXPECT_EQ(s.lost.markers, 0u);
  const auto& b = vda(s);
  EXPECT_GT(b.completed, 10'000u);
  EXPECT_EQ(b.writes, 0u);
  EXPECT_GT(static_cast<double>(b.depth_at_issue.at(1)) / static_cast<double>(b.completed), 0.99);
  EXPECT_NEAR(b.interrupts_per_completion, 1.0, 0.05);
  EXPECT_GT(static_cast<double>(b.issues_after_completion) / static_cast<double>(b.issued), 0.99);
}

TEST(DataTraces, RandomReadQueueDepth32) {
  auto s = stats_of("randread-qd32.irqt");
  const auto& b = vda(s);
  EXPECT_GT(b.completed, 10'000u);
  EXPECT_GT(share_at_or_above(b, 16), 0.4);
  EXPECT_LE(b.depth_at_issue.size(), 36u);  // fio keeps 32 in flight, the filesystem adds the odd write
  // One interrupt answers many completions at depth 32 on this virtio-blk.
  EXPECT_LT(b.interrupts_per_completion, 0.5);
}

TEST(DataTraces, SequentialWrite) {
  auto s = stats_of("seqwrite.irqt");
  const auto& b = vda(s);
  EXPECT_GT(b.writes, 1000u);
  EXPECT_EQ(b.reads, 0u);
  EXPECT_GT(b.flushes, 10u);
  EXPECT_GT(b.bytes_written, 100u << 20);
}

TEST(DataTraces, NetworkDownload) {
  auto s = stats_of("net-download.irqt");
  ASSERT_EQ(s.net.size(), 1u);
  EXPECT_EQ(s.catalog.devices[s.net[0].id].name, "eth0");
  EXPECT_GT(s.net[0].polls, 1000u);
  EXPECT_GT(s.net[0].packets, 1000u);
  // Only the rx queue's interrupts lead to polls that carry packets.
  EXPECT_LT(s.net[0].rx_interrupts, s.net[0].interrupts);
  EXPECT_GT(s.net[0].packets_per_rx_interrupt, 1.0);
  bool input_queue = false;
  for (const auto& src : s.sources) {
    const Source& so = s.catalog.sources[src.id];
    if (so.name.find("-input.") != std::string::npos) {
      input_queue = true;
      EXPECT_EQ(so.kind, SourceKind::net);
      EXPECT_GT(src.entries, 1000u);
    }
  }
  EXPECT_TRUE(input_queue);
}

TEST(DataTraces, MixedBuildAndIo) {
  auto s = stats_of("mixed-build-io.irqt");
  const auto& b = vda(s);
  EXPECT_GT(b.reads, 1000u);
  EXPECT_GT(b.writes, 1000u);
}

TEST(DataTraces, OneCaptureInEveryFormatReadsTheSame) {
  auto dat = load_trace(kDir + "dd-write.dat");
  ASSERT_TRUE(dat) << dat.message();
  auto v7 = load_trace(kDir + "dd-write.v7.dat");
  ASSERT_TRUE(v7) << v7.message();
  EXPECT_EQ(v7->records, dat->records);
  EXPECT_EQ(v7->catalog, dat->catalog);
  // `trace-cmd report` prints microseconds, rounded.
  auto report = load_trace(kDir + "dd-write.report.txt");
  ASSERT_TRUE(report) << report.message();
  EXPECT_EQ(report->meta.format, Format::ftrace_text);
  ASSERT_EQ(report->records.size(), dat->records.size());
  for (std::size_t i = 0; i < dat->records.size(); ++i) {
    Record a = dat->records[i], b = report->records[i];
    ASSERT_LE(a.ts > b.ts ? a.ts - b.ts : b.ts - a.ts, 500u) << i;
    a.ts = b.ts = 0;
    ASSERT_EQ(a, b) << i;
  }
  // The kernel's text and perf script of the same load (separate runs).
  for (const char* name : {"dd-write.ftrace.txt", "dd-write.perf.txt"}) {
    auto s = stats_of(name);
    EXPECT_GT(vda(s).writes, 60u) << name;
    EXPECT_GT(s.sources.size(), 0u) << name;
  }
  EXPECT_EQ(stats_of("dd-write.perf.txt").meta.format, Format::perf_script);
}

}  // namespace
}  // namespace irqshape::trace
