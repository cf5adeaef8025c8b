// cinterrupts against hand-computed cases: the quiet period Delta after the last
// completion, the count threshold, URGENT in and out of order, and learning Delta.
#include "sim/policies/cinterrupts_policy.h"

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;

const std::vector<SourceInfo> kQueue = {source(0, SourceKind::block, "nvme0q1")};

DeviceEvent urgent(Nanos t) { return DeviceEvent{.time = t, .source = 0, .urgent = true}; }

// Fixed Delta = 6 us, thr = 4. Completions at 0, 2, 4 us (each within 6 us of the last),
// then silence: the interrupt fires 6 us after the last, at 10 us, with 3. A completion
// at 20 us fires alone at 26 us.
TEST(Cinterrupts, FiresWhenNoCompletionArrivesForDelta) {
  EXPECT_EQ(run("cinterrupts:adaptive=0,delta-us=6,thr=4", kQueue, {ev(0), ev(2 * us), ev(4 * us), ev(20 * us)}, 1 * ms),
            (std::vector<Expect>{{10 * us, 3}, {26 * us, 1}}));
}

// A completion exactly Delta after the last one is too late: the batch has gone.
TEST(Cinterrupts, ACompletionAtTheEndOfTheQuietPeriodIsTooLate) {
  EXPECT_EQ(run("cinterrupts:adaptive=0,delta-us=6,thr=4", kQueue, {ev(0), ev(6 * us)}, 1 * ms),
            (std::vector<Expect>{{6 * us, 1}, {12 * us, 1}}));
}

// thr = 4: the 4th completion fires at once, however close they are.
TEST(Cinterrupts, FiresAtTheCountThreshold) {
  EXPECT_EQ(run("cinterrupts:adaptive=0,delta-us=6,thr=4", kQueue,
                {ev(0), ev(1 * us), ev(2 * us), ev(3 * us), ev(4 * us)}, 1 * ms),
            (std::vector<Expect>{{3 * us, 4}, {10 * us, 1}}));
}

// Out of order (the default): the urgent completion at 2 us is delivered alone at once;
// the completion held since 0 keeps waiting, its quiet period restarted by the urgent
// one (2 + 6 = 8 us). The one at 10 us fires at 16 us.
TEST(Cinterrupts, UrgentBypassesTheBatchOutOfOrder) {
  EXPECT_EQ(run("cinterrupts:adaptive=0,delta-us=6,thr=4", kQueue, {ev(0), urgent(2 * us), ev(10 * us)}, 1 * ms),
            (std::vector<Expect>{{2 * us, 1}, {8 * us, 1}, {16 * us, 1}}));
}

// In order (urgent-ooo=0, barrier-like): the urgent completion flushes the batch with it.
TEST(Cinterrupts, UrgentInOrderFlushesTheBatch) {
  EXPECT_EQ(run("cinterrupts:adaptive=0,delta-us=6,thr=4,urgent-ooo=0", kQueue,
                {ev(0), ev(1 * us), urgent(2 * us), ev(10 * us)}, 1 * ms),
            (std::vector<Expect>{{2 * us, 3}, {16 * us, 1}}));
}

// thr <= 1 or Delta = 0: every completion interrupts at once (the artifact's alpha-0-0).
TEST(Cinterrupts, ZeroDelayOrThresholdOneMeansNoCoalescing) {
  for (const char* spec : {"cinterrupts:delta-us=0", "cinterrupts:thr=1", "cinterrupts:thr=0"}) {
    EXPECT_EQ(run(spec, kQueue, {ev(0), ev(1 * us)}, 1 * ms), (std::vector<Expect>{{0, 1}, {1 * us, 1}})) << spec;
  }
}

// Learning Delta: window 4, p99 of 4 gaps = the largest. Gaps 3, 3, 2, 3 us -> Delta 3 us
// (from the initial 6). A gap of 100 us is a pause (> delta-max-us 15), not recorded.
// Then 200 and 202 us: they close at 202 + 3 = 205 us.
TEST(Cinterrupts, LearnsDeltaAsThePercentileOfBurstGaps) {
  auto p = make("cinterrupts:window=4,thr=64,delta-us=6");
  p->add_source(kQueue[0]);
  auto& ci = dynamic_cast<CinterruptsPolicy&>(*p);
  EXPECT_EQ(ci.delta(0), 6 * us);
  Driver d(*p);
  for (Nanos t : {0 * us, 3 * us, 6 * us, 8 * us}) d.event(t);
  EXPECT_EQ(ci.delta(0), 6 * us);  // three gaps so far
  d.event(11 * us);
  EXPECT_EQ(ci.delta(0), 3 * us);
  d.event(111 * us);  // a pause: not a gap of a burst
  d.event(200 * us);
  d.event(202 * us);
  d.finish(1 * ms);
  EXPECT_EQ(ci.delta(0), 3 * us);
  EXPECT_EQ(d.summary(), (std::vector<Expect>{{14 * us, 5}, {114 * us, 1}, {205 * us, 2}}));
  EXPECT_NE(p->telemetry_json().find("\"delta_ns\":3000"), std::string::npos) << p->telemetry_json();
}

// The learned Delta stays inside [delta-min-us, delta-max-us].
TEST(Cinterrupts, LearnedDeltaIsClamped) {
  auto p = make("cinterrupts:window=2,thr=64,delta-us=6,delta-min-us=2,delta-max-us=10");
  p->add_source(kQueue[0]);
  auto& ci = dynamic_cast<CinterruptsPolicy&>(*p);
  Driver d(*p);
  for (Nanos t : {0 * us, 1 * us, 2 * us}) d.event(t);  // gaps of 1 us -> clamped up to 2
  EXPECT_EQ(ci.delta(0), 2 * us);
  d.finish(1 * ms);
}

GapQuantile quantile_of(std::initializer_list<Nanos> gaps, std::uint32_t pct) {
  GapQuantile q(static_cast<std::uint32_t>(gaps.size()), pct);
  for (Nanos g : gaps) q.record(g);
  return q;
}

TEST(Cinterrupts, GapQuantileIsExactOverItsWindow) {
  EXPECT_EQ(quantile_of({5, 1, 4, 2, 3}, 99).value(), 5u);
  EXPECT_EQ(quantile_of({5, 1, 4, 2, 3}, 50).value(), 3u);   // rank ceil(2.5) = 3
  EXPECT_EQ(quantile_of({5, 1, 4, 2, 3}, 20).value(), 1u);   // rank 1
  EXPECT_EQ(quantile_of({5, 1, 4, 2, 3}, 100).value(), 5u);
}

TEST(Cinterrupts, NetSourcesAreNotCoalescedByDefault) {
  const std::vector<SourceInfo> nic = {source(0, SourceKind::net, "eth0")};
  EXPECT_EQ(run("cinterrupts", nic, {ev(0), ev(1 * us)}, 1 * ms), (std::vector<Expect>{{0, 1}, {1 * us, 1}}));
}

TEST(Cinterrupts, DeltaMustLieInsideItsBounds) {
  auto p = make_policy(*parse_policy_spec("cinterrupts:delta-us=20"));
  ASSERT_FALSE(p);
  EXPECT_NE(p.message().find("\"delta-us\""), std::string::npos) << p.message();
  auto q = make_policy(*parse_policy_spec("cinterrupts:delta-min-us=9,delta-max-us=8"));
  ASSERT_FALSE(q);
  EXPECT_NE(q.message().find("\"delta-min-us\""), std::string::npos) << q.message();
}

}  // namespace
}  // namespace irqshape::sim
