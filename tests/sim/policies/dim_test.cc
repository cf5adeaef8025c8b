// DIM: the net_dim pieces against values computed by hand from lib/dim (rates, the 10%
// significance rule, the tuner's walk, parking), then the policy that applies profiles.
#include <gtest/gtest.h>

#include "sim/policies/dim_policy.h"
#include "sim/policies/net_dim.h"
#include "policy_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;
using dim::Compare;
using dim::NetDim;
using dim::Stats;
using dim::TuneState;

TEST(NetDim, DefaultReceiveProfiles) {
  // lib/dim/net_dim.c: NET_DIM_RX_EQE_PROFILES and NET_DIM_RX_CQE_PROFILES, {usec, pkts}.
  const auto& eqe = dim::rx_profiles(dim::PeriodMode::Eqe);
  const auto& cqe = dim::rx_profiles(dim::PeriodMode::Cqe);
  const std::uint16_t eqe_usec[] = {1, 8, 64, 128, 256}, cqe_usec[] = {2, 8, 16, 32, 64};
  const std::uint16_t cqe_pkts[] = {256, 128, 64, 64, 64};
  for (unsigned i = 0; i < dim::kNumProfiles; ++i) {
    EXPECT_EQ(eqe[i].usec, eqe_usec[i]);
    EXPECT_EQ(eqe[i].pkts, 256);
    EXPECT_EQ(cqe[i].usec, cqe_usec[i]);
    EXPECT_EQ(cqe[i].pkts, cqe_pkts[i]);
  }
}

// Per millisecond, rounded up; 64 interrupts per measurement; counters wrap.
TEST(NetDim, StatsPerMillisecondRoundedUp) {
  Stats s;
  ASSERT_TRUE(NetDim::calc_stats({.time = 0}, {.time = 1 * ms, .event_ctr = 64, .pkt_ctr = 6400, .byte_ctr = 640000}, s));
  EXPECT_EQ(s.ppms, 6400);
  EXPECT_EQ(s.bpms, 640000);
  EXPECT_EQ(s.epms, 64);
  // 10 packets in 3 us: ceil(10 * 1000 / 3) = 3334; 64 events: ceil(64000 / 3) = 21334.
  ASSERT_TRUE(NetDim::calc_stats({.time = 5 * us, .pkt_ctr = 0xFFFF'FFFB}, {.time = 8 * us + 999, .pkt_ctr = 5}, s));
  EXPECT_EQ(s.ppms, 3334);
  EXPECT_EQ(s.epms, 21334);
  // Under a microsecond: unreliable, no decision.
  EXPECT_FALSE(NetDim::calc_stats({.time = 0}, {.time = 999}, s));
}

TEST(NetDim, TenPercentIsNotSignificant) {
  const Stats prev{.ppms = 100, .bpms = 1000, .epms = 50};
  EXPECT_EQ(NetDim::compare({.ppms = 1, .bpms = 1, .epms = 1}, {}), Compare::Better);  // nothing before
  EXPECT_EQ(NetDim::compare({}, {}), Compare::Same);
  EXPECT_EQ(NetDim::compare({.ppms = 100, .bpms = 1110, .epms = 50}, prev), Compare::Better);  // 11% more bytes
  EXPECT_EQ(NetDim::compare({.ppms = 100, .bpms = 1100, .epms = 50}, prev), Compare::Same);    // exactly 10%
  EXPECT_EQ(NetDim::compare({.ppms = 100, .bpms = 880, .epms = 50}, prev), Compare::Worse);
  // Bytes within 10%: packets decide, then interrupts (fewer is better).
  EXPECT_EQ(NetDim::compare({.ppms = 120, .bpms = 1050, .epms = 50}, prev), Compare::Better);
  EXPECT_EQ(NetDim::compare({.ppms = 85, .bpms = 1000, .epms = 50}, prev), Compare::Worse);
  EXPECT_EQ(NetDim::compare({.ppms = 100, .bpms = 1000, .epms = 40}, prev), Compare::Better);
  EXPECT_EQ(NetDim::compare({.ppms = 100, .bpms = 1000, .epms = 60}, prev), Compare::Worse);
  EXPECT_EQ(NetDim::compare({.ppms = 105, .bpms = 1050, .epms = 54}, prev), Compare::Same);
}

Stats bytes(std::int64_t bpms) { return Stats{.ppms = bpms / 100, .bpms = bpms, .epms = 10}; }

// A walk computed by hand from net_dim_decision():
//   zeroed context: parked on top at profile 0, no previous stats
//   1: 100 vs 0 -> better: leave parking going right (profile 0) -> profile 1
//   2: 120 vs 100 (+20%) better -> profile 2;  3: 150 better -> profile 3
//   4: 100 worse -> turn left (steps_left 0): not on top -> profile 2
//   5: 130 vs 100 better, going left after 3 steps right and 1 left: on top -> park at 2
//   6: 130 again: same -> stays parked (and keeps comparing against the parked stats)
//   7: 200 vs 130 better -> leave parking, going left (profile != 0) -> profile 1
TEST(NetDim, MovesUpThenParksOnTopAndLeavesWhenTrafficChanges) {
  NetDim d;
  struct Step {
    std::int64_t bpms;
    bool changed;
    unsigned profile;
    TuneState state;
  };
  const Step steps[] = {
      {100, true, 1, TuneState::GoingRight},   {120, true, 2, TuneState::GoingRight},
      {150, true, 3, TuneState::GoingRight},   {100, true, 2, TuneState::GoingLeft},
      {130, false, 2, TuneState::ParkingOnTop}, {130, false, 2, TuneState::ParkingOnTop},
      {200, true, 1, TuneState::GoingLeft},
  };
  int n = 0;
  for (const Step& s : steps) {
    ++n;
    EXPECT_EQ(d.decision(bytes(s.bpms)), s.changed) << "decision " << n;
    EXPECT_EQ(d.profile(), s.profile) << "decision " << n;
    EXPECT_EQ(d.tune_state(), s.state) << "decision " << n;
  }
}

// Parked on top, the stats it parked with stay the reference: a slow drift of 5% per
// measurement is "same" each time against the previous one, but is measured against the
// parked stats here, so the third 5% step (15.8% in all) leaves the parking.
TEST(NetDim, ParkedOnTopComparesWithTheStatsItParkedWith) {
  NetDim d;
  for (std::int64_t b : {100, 120, 150, 100, 130}) d.decision(bytes(b));
  ASSERT_EQ(d.tune_state(), TuneState::ParkingOnTop);
  EXPECT_FALSE(d.decision(bytes(136)));  // +4.6%
  EXPECT_FALSE(d.decision(bytes(143)));  // +10% of 130: not more than 10
  EXPECT_TRUE(d.decision(bytes(150)));   // +15%: left the parking
  EXPECT_EQ(d.tune_state(), TuneState::GoingLeft);
}

// Every result worse: the tuner turns at every step and never finds a top; after
// 2 x 5 steps it is too tired, parks, and sits out 10 measurements before moving again.
TEST(NetDim, ParksTiredAfterTenStepsAndSitsOutTenMeasurements) {
  NetDim d;
  std::int64_t b = 1'000'000;
  d.decision(bytes(b));  // better than nothing: profile 1, tired 1
  for (int i = 2; i <= 10; ++i) {  // worse: turn, step (0, 1, 0, ...)
    b = b * 8 / 10;
    EXPECT_TRUE(d.decision(bytes(b))) << i;
  }
  EXPECT_EQ(d.tired(), 10u);
  b = b * 8 / 10;
  EXPECT_FALSE(d.decision(bytes(b)));
  EXPECT_EQ(d.tune_state(), TuneState::ParkingTired);
  EXPECT_EQ(d.profile(), 0u);  // it went 0 -> 1 -> 0 -> 1 ... and stopped at 0
  for (int i = 0; i < 9; ++i) {
    EXPECT_FALSE(d.decision(bytes(b))) << i;
    EXPECT_EQ(d.tune_state(), TuneState::ParkingTired);
  }
  EXPECT_TRUE(d.decision(bytes(b)));  // the 10th: leaves, going right from profile 0
  EXPECT_EQ(d.tune_state(), TuneState::GoingRight);
  EXPECT_EQ(d.profile(), 1u);
}

// A measurement spans 64 interrupts after the sample that starts it; a profile change
// restarts measuring at the next sample.
TEST(NetDim, MeasuresEverySixtyFourInterrupts) {
  NetDim d;
  dim::Sample s{.time = 0};
  EXPECT_FALSE(d.update(s));  // starts the measurement
  for (int i = 1; i < 64; ++i) {
    s = {.time = s.time + 10 * us, .event_ctr = static_cast<std::uint16_t>(i), .pkt_ctr = 10u * i, .byte_ctr = 15000u * i};
    EXPECT_FALSE(d.update(s)) << i;
  }
  s = {.time = s.time + 10 * us, .event_ctr = 64, .pkt_ctr = 640, .byte_ctr = 960000};
  EXPECT_TRUE(d.update(s));  // first decision: better than nothing -> profile 1
  EXPECT_EQ(d.profile(), 1u);
  EXPECT_FALSE(d.update(s));  // waiting for the driver to apply it
  d.applied();
}

// The hardware starts at the default profile (index 1): EQE {8 us, 256}: three packets
// 2 us apart, then silence -> one interrupt 8 us after the first.
TEST(DimPolicy, StartsAtTheDefaultProfile) {
  const std::vector<SourceInfo> nic = {source(0, SourceKind::net, "eth0-rx-0")};
  EXPECT_EQ(run("dim", nic, {ev(0), ev(2 * us), ev(4 * us)}, 1 * ms), (std::vector<Expect>{{8 * us, 3}}));
  // CQE {8 us, 128}: the period restarts at every completion -> 4 + 8 = 12 us.
  EXPECT_EQ(run("dim:mode=cqe", nic, {ev(0), ev(2 * us), ev(4 * us)}, 1 * ms), (std::vector<Expect>{{12 * us, 3}}));
}

TEST(DimPolicy, BlockAndTimerSourcesAreNotModeratedByDefault) {
  const std::vector<SourceInfo> mix = {source(0, SourceKind::block, "nvme0q1"), source(1, SourceKind::timer, "hpet")};
  EXPECT_EQ(run("dim", mix, {ev(0, 0), ev(1 * us, 1)}, 1 * ms), (std::vector<Expect>{{0, 1, 0}, {1 * us, 1, 1}}));
  EXPECT_EQ(run("dim:classes=block", mix, {ev(0, 0), ev(1 * us, 1)}, 1 * ms),
            (std::vector<Expect>{{1 * us, 1, 1}, {8 * us, 1, 0}}));
}

// Steady traffic: one packet every 20 us, so every packet is its own interrupt at the
// first profile's 8 us. After 1 + 64 interrupts DIM decides for the first time (better
// than nothing): it leaves parking towards profile 1 - the profile already in use.
TEST(DimPolicy, SamplesAfterEveryInterrupt) {
  auto p = make("dim");
  p->add_source(source(0, SourceKind::net, "eth0-rx-0"));
  auto& dimp = dynamic_cast<DimPolicy&>(*p);
  Driver d(*p);
  for (int i = 0; i < 65; ++i) d.event(DeviceEvent{.time = 20 * us * static_cast<Nanos>(i), .source = 0, .bytes = 1000});
  d.timers_until(2 * ms);
  EXPECT_EQ(d.got().size(), 65u);
  EXPECT_EQ(dimp.tuner(0).tune_state(), TuneState::GoingRight);
  EXPECT_EQ(dimp.profile(0), 1u);
  EXPECT_NE(p->telemetry_json().find("\"profile\":1"), std::string::npos) << p->telemetry_json();
}

}  // namespace
}  // namespace irqshape::sim
