// `static` against cases computed by hand from the ethtool and NVMe semantics
// (docs/policies.md, "static").
#include "sim/policies/static_policy.h"

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;

const std::vector<SourceInfo> kNic = {source(0, SourceKind::net, "eth0-rx-0")};
const std::vector<SourceInfo> kNvme = {source(0, SourceKind::block, "nvme0q1")};

// rx-frames=4, rx-usecs=50; events at 0, 10, 20, 30, 100 us:
//   the 4th event (30 us) reaches rx-frames -> interrupt at 30 us with 4 events;
//   100 us starts a batch, nothing follows -> its timer fires at 100 + 50 = 150 us.
TEST(StaticPolicy, FramesOrUsecsWhicheverFirst) {
  const auto got = run("static:rx-frames=4,rx-usecs=50", kNic,
                       {ev(0), ev(10 * us), ev(20 * us), ev(30 * us), ev(100 * us)}, 1 * ms);
  EXPECT_EQ(got, (std::vector<Expect>{{30 * us, 4}, {150 * us, 1}}));
}

// rx-frames=0: time only. Events 0, 5, 30 us with rx-usecs=20: the batch opened at 0
// closes at 20 (2 events); 30 opens one that closes at 50.
TEST(StaticPolicy, FramesZeroMeansTimeOnly) {
  const auto got = run("static:rx-frames=0,rx-usecs=20", kNic, {ev(0), ev(5 * us), ev(30 * us)}, 1 * ms);
  EXPECT_EQ(got, (std::vector<Expect>{{20 * us, 2}, {50 * us, 1}}));
}

// A deadline and an event at the same instant: the batch closes first, the event opens
// the next one (both orders of the simulator's calls give this).
TEST(StaticPolicy, EventAtTheDeadlineStartsTheNextBatch) {
  const auto got = run("static:rx-frames=0,rx-usecs=10", kNic, {ev(0), ev(10 * us)}, 1 * ms);
  EXPECT_EQ(got, (std::vector<Expect>{{10 * us, 1}, {20 * us, 1}}));
}

// rx-usecs=0 is "no timer delay": with rx-frames 0 or 1 (ethtool's way of saying
// coalescing off) every event interrupts at once.
TEST(StaticPolicy, UsecsZeroMeansNoCoalescing) {
  for (const char* spec : {"static:rx-usecs=0,rx-frames=0", "static:rx-usecs=0,rx-frames=1", "static:rx-frames=1"}) {
    const auto got = run(spec, kNic, {ev(0), ev(1 * us), ev(2 * us)}, 1 * ms);
    EXPECT_EQ(got, (std::vector<Expect>{{0, 1}, {1 * us, 1}, {2 * us, 1}})) << spec;
  }
}

TEST(StaticPolicy, CountOnlyCoalescingIsRefused) {
  auto p = make_policy(*parse_policy_spec("static:rx-usecs=0,rx-frames=8"));
  ASSERT_FALSE(p);
  EXPECT_NE(p.message().find("policy \"static\": parameter \"rx-frames\""), std::string::npos) << p.message();
  EXPECT_NE(p.message().find("without a deadline"), std::string::npos) << p.message();
}

// NVMe: THR is 0's based (nvme-thr=3: 4 entries), TIME in 100 us units (nvme-time=2:
// 200 us). Completions at 0, 50, 100, 150 us: the 4th reaches the threshold at 150 us.
// Then 1000 and 1100 us: the time closes the batch at 1000 + 200 = 1200 us.
TEST(StaticPolicy, NvmeAggregationThresholdIsZerosBasedAndTimeIn100us) {
  const auto got = run("static:nvme-thr=3,nvme-time=2", kNvme,
                       {ev(0), ev(50 * us), ev(100 * us), ev(150 * us), ev(1000 * us), ev(1100 * us)}, 10 * ms);
  EXPECT_EQ(got, (std::vector<Expect>{{150 * us, 4}, {1200 * us, 2}}));
}

// THR = 0 (one entry) or TIME = 0 (no delay) turns NVMe coalescing off.
TEST(StaticPolicy, NvmeZeroThresholdOrTimeDisablesCoalescing) {
  for (const char* spec : {"static:nvme-thr=0,nvme-time=5", "static:nvme-thr=7,nvme-time=0"}) {
    const auto got = run(spec, kNvme, {ev(0), ev(10 * us)}, 1 * ms);
    EXPECT_EQ(got, (std::vector<Expect>{{0, 1}, {10 * us, 1}})) << spec;
  }
}

// Interrupt coalescing applies to I/O completion queues, not to the admin queue
// (Linux names its vector nvme<N>q0).
TEST(StaticPolicy, NvmeAdminQueueIsNotCoalesced) {
  EXPECT_TRUE(is_nvme_admin_queue("nvme0q0"));
  EXPECT_TRUE(is_nvme_admin_queue("nvme12q0"));
  EXPECT_FALSE(is_nvme_admin_queue("nvme0q1"));
  EXPECT_FALSE(is_nvme_admin_queue("nvmeq0"));
  EXPECT_FALSE(is_nvme_admin_queue("nvme0q10"));
  const std::vector<SourceInfo> two = {source(0, SourceKind::block, "nvme0q0"),
                                       source(1, SourceKind::block, "nvme0q1")};
  const auto got = run("static:nvme-thr=1,nvme-time=1", two, {ev(0, 0), ev(0, 1), ev(10 * us, 0), ev(10 * us, 1)},
                       1 * ms);
  EXPECT_EQ(got, (std::vector<Expect>{{0, 1, 0}, {10 * us, 1, 0}, {10 * us, 2, 1}}));
}

// Net thresholds do not apply to block queues and vice versa; timers are left alone
// unless `classes` names them.
TEST(StaticPolicy, ThresholdsFollowTheSourceClass) {
  const std::vector<SourceInfo> mix = {source(0, SourceKind::net, "eth0"), source(1, SourceKind::block, "nvme0q1"),
                                       source(2, SourceKind::timer, "hpet")};
  const std::vector<DeviceEvent> events = {ev(0, 0), ev(0, 1), ev(0, 2), ev(5 * us, 0), ev(5 * us, 1), ev(5 * us, 2)};
  EXPECT_EQ(run("static:rx-frames=2,rx-usecs=50,nvme-thr=7,nvme-time=1", mix, events, 1 * ms),
            (std::vector<Expect>{{0, 1, 2}, {5 * us, 2, 0}, {5 * us, 1, 2}, {100 * us, 2, 1}}));
  EXPECT_EQ(run("static:rx-frames=2,rx-usecs=50,classes=timer", mix, events, 1 * ms),
            (std::vector<Expect>{{0, 1, 0}, {0, 1, 1}, {5 * us, 1, 0}, {5 * us, 1, 1}, {5 * us, 2, 2}}));
}

TEST(StaticPolicy, KeepsTheSourcesMessage) {
  auto p = make("static:rx-frames=2,rx-usecs=10");
  p->add_source(source(3, SourceKind::net, "eth0", 0x61));
  Driver d(*p);
  d.event(0, 3);
  d.event(1 * us, 3);
  d.finish(1 * ms);
  ASSERT_EQ(d.got().size(), 1u);
  EXPECT_EQ(d.got()[0].message.vector, 0x61);
  EXPECT_EQ(d.got()[0].source, 3u);
}

}  // namespace
}  // namespace irqshape::sim
