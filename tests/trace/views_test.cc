#include "trace/views.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace irqshape::trace {
namespace {

using testing::read_string;

std::string issue(double t, std::uint64_t sector, const char* rwbs = "RS", int cpu = 0) {
  return fmt::format("  fio-1 [{:03}] {:.6f}: block_rq_issue: 254,0 {} 4096 () {} + 8 be,0,4 [fio]\n", cpu, t, rwbs,
                     sector);
}
std::string complete(double t, std::uint64_t sector, const char* rwbs = "RS", int cpu = 1) {
  return fmt::format("  <idle>-0 [{:03}] {:.6f}: block_rq_complete: 254,0 {} () {} + 8 be,0,4 [0]\n", cpu, t, rwbs,
                     sector);
}
std::string requeue(double t, std::uint64_t sector) {
  return fmt::format("  <idle>-0 [000] {:.6f}: block_rq_requeue: 254,0 WS () {} + 8 be,0,4 [0]\n", t, sector);
}

TEST(BlockRequests, QueueDepthOneWithThinkTimes) {
  auto t = read_string(issue(1.000000, 100) + complete(1.000050, 100) + issue(1.000060, 200) +
                       complete(1.000100, 200) + issue(1.000130, 300) + complete(1.000200, 300));
  auto q = match_block_requests(t);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].service_ns(), 50'000u);
  EXPECT_EQ(q[0].queue_depth, 1u);
  EXPECT_FALSE(q[0].after_completion);
  EXPECT_EQ(q[0].think_ns, 0u);
  EXPECT_TRUE(q[1].after_completion);
  EXPECT_EQ(q[1].think_ns, 10'000u);
  EXPECT_EQ(q[2].think_ns, 30'000u);
  EXPECT_EQ(q[2].issue_cpu, 0);
  EXPECT_EQ(q[2].complete_cpu, 1);
  EXPECT_TRUE(q[2].flags.is_read());
}

TEST(BlockRequests, DeeperQueuesAndOutOfOrderCompletions) {
  auto t = read_string(issue(1.0, 100) + issue(1.000010, 200) + issue(1.000020, 300) + complete(1.000030, 200) +
                       issue(1.000035, 400) + complete(1.000040, 100) + complete(1.000050, 400) +
                       complete(1.000060, 300));
  auto q = match_block_requests(t);
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].queue_depth, 1u);
  EXPECT_EQ(q[1].queue_depth, 2u);
  EXPECT_EQ(q[2].queue_depth, 3u);
  EXPECT_FALSE(q[1].after_completion);
  EXPECT_EQ(q[1].think_ns, 10'000u);  // gap from the previous issue
  EXPECT_EQ(q[3].queue_depth, 3u);
  EXPECT_TRUE(q[3].after_completion);
  EXPECT_EQ(q[3].think_ns, 5'000u);
  EXPECT_EQ(q[0].service_ns(), 40'000u);
  EXPECT_EQ(q[2].service_ns(), 40'000u);

  auto depth = queue_depth_series(t, 0);
  std::vector<std::uint32_t> d;
  for (auto s : depth) d.push_back(s.depth);
  EXPECT_EQ(d, (std::vector<std::uint32_t>{1, 2, 3, 2, 3, 2, 1, 0}));
}

TEST(BlockRequests, RequeuedRequestsAreMatchedOnce) {
  // With block_rq_requeue ...
  auto t = read_string(issue(1.0, 100, "WS") + requeue(1.000010, 100) + issue(1.000500, 100, "WS") +
                       complete(1.000600, 100, "WS"));
  auto q = match_block_requests(t);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].requeues, 1u);
  EXPECT_EQ(q[0].issue_ts, 1'000'500'000u);
  EXPECT_EQ(q[0].service_ns(), 100'000u);
  EXPECT_EQ(q[0].queue_depth, 1u);
  // ... and without it (a trace recorded without block_rq_requeue).
  auto u = read_string(issue(1.0, 100, "WS") + issue(1.000500, 100, "WS") + complete(1.000600, 100, "WS"));
  BlockMatcher m;
  std::optional<BlockRequest> done;
  for (const auto& r : u.records) {
    if (auto x = m.feed(r)) done = x;
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(done->requeues, 1u);
  EXPECT_EQ(done->queue_depth, 1u);
  EXPECT_EQ(m.in_flight_total(), 0u);
  EXPECT_EQ(m.reissues(), 1u);
}

// The requests a matcher completes, fed a whole trace.
std::vector<BlockRequest> feed_all(BlockMatcher& m, const Trace& t) {
  std::vector<BlockRequest> done;
  for (const auto& r : t.records) {
    if (auto q = m.feed(r)) done.push_back(*q);
  }
  return done;
}

// Two fsync callers' flushes in flight on one multi-queue device look alike (sector 0, no
// sectors): they are two requests, not one issued twice.
TEST(BlockRequests, FlushesInFlightTogetherAreTwoRequests) {
  auto t = read_string(
      "  fio-1 [000] 1.000000: block_rq_issue: 254,0 FF 0 () 0 + 0 be,0,4 [fio]\n"
      "  fio-2 [001] 1.000010: block_rq_issue: 254,0 FF 0 () 0 + 0 be,0,4 [fio]\n"
      "  <idle>-0 [000] 1.000100: block_rq_complete: 254,0 FF () 18446744073709551615 + 0 be,0,4 [0]\n"
      "  <idle>-0 [001] 1.000110: block_rq_complete: 254,0 FF () 18446744073709551615 + 0 be,0,4 [0]\n");
  BlockMatcher m;
  const std::vector<BlockRequest> done = feed_all(m, t);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(m.reissues(), 0u);
  EXPECT_EQ(m.unmatched_completions(), 0u);
  EXPECT_EQ(done[0].service_ns(), 100'000u);
  EXPECT_EQ(done[0].queue_depth, 1u);
  EXPECT_EQ(done[1].queue_depth, 2u);
  EXPECT_EQ(m.in_flight_total(), 0u);
}

TEST(BlockRequests, FlushesMatchAcrossTheirTwoSectorSpellings) {
  // As seqwrite.irqt recorded them: issue prints sector 0, completion (sector_t)-1, and
  // the data-less flush the flush machinery completes was never issued.
  auto t = read_string(
      "  fio-1 [000] 2668.970710: block_rq_issue: 254,0 FF 0 () 0 + 0 be,0,4 [fio]\n"
      "  <idle>-0 [001] 2668.970729: block_rq_complete: 254,0 FF () 18446744073709551615 + 0 be,0,4 [0]\n"
      "  <idle>-0 [001] 2668.970731: block_rq_complete: 254,0 WS () 0 + 0 be,0,4 [0]\n");
  BlockMatcher m;
  const std::vector<BlockRequest> done = feed_all(m, t);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].flags.has(BlockFlags::kFlushOp));
  EXPECT_EQ(done[0].service_ns(), 19'000u);
  EXPECT_EQ(m.unmatched_completions(), 1u);
  EXPECT_EQ(m.in_flight_total(), 0u);
}

// A SCSI-style request completed in parts: block_rq_complete for each part, at the sector
// where the rest starts, with the sectors done (blk_update_request). The request ends
// with its last part; a part of it given back is found at the rest's sector.
TEST(BlockRequests, PartialCompletionsEndTheRequestWithItsLastPart) {
  const auto line = [](const char* event, double t, std::uint64_t sector, unsigned sectors, int error) {
    return fmt::format("  <idle>-0 [001] {:.6f}: {}: 8,0 WS () {} + {} be,0,4 [{}]\n", t, event, sector, sectors,
                       error);
  };
  const std::string issue256 = "  dd-1 [000] 1.000000: block_rq_issue: 8,0 WS 131072 () 1000 + 256 be,0,4 [dd]\n";
  auto t = read_string(issue256 + line("block_rq_complete", 1.000100, 1000, 64, 0) +
                       line("block_rq_complete", 1.000200, 1064, 128, 0) +
                       line("block_rq_complete", 1.000300, 1192, 64, 0));
  BlockMatcher m;
  std::vector<BlockRequest> done = feed_all(m, t);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].sector, 1000u);
  EXPECT_EQ(done[0].nr_sectors, 256u);
  EXPECT_EQ(done[0].bytes, 131072u);
  EXPECT_EQ(done[0].service_ns(), 300'000u);
  EXPECT_EQ(m.partial_completions(), 2u);
  EXPECT_EQ(m.partial_completions(0), 2u);
  EXPECT_EQ(m.unmatched_completions(), 0u);
  EXPECT_EQ(m.in_flight_total(), 0u);

  // The first part fails and the rest is given back, issued again and completed.
  auto u = read_string(issue256 + line("block_rq_complete", 1.000100, 1000, 64, -5) +
                       line("block_rq_requeue", 1.000110, 1064, 192, 0) +
                       "  dd-1 [000] 1.000500: block_rq_issue: 8,0 WS 98304 () 1064 + 192 be,0,4 [dd]\n" +
                       line("block_rq_complete", 1.000700, 1064, 192, 0));
  BlockMatcher n;
  done = feed_all(n, u);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].nr_sectors, 256u);
  EXPECT_EQ(done[0].requeues, 1u);
  EXPECT_EQ(done[0].error, -5);
  EXPECT_EQ(done[0].service_ns(), 200'000u);  // from the last issue
  EXPECT_EQ(n.partial_completions(), 1u);
  EXPECT_EQ(n.unmatched_completions(), 0u);
  EXPECT_EQ(n.in_flight_total(), 0u);
}

TEST(BlockRequests, UnmatchedEnds) {
  auto t = read_string(complete(1.0, 5) + issue(1.1, 6));
  BlockMatcher m;
  for (const auto& r : t.records) EXPECT_FALSE(m.feed(r));
  EXPECT_EQ(m.unmatched_completions(), 1u);
  EXPECT_EQ(m.in_flight_total(), 1u);
  EXPECT_EQ(m.in_flight(0), 1u);
}

TEST(Handlers, SpansPerCpuWithNesting) {
  auto t = read_string(
      "  <idle>-0 [000] 1.000000: irq_handler_entry: irq=36 name=virtio1-req.0\n"
      "  <idle>-0 [001] 1.000001: irq_handler_entry: irq=38 name=virtio2-input.0\n"
      "  <idle>-0 [000] 1.000002: irq_handler_entry: irq=0 name=timer\n"
      "  <idle>-0 [000] 1.000003: irq_handler_exit: irq=0 ret=handled\n"
      "  <idle>-0 [000] 1.000010: irq_handler_exit: irq=36 ret=handled\n"
      "  <idle>-0 [001] 1.000011: irq_handler_exit: irq=38 ret=unhandled\n"
      "  <idle>-0 [001] 1.000012: irq_handler_exit: irq=38 ret=handled\n");
  auto spans = handler_spans(t);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].duration_ns(), 10'000u);
  EXPECT_EQ(spans[0].cpu, 0);
  EXPECT_EQ(spans[1].duration_ns(), 10'000u);
  EXPECT_FALSE(spans[1].handled);
  EXPECT_EQ(spans[2].duration_ns(), 1'000u);
  HandlerMatcher m;
  for (const auto& r : t.records) m.feed(r);
  EXPECT_EQ(m.unmatched_exits(), 1u);

  auto arrivals = arrivals_by_source(t);
  ASSERT_EQ(arrivals.size(), 3u);
  EXPECT_EQ(arrivals[0], (std::vector<Nanos>{1'000'000'000}));
  EXPECT_EQ(arrivals[2], (std::vector<Nanos>{1'000'002'000}));
}

TEST(Napi, PollsAreRecords) {
  auto t = read_string(
      "  <idle>-0 [000] 1.0: napi_poll: napi poll on napi struct 00000000c39e0a62 for device eth0 work 64 budget 64\n"
      "  <idle>-0 [000] 1.1: napi_poll: napi poll on napi struct 00000000c39e0a62 for device eth0 work 2 budget 64\n");
  auto polls = napi_polls(t);
  ASSERT_EQ(polls.size(), 2u);
  EXPECT_EQ(polls[0].work, 64);
  EXPECT_EQ(polls[1].work, 2);
}

}  // namespace
}  // namespace irqshape::trace
