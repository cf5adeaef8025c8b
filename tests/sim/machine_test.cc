// The simulated machine against hand-computed cases: delivery paths and their exits,
// the guest's dispatcher really running, coalescing, IRR merging, preemption by a
// higher priority class, level-triggered lines, conservation for every policy, and
// loud failure when a policy loses or invents events.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "sim/policies/registry.h"
#include "sim/report.h"
#include "sim_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;

constexpr Nanos kTol = 64;  // histogram bucket half-width at these magnitudes is <= 32 ns

Scenario single_event(DeliveryPath path, bool busy) {
  Scenario sc = one_cpu({msi_source("dev", 0, Arrivals{Recorded{{1 * kMs}}})}, 2 * kMs, busy);
  sc.costs.path = path;
  return sc;
}

TEST(Machine, HaltedVcpuPostedPathCostsAWakeupAndNoDeliveryExit) {
  const RunResult r = run_ok(single_event(DeliveryPath::Posted, false), "none");
  const SourceMetrics& m = r.sources[0];
  ASSERT_EQ(m.events, 1u);
  // wake-up 5000 + guest dispatch 300 + ISR 1000 + 1 event x 200
  EXPECT_EQ(m.latency.max(), 6'500u);
  EXPECT_EQ(m.wakeups, 1u);
  EXPECT_EQ(m.exits.total(), 0u);                          // edge EOI virtualized, no kick to a halted vCPU
  EXPECT_EQ(r.vcpus[0].exits[ExitReason::Hlt], 1u);        // halts again after the ISR
  EXPECT_EQ(r.total.exits[ExitReason::Hlt], 1u);
  EXPECT_EQ(m.irq_ns, 1'500u);
}

TEST(Machine, HaltedVcpuExitPathAddsTheEoiExit) {
  const RunResult r = run_ok(single_event(DeliveryPath::ExitBased, false), "none");
  const SourceMetrics& m = r.sources[0];
  EXPECT_EQ(m.latency.max(), 7'200u);  // 6500 + EOI exit 700
  EXPECT_EQ(m.exits[ExitReason::Eoi], 1u);
  EXPECT_EQ(m.exits[ExitReason::Kick], 0u);
  EXPECT_EQ(m.irq_ns, 2'200u);
}

TEST(Machine, RunningVcpuPostedPathHasNoExitsAtAll) {
  const RunResult r = run_ok(single_event(DeliveryPath::Posted, true), "none");
  EXPECT_EQ(r.sources[0].latency.max(), 1'600u);  // posting 100 + 300 + 1000 + 200
  EXPECT_EQ(r.total.exits.total(), 0u);
  EXPECT_EQ(r.sources[0].wakeups, 0u);
}

TEST(Machine, RunningVcpuExitPathKicksAndExitsOnEoi) {
  const RunResult r = run_ok(single_event(DeliveryPath::ExitBased, true), "none");
  EXPECT_EQ(r.sources[0].latency.max(), 3'200u);  // kick 1000 + 300 + 1000 + 200 + EOI 700
  EXPECT_EQ(r.sources[0].exits[ExitReason::Kick], 1u);
  EXPECT_EQ(r.sources[0].exits[ExitReason::Eoi], 1u);
  EXPECT_EQ(r.total.exits.total(), 2u);
}

TEST(Machine, ExitsPerInterruptFollowTheDocumentedRules) {
  // Many interrupts on an always-running vCPU: exit-based = 2 exits each (kick + EOI),
  // posted = 0 for edge MSI, 1 (the EOI) for a level line.
  Scenario sc = one_cpu({msi_source("msi", 0, Arrivals{Periodic{20 * kUs, 0, 0}}),
                         pin_source("lvl", 0, 16, Arrivals{Periodic{50 * kUs, 0, 7 * kUs}}, true)},
                        10 * kMs, true);
  sc.costs.path = DeliveryPath::ExitBased;
  RunResult r = run_ok(sc, "none");
  EXPECT_EQ(r.sources[0].exits[ExitReason::Kick], r.sources[0].interrupts);
  EXPECT_EQ(r.sources[0].exits[ExitReason::Eoi], r.sources[0].interrupts);
  EXPECT_EQ(r.sources[1].exits[ExitReason::Eoi], r.sources[1].interrupts);
  sc.costs.path = DeliveryPath::Posted;
  r = run_ok(sc, "none");
  EXPECT_EQ(r.sources[0].exits.total(), 0u);
  EXPECT_EQ(r.sources[1].exits[ExitReason::Eoi], r.sources[1].interrupts);
  EXPECT_EQ(r.sources[1].exits[ExitReason::Kick], 0u);
  // Directed EOI: the guest also writes the I/O APIC's EOI register (an MMIO exit).
  sc.directed_eoi = true;
  r = run_ok(sc, "none");
  EXPECT_EQ(r.sources[1].exits[ExitReason::IoApicEoi], r.sources[1].interrupts);
  EXPECT_EQ(r.sources[1].exits[ExitReason::Eoi], r.sources[1].interrupts);
}

TEST(Machine, TheKernelDispatcherRunsEveryIsr) {
  const RunResult r = run_ok(mixed_scenario(), "none");
  std::uint64_t isr_calls = 0;
  for (std::size_t i = 0; i < r.sources.size(); ++i) {
    const SourceMetrics& m = r.sources[i];
    EXPECT_GT(m.isr_calls, 0u) << r.source_names[i];
    EXPECT_EQ(m.kern_isr_calls, m.isr_calls) << r.source_names[i];     // KINTERRUPT::DispatchCount
    EXPECT_EQ(m.kern_dispatches, m.isr_calls) << r.source_names[i];    // the source's own counter
    isr_calls += m.isr_calls;
  }
  std::uint64_t dispatched = 0;
  for (const VcpuMetrics& v : r.vcpus) {
    dispatched += v.dispatches;  // KeQueryCpuInterruptCounters
    EXPECT_EQ(v.unexpected, 0u);
  }
  EXPECT_EQ(dispatched, isr_calls);
  EXPECT_EQ(r.kern_irql_violations, 0u);
}

TEST(Machine, CountCoalescerCarriesFourEventsAndLatenciesAreHandComputed) {
  // 40 events at 10, 20, ..., 400 us; batches of 4 delivered with the 4th event.
  Scenario sc = one_cpu({msi_source("dev", 0, Arrivals{Periodic{10 * kUs, 0, 10 * kUs}})}, 401 * kUs, true);
  CountCoalescer p(4, 1 * kMs);
  const RunResult r = run_ok(sc, p);
  const SourceMetrics& m = r.sources[0];
  ASSERT_EQ(m.events, 40u);
  EXPECT_EQ(m.interrupts, 10u);
  EXPECT_EQ(m.events_carried, 40u);
  // ISR done 100 + 300 + 1000 + 4 x 200 = 2200 ns after the 4th event: latencies 2.2, 12.2, 22.2, 32.2 us.
  EXPECT_EQ(m.latency.min(), 2'200u);
  EXPECT_EQ(m.latency.max(), 32'200u);
  EXPECT_NEAR(static_cast<double>(m.latency.quantile(0.5)), 12'200, kTol);
  EXPECT_NEAR(m.latency.mean(), 17'200, 1);
  EXPECT_EQ(m.irq_ns, 10u * 2'100u);  // per-event cost: a batch of 4 costs 300 + 1000 + 800
}

TEST(Machine, CoalescingTimeoutDeliversAPartialBatch) {
  Scenario sc = one_cpu({msi_source("dev", 0, Arrivals{Recorded{{100 * kUs, 110 * kUs}}})}, 1 * kMs, true);
  CountCoalescer p(8, 50 * kUs);
  const RunResult r = run_ok(sc, p);
  EXPECT_EQ(r.sources[0].interrupts, 1u);
  EXPECT_EQ(r.sources[0].latency.max(), 50'000u + 100 + 300 + 1'000 + 400);  // timer at 150 us
}

TEST(Machine, InterruptsThatFindTheirVectorPendingMergeInIrr) {
  Scenario sc = one_cpu({msi_source("dev", 0, Arrivals{Recorded{{1 * kMs, 1 * kMs + 1 * kUs}}})}, 2 * kMs);
  const RunResult r = run_ok(sc, "none");
  const SourceMetrics& m = r.sources[0];
  EXPECT_EQ(m.interrupts, 2u);
  EXPECT_EQ(m.irr_merged, 1u);
  EXPECT_EQ(m.isr_calls, 1u);  // one ISR serves both: taken after the 5 us wake-up
  EXPECT_EQ(m.latency.max(), 5'000u + 300 + 1'000 + 400);
  EXPECT_EQ(m.latency.min(), 5'000u + 300 + 1'000 + 400 - 1'000);
}

TEST(Machine, AHigherClassPreemptsAndTheLowerIsrIsStretched) {
  SourceSpec low = msi_source("low", 0, Arrivals{Recorded{{1 * kMs}}}, 4);
  low.isr_base_ns = 50'000;
  SourceSpec high = msi_source("high", 0, Arrivals{Recorded{{1 * kMs + 10 * kUs}}}, 10);
  const RunResult r = run_ok(one_cpu({low, high}, 2 * kMs, true), "none");
  EXPECT_EQ(r.sources[1].latency.max(), 1'600u);             // as if alone
  EXPECT_EQ(r.sources[0].latency.max(), 50'600u + 1'500u);   // 100 + 300 + 50000 + 200, plus the nested ISR
  EXPECT_EQ(r.vcpus[0].preemptions, 1u);
}

TEST(Machine, ALowerClassWaitsForTheEoi) {
  SourceSpec high = msi_source("high", 0, Arrivals{Recorded{{1 * kMs}}}, 10);
  high.isr_base_ns = 20'000;
  SourceSpec low = msi_source("low", 0, Arrivals{Recorded{{1 * kMs + 5 * kUs}}}, 4);
  const RunResult r = run_ok(one_cpu({high, low}, 2 * kMs, true), "none");
  EXPECT_EQ(r.vcpus[0].preemptions, 0u);
  // high ends at 1 ms + 100 + 300 + 20000 + 200; low is taken right then (no re-posting).
  EXPECT_EQ(r.sources[1].latency.max(), 20'600u - 5'000u + 1'500u);
}

TEST(Machine, LevelLineEventsDuringRemoteIrrArriveAfterTheEoi) {
  Scenario sc = one_cpu({pin_source("lvl", 0, 16, Arrivals{Recorded{{1 * kMs, 1 * kMs + 500}}}, true)}, 2 * kMs, true);
  const RunResult r = run_ok(sc, "none");
  const SourceMetrics& m = r.sources[0];
  EXPECT_EQ(m.interrupts, 2u);
  EXPECT_EQ(m.latency.min(), 2'300u);  // 100 + 300 + 1000 + 200 + level EOI exit 700
  // The second event waits for the first EOI (remote IRR), then is delivered again.
  // It is re-delivered on the EOI exit and taken on that re-entry: no second posting delay.
  EXPECT_EQ(m.latency.max(), 2'300u + 2'200u - 500u);
}

TEST(Machine, AMiswiredLevelLineFailsTheRunLoudly) {
  SourceSpec s = pin_source("lvl", 0, 16, Arrivals{Poisson{10'000}}, true);
  s.wire_active_low = false;  // the device drives high, the kernel programs PCI active low
  auto p = make_policy(*parse_policy_spec("none"));
  auto r = simulate(one_cpu({s}, 5 * kMs), **p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("never reached the policy"), std::string::npos) << r.message();
}

TEST(Machine, ClosedLoopRequestLatencyAndThroughputAreCounted) {
  SourceSpec disk = msi_source("disk", 0, Requests{.issue = ClosedLoop{1, Dist::fixed(10'000)}, .service = Dist::fixed(80'000)});
  disk.cls = SourceKind::block;
  const RunResult r = run_ok(one_cpu({disk}, 100 * kMs, true), "none");
  const SourceMetrics& m = r.sources[0];
  // One request: think 10 us, service 80 us, delivery+ISR 1.6 us -> 91.6 us per request.
  EXPECT_NEAR(static_cast<double>(m.requests_completed), 100e6 / 91'600, 2);
  EXPECT_EQ(m.request_latency.max(), 81'600u);
  EXPECT_EQ(m.latency.max(), 1'600u);
}

// Every registered policy, whatever the other branch adds, must account for every event.
TEST(Conservation, EveryRegisteredPolicyOnAMixedScenario) {
  const Scenario sc = mixed_scenario();
  for (const std::string& name : policy_names()) {
    auto p = make_policy(*parse_policy_spec(name));
    ASSERT_TRUE(p) << name << ": " << p.message();
    auto r = simulate(sc, **p);
    ASSERT_TRUE(r) << name << ": " << r.message();
    EXPECT_EQ(r->total.events_carried + r->total.dropped + r->total.lost, r->total.events) << name;
    EXPECT_EQ(r->total.served, r->total.events_carried) << name;
    EXPECT_EQ(r->total.latency.count(), r->total.served) << name;
    EXPECT_GT(r->total.events, 1000u) << name;
  }
}

TEST(Conservation, TestPoliciesThatShapeDeferDropRaiseAndCarryPayloads) {
  const Scenario sc = mixed_scenario();
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<CountCoalescer>(8, 30 * kUs));
  ps.push_back(std::make_unique<TestPolicy>(TestPolicy::Mode::Defer, 7 * kUs));
  ps.push_back(std::make_unique<TestPolicy>(TestPolicy::Mode::DropEveryK, 0, 5));
  ps.push_back(std::make_unique<TestPolicy>(TestPolicy::Mode::Raise));
  ps.push_back(std::make_unique<TestPolicy>(TestPolicy::Mode::Payload));
  for (auto& p : ps) {
    auto r = simulate(sc, *p);
    ASSERT_TRUE(r) << r.message();
    EXPECT_EQ(r->total.events_carried + r->total.dropped, r->total.events);
    EXPECT_EQ(r->total.served, r->total.events_carried);
    EXPECT_TRUE(!r->telemetry_json.empty() || p->name() == "test-coalesce");
  }
}

TEST(Conservation, DroppedEventsAreReportedNotServed) {
  TestPolicy p(TestPolicy::Mode::DropEveryK, 0, 4);
  const Scenario sc = mixed_scenario();
  const RunResult r = run_ok(sc, p);
  EXPECT_GT(r.total.dropped, 0u);
  std::uint64_t edge_events = 0, edge_dropped = 0;
  for (std::size_t i = 0; i < sc.sources.size(); ++i) {
    if (sc.sources[i].trigger == hw::TriggerMode::Level) {  // never dropped: its line would wait for an EOI
      EXPECT_EQ(r.sources[i].dropped, 0u) << sc.sources[i].name;
      continue;
    }
    edge_events += r.sources[i].events;
    edge_dropped += r.sources[i].dropped;
  }
  EXPECT_NEAR(static_cast<double>(edge_dropped) / static_cast<double>(edge_events), 0.25, 0.03);
  EXPECT_EQ(r.total.latency.count() + r.total.dropped, r.total.events);
}

// Holds the first event of each three, drops the second, and delivers the first and the
// third together at the third: a storm guard that drops the newest event while an older
// one waits in a batch. The simulator must serve the held one, not the dropped one.
class HoldDropDeliver final : public Policy {
 public:
  std::string_view name() const override { return "test-hold-drop"; }
  std::string describe() const override { return "test: hold, drop the newest, deliver two"; }
  void add_source(const SourceInfo& s) override { message_ = s.message; }
  void on_event(const DeviceEvent& e, InterruptSink& out) override {
    if (++n_ % 3 == 2) {
      out.drop(e);
      return;
    }
    if (n_ % 3 == 0) out.deliver(Interrupt{.time = e.time, .source = e.source, .events = 2, .message = message_});
  }
  void on_timer(Nanos, InterruptSink&) override {}
  Nanos next_deadline() const override { return kNoDeadline; }
  void flush(Nanos now, InterruptSink& out) override {
    if (n_ % 3 != 0) out.deliver(Interrupt{.time = now, .source = 0, .events = 1, .message = message_});
    n_ = 0;
  }

 private:
  hw::InterruptMessage message_;
  std::uint64_t n_ = 0;
};

TEST(Conservation, TheDroppedEventIsTheOneThePolicyDropped) {
  Scenario sc = mixed_scenario(3 * kMs);
  sc.sources = {msi_source("tick", 0, Arrivals{Periodic{100 * kUs, 0, 0}})};
  sc.load = {VcpuLoad{}, VcpuLoad{}};
  HoldDropDeliver p;
  const RunResult r = run_ok(sc, p);
  ASSERT_GE(r.total.events, 27u);
  EXPECT_EQ(r.total.dropped, r.total.events / 3);
  // Served: the first of each three, 200 us after it arrived, and the third at once;
  // never the second (100 us), which is what marking the oldest as dropped served.
  EXPECT_GE(r.total.latency.max(), 200 * kUs);
  EXPECT_GT(r.total.latency.mean(), 95.0 * kUs);  // (200 + 0) / 2 and the ISR, not (100 + 0) / 2
}

// A dropped completion is no throughput: its requester hears of it (as of a timeout, so
// a closed loop goes on) but it counts as a dropped request, and a note says latencies
// leave the dropped events out.
TEST(Conservation, DroppedCompletionsAreNotThroughput) {
  TestPolicy p(TestPolicy::Mode::DropEveryK, 0, 4);
  const RunResult r = run_ok(mixed_scenario(), p);
  ASSERT_EQ(r.source_names[1], "blk");
  const SourceMetrics& blk = r.sources[1];
  ASSERT_GT(blk.dropped, 0u);
  EXPECT_GT(blk.requests_dropped, 0u);
  EXPECT_LE(blk.requests_completed, blk.request_latency.count());  // served ones only
  EXPECT_LE(blk.requests_completed + blk.requests_dropped, blk.requests_issued);
  const double dropped_share = static_cast<double>(blk.requests_dropped) /
                               static_cast<double>(blk.requests_completed + blk.requests_dropped);
  EXPECT_NEAR(dropped_share, static_cast<double>(blk.dropped) / static_cast<double>(blk.events), 0.05);
  const auto note = std::find_if(r.notes.begin(), r.notes.end(), [](const std::string& n) {
    return n.starts_with("source \"blk\": the policy dropped ");
  });
  ASSERT_NE(note, r.notes.end());
  EXPECT_NE(note->find("requests count as dropped, not completed"), std::string::npos) << *note;
}

TEST(Conservation, RaisedInterruptsAreServedThroughTheExtraVector) {
  TestPolicy p(TestPolicy::Mode::Raise);
  const RunResult r = run_ok(mixed_scenario(), p);
  for (std::size_t i = 0; i < r.sources.size(); ++i) EXPECT_EQ(r.sources[i].served, r.sources[i].events) << i;
}

TEST(Conservation, APolicyThatBreaksTheContractFailsTheRun) {
  const Scenario sc = mixed_scenario(10 * kMs);
  struct Case {
    TestPolicy::Mode mode;
    const char* message;
  };
  for (const Case& c : {Case{TestPolicy::Mode::BadVector, "never served"},
                        Case{TestPolicy::Mode::Forget, "still held"},
                        Case{TestPolicy::Mode::Overcarry, "carries 2 events"}}) {
    TestPolicy p(c.mode);
    auto r = simulate(sc, p);
    ASSERT_FALSE(r) << c.message;
    EXPECT_NE(r.message().find(c.message), std::string::npos) << r.message();
  }
}

TEST(Determinism, SameSeedSameJsonByteForByteDifferentSeedDifferent) {
  auto json_of = [](std::uint64_t seed, unsigned threads) {
    const Scenario sc = mixed_scenario(20 * kMs, seed);
    CompareOptions o;
    o.threads = threads;
    auto c = compare_policies(sc, {*parse_policy_spec("none"), *parse_policy_spec("test-coalesce:count=4,timeout-us=20")},
                              o, test_factory);
    EXPECT_TRUE(c) << (c ? "" : c.message());
    return to_json(sc, *c, ReportContext{"test", "test", ""}).dump();
  };
  const std::string a = json_of(1, 1);
  EXPECT_EQ(a, json_of(1, 2));
  EXPECT_EQ(a, json_of(1, 1));
  EXPECT_NE(a, json_of(2, 1));
}

TEST(Determinism, AddingASourceDoesNotChangeAnotherSourcesArrivals) {
  Scenario a = one_cpu({msi_source("x", 0, Arrivals{Poisson{50'000}})}, 20 * kMs, true);
  Scenario b = a;
  b.sources.insert(b.sources.begin(), msi_source("y", 0, Arrivals{Poisson{10'000}}, 4));
  const RunResult ra = run_ok(a, "none");
  const RunResult rb = run_ok(b, "none");
  EXPECT_EQ(ra.sources[0].events, rb.sources[1].events);
  EXPECT_EQ(ra.sources[0].series_events, rb.sources[1].series_events);
}

TEST(Scenario, ValidationNamesTheSourceAndField) {
  Scenario sc = one_cpu({msi_source("dev", 3, Arrivals{Poisson{1}})}, kMs);
  auto st = sc.validate();
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("source 0 \"dev\": cpu 3"), std::string::npos) << st.message();
  sc.sources[0].cpu = 0;
  sc.sources[0].irql = 2;
  EXPECT_NE(sc.validate().message().find("irql"), std::string::npos);
  EXPECT_TRUE(demo_scenario().validate());
}

// A Poisson source whose rate changes: 20,000/s, then 100,000/s from 40 ms, silent from
// 70 ms. Counts per phase within 4 standard deviations of the Poisson expectation.
TEST(Workload, PoissonRateChangesAtTheGivenTimes) {
  Scenario sc = one_cpu({msi_source("x", 0, Arrivals{Poisson{20'000, {{40 * kMs, 100'000}, {70 * kMs, 0}}}})},
                        100 * kMs, true);
  const RunResult r = run_ok(sc, "none");
  ASSERT_EQ(r.series_bin_ns, 100 * kUs);
  auto events = [&](Nanos from, Nanos to) {
    std::uint64_t n = 0;
    for (std::size_t b = from / r.series_bin_ns; b < to / r.series_bin_ns && b < r.sources[0].series_events.size(); ++b)
      n += r.sources[0].series_events[b];
    return static_cast<double>(n);
  };
  EXPECT_NEAR(events(0, 40 * kMs), 800.0, 4 * std::sqrt(800.0));
  EXPECT_NEAR(events(40 * kMs, 70 * kMs), 3'000.0, 4 * std::sqrt(3'000.0));
  EXPECT_EQ(events(70 * kMs, 100 * kMs), 0.0);
  EXPECT_EQ(describe(sc.sources[0].workload, sc.sources), "Poisson 20000/s, 100000/s from 40 ms, 0/s from 70 ms");
  // Without changes, the draws are those of a constant rate (same seed, same stream).
  Scenario a = one_cpu({msi_source("x", 0, Arrivals{Poisson{20'000}})}, 30 * kMs, true);
  Scenario b = one_cpu({msi_source("x", 0, Arrivals{Poisson{20'000, {{40 * kMs, 100'000}}}})}, 30 * kMs, true);
  EXPECT_EQ(run_ok(a, "none").sources[0].series_events, run_ok(b, "none").sources[0].series_events);
}

TEST(Workload, PoissonRateChangesAreChecked) {
  Scenario sc = one_cpu({msi_source("x", 0, Arrivals{Poisson{1'000, {{5 * kMs, 10}, {5 * kMs, 20}}}})}, 10 * kMs);
  EXPECT_NE(sc.validate().message().find("source 0 \"x\": Poisson rate change 2: times must be strictly increasing"),
            std::string::npos)
      << sc.validate().message();
  std::get<Poisson>(std::get<Arrivals>(sc.sources[0].workload)).changes = {{5 * kMs, -1}};
  EXPECT_NE(sc.validate().message().find("Poisson rate change 1: the rate must be >= 0"), std::string::npos)
      << sc.validate().message();
}

}  // namespace
}  // namespace irqshape::sim
