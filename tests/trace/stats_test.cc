#include "trace/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "test_util.h"

namespace irqshape::trace {
namespace {

TEST(Histogram, BucketsCoverEveryValueOnce) {
  const std::size_t last = Histogram::bucket_of(~0ull);
  EXPECT_EQ(last, 1919u);
  for (std::size_t b = 0; b <= last; ++b) {
    const auto lo = Histogram::bucket_low(b);
    const auto hi = Histogram::bucket_high(b);
    ASSERT_LE(lo, hi);
    ASSERT_EQ(Histogram::bucket_of(lo), b);
    ASSERT_EQ(Histogram::bucket_of(hi), b);
    if (b > 0) {
      ASSERT_EQ(Histogram::bucket_high(b - 1) + 1, lo);
    }
  }
  EXPECT_EQ(Histogram::bucket_of(~0ull), Histogram::bucket_of(~0ull - 1));
}

TEST(Histogram, QuantilesWithinThreePercent) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(10.0, 1.5);
  std::vector<std::uint64_t> v;
  Histogram h;
  for (int i = 0; i < 100'000; ++i) {
    auto x = static_cast<std::uint64_t>(dist(rng));
    v.push_back(x);
    h.add(x);
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = static_cast<double>(v[static_cast<std::size_t>(q * v.size()) - 1]);
    EXPECT_NEAR(static_cast<double>(h.quantile(q)), exact, exact * 0.035) << q;
  }
  EXPECT_EQ(h.min(), v.front());
  EXPECT_EQ(h.max(), v.back());
  EXPECT_EQ(h.count(), v.size());
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t x : {3, 1, 2, 5, 4}) h.add(x);
  EXPECT_EQ(h.quantile(0.5), 3u);
  EXPECT_EQ(h.quantile(1.0), 5u);
  EXPECT_EQ(h.quantile(0.0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 3.0);
  EXPECT_EQ(Histogram().quantile(0.5), 0u);
}

TEST(Stats, AttributesCompletionsAndPollsToTheirInterrupts) {
  std::string text;
  for (int i = 0; i < 10; ++i) {
    const double t = 1.0 + i * 0.001;
    text += fmt::format("  fio-1 [000] {:.6f}: block_rq_issue: 254,0 RS 4096 () {} + 8 be,0,4 [fio]\n", t, 100 + i * 8);
    text += fmt::format("  <idle>-0 [001] {:.6f}: irq_handler_entry: irq=36 name=virtio1-req.0\n", t + 0.0001);
    text += fmt::format("  <idle>-0 [001] {:.6f}: irq_handler_exit: irq=36 ret=handled\n", t + 0.000102);
    text += fmt::format("  <idle>-0 [001] {:.6f}: block_rq_complete: 254,0 RS () {} + 8 be,0,4 [0]\n", t + 0.000104,
                        100 + i * 8);
    if (i % 2 == 0) {
      text += fmt::format("  <idle>-0 [000] {:.6f}: irq_handler_entry: irq=38 name=virtio2-input.0\n", t + 0.0005);
      text += fmt::format("  <idle>-0 [000] {:.6f}: irq_handler_exit: irq=38 ret=handled\n", t + 0.000501);
      text += fmt::format("  <idle>-0 [000] {:.6f}: napi_poll: napi poll on napi struct 0 for device eth0 work 4 "
                          "budget 64\n", t + 0.000503);
    }
  }
  auto r = testing::open_string(text);
  ASSERT_TRUE(r);
  auto s = compute_stats(**r);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->records, 10u * 4 + 5u * 3);
  EXPECT_EQ(s->cpus, 2u);
  ASSERT_EQ(s->sources.size(), 2u);
  EXPECT_EQ(s->sources[0].entries, 10u);
  EXPECT_NEAR(s->sources[0].inter_arrival_ns.p50, 1'000'000, 30'000);
  EXPECT_NEAR(s->sources[0].handler_ns.mean, 2'000, 1);
  ASSERT_TRUE(s->sources[0].serves);
  EXPECT_EQ(s->catalog.devices[*s->sources[0].serves].name, "254,0");
  ASSERT_TRUE(s->sources[1].serves);
  EXPECT_EQ(s->catalog.devices[*s->sources[1].serves].name, "eth0");
  ASSERT_EQ(s->block.size(), 1u);
  const auto& b = s->block[0];
  EXPECT_EQ(b.issued, 10u);
  EXPECT_EQ(b.completed, 10u);
  EXPECT_EQ(b.reads, 10u);
  EXPECT_EQ(b.syncs, 10u);
  EXPECT_EQ(b.bytes_read, 40960u);
  EXPECT_NEAR(b.service_ns.mean, 104'000, 1);
  EXPECT_EQ(b.depth_at_issue, (std::vector<std::uint64_t>{0, 10}));
  EXPECT_DOUBLE_EQ(b.interrupts_per_completion, 1.0);
  EXPECT_EQ(b.issues_after_completion, 9u);
  ASSERT_EQ(s->net.size(), 1u);
  EXPECT_EQ(s->net[0].polls, 5u);
  EXPECT_EQ(s->net[0].packets, 20u);
  EXPECT_DOUBLE_EQ(s->net[0].packets_per_rx_interrupt, 4.0);
  EXPECT_EQ(s->net[0].rx_interrupts, 5u);
  EXPECT_NEAR(s->sources[0].rate_hz, 10 / 0.009104, 0.5);  // 10 entries over the trace's 9.104 ms
}

// The kernel's backlog ("(no_device)": loopback traffic, netif_rx) is polled after
// whatever interrupt last ran on the CPU - here virtio-net's tx queue, 0.5 ms before. Its
// polls are charged to no source: the tx interrupt serves eth0 alone, and the backlog has
// no interrupts and so no packets per receive interrupt.
TEST(Stats, BacklogPollsAreChargedToNoInterrupt) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const double t = 1.0 + i * 0.01;
    text += fmt::format("  <idle>-0 [000] {:.6f}: irq_handler_entry: irq=40 name=virtio2-output.0\n", t);
    text += fmt::format("  <idle>-0 [000] {:.6f}: irq_handler_exit: irq=40 ret=handled\n", t + 0.000001);
    text += fmt::format("  <idle>-0 [000] {:.6f}: napi_poll: napi poll on napi struct 0 for device eth0 work 0 "
                        "budget 64\n", t + 0.000003);
    for (int k = 0; k < 3; ++k) {
      text += fmt::format("  iperf-7 [000] {:.6f}: napi_poll: napi poll on napi struct 0 for device (no_device) "
                          "work 64 budget 64\n", t + 0.0005 + k * 0.0001);
    }
  }
  auto r = testing::open_string(text);
  ASSERT_TRUE(r);
  auto s = compute_stats(**r);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(s->sources.size(), 1u);
  ASSERT_TRUE(s->sources[0].serves);
  EXPECT_EQ(s->catalog.devices[*s->sources[0].serves].name, "eth0");
  ASSERT_EQ(s->net.size(), 2u);
  const auto& backlog = s->net[1];
  ASSERT_EQ(s->catalog.devices[backlog.id].name, "(no_device)");
  EXPECT_TRUE(is_napi_backlog(s->catalog.devices[backlog.id]));
  EXPECT_EQ(backlog.polls, 12u);
  EXPECT_EQ(backlog.packets, 12u * 64);
  EXPECT_EQ(backlog.interrupts, 0u);
  EXPECT_EQ(backlog.rx_interrupts, 0u);
  EXPECT_EQ(backlog.packets_per_rx_interrupt, 0.0);
  EXPECT_EQ(s->net[0].interrupts, 4u);     // eth0: the tx interrupt's entries
  EXPECT_EQ(s->net[0].rx_interrupts, 0u);  // its polls carried no packets
}

TEST(Stats, ReportsLostEvents) {
  auto r = testing::open_string("CPU:0 [LOST 5 EVENTS]\n  <idle>-0 [000] 1.0: irq_handler_entry: irq=1 name=a\nCPU:1 [EVENTS DROPPED]\n");
  ASSERT_TRUE(r);
  auto s = compute_stats(**r);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->lost.markers, 2u);
  EXPECT_EQ(s->lost.events, 5u);
  EXPECT_EQ(s->lost.uncounted_markers, 1u);  // "[EVENTS DROPPED]" gives no count
}

}  // namespace
}  // namespace irqshape::trace
