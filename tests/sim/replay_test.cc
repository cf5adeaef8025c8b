// Replaying the real traces in data/traces (captured on the project's VM, see its
// README): open loop reproduces the recorded interrupt arrivals exactly; closed loop
// replays the recorded requests and feeds back delays into throughput.
#include <gtest/gtest.h>

#include "sim/replay.h"
#include "sim_test_support.h"
#include "trace/reader.h"
#include "trace/views.h"

namespace irqshape::sim {
namespace {

using namespace testing;

trace::Trace load(const std::string& name) {
  auto t = trace::load_trace("data/traces/" + name);
  EXPECT_TRUE(t) << (t ? "" : t.message());
  return t ? std::move(*t) : trace::Trace{};
}

TEST(Replay, OpenLoopDeliversEveryRecordedInterruptUnderEveryPolicy) {
  const trace::Trace t = load("randread-qd1.irqt");
  auto conv = scenario_from_trace(t, "randread-qd1", ReplayOptions{});
  ASSERT_TRUE(conv) << conv.message();
  const Scenario& sc = conv->scenario;
  EXPECT_EQ(sc.vcpus, 2u);
  std::size_t recorded = 0;
  for (const auto& v : trace::arrivals_by_source(t)) recorded += v.size();
  for (const std::string& name : policy_names()) {
    const RunResult r = run_ok(sc, name);
    EXPECT_EQ(r.total.events, recorded) << name;
    EXPECT_EQ(r.total.served + r.total.dropped, r.total.events) << name;
  }
  const auto it = std::find_if(sc.sources.begin(), sc.sources.end(), [](const SourceSpec& s) { return s.name == "virtio1-req.0"; });
  ASSERT_NE(it, sc.sources.end());
  EXPECT_EQ(it->cls, SourceKind::block);
  EXPECT_GT(it->isr_base_ns, 200u);  // the recorded handler's median duration
}

TEST(Replay, ClosedLoopReplaysTheRecordedRequestsAndFeelsTheirDelays) {
  const trace::Trace t = load("randread-qd1.irqt");
  ReplayOptions o;
  o.closed_loop = true;
  auto conv = scenario_from_trace(t, "randread-qd1", o);
  ASSERT_TRUE(conv) << conv.message();
  const Scenario& sc = conv->scenario;
  const auto blk = std::find_if(sc.sources.begin(), sc.sources.end(), [](const SourceSpec& s) { return s.name == "blk:254,0"; });
  ASSERT_NE(blk, sc.sources.end());
  const std::size_t i = static_cast<std::size_t>(blk - sc.sources.begin());
  ASSERT_TRUE(is_closed_loop(*blk));
  const RunResult none = run_ok(sc, "none");
  EXPECT_GT(none.sources[i].requests_completed, 10'000u);
  // Holding every completion up to 50 us at queue depth 1 delays every next request.
  const RunResult held = run_ok(sc, "test-coalesce:count=8,timeout-us=50");
  EXPECT_LT(static_cast<double>(held.sources[i].requests_completed), 0.8 * static_cast<double>(none.sources[i].requests_completed));
  EXPECT_EQ(held.sources[i].served, held.sources[i].events);
}

TEST(Replay, EveryTraceInTheRepositoryConverts) {
  for (const char* name : {"randread-qd32.irqt", "seqwrite.irqt", "net-download.irqt", "mixed-build-io.irqt", "dd-write.dat"}) {
    const trace::Trace t = load(name);
    for (bool closed : {false, true}) {
      ReplayOptions o;
      o.closed_loop = closed;
      o.max_duration = 200 * kMs;
      auto conv = scenario_from_trace(t, name, o);
      ASSERT_TRUE(conv) << name << ": " << conv.message();
      EXPECT_TRUE(conv->scenario.validate()) << name;
      const RunResult r = run_ok(conv->scenario, "none");
      EXPECT_GT(r.total.events, 0u) << name;
    }
  }
}

// Two irqs with one action name (two controllers' "xhci_hcd") are two sources: the
// scenario gives them distinct names (with their irq), where it used to refuse the trace
// ("name used twice").
TEST(Replay, SourcesThatShareANameAreToldApart) {
  const std::string text =
      "  <idle>-0 [000] 1.000000: irq_handler_entry: irq=30 name=xhci_hcd\n"
      "  <idle>-0 [000] 1.000002: irq_handler_exit: irq=30 ret=handled\n"
      "  <idle>-0 [001] 1.000100: irq_handler_entry: irq=31 name=xhci_hcd\n"
      "  <idle>-0 [001] 1.000102: irq_handler_exit: irq=31 ret=handled\n"
      "  <idle>-0 [000] 1.000200: irq_handler_entry: irq=30 name=xhci_hcd\n"
      "  <idle>-0 [000] 1.000202: irq_handler_exit: irq=30 ret=handled\n";
  auto reader = trace::open_trace(trace::memory_input(std::span<const char>(text), "two.txt"), trace::Format::ftrace_text);
  ASSERT_TRUE(reader) << reader.message();
  auto t = trace::read_all(**reader);
  ASSERT_TRUE(t) << t.message();
  auto conv = scenario_from_trace(*t, "two", ReplayOptions{});
  ASSERT_TRUE(conv) << conv.message();
  ASSERT_EQ(conv->scenario.sources.size(), 2u);
  EXPECT_EQ(conv->scenario.sources[0].name, "xhci_hcd (irq 30)");
  EXPECT_EQ(conv->scenario.sources[1].name, "xhci_hcd (irq 31)");
  EXPECT_TRUE(conv->scenario.validate());
  EXPECT_EQ(run_ok(conv->scenario, "none").total.events, 3u);
}

}  // namespace
}  // namespace irqshape::sim
