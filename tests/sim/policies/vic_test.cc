// vIC against hand-computed cases: the delivery ratio by commands in flight, the IOPS
// gate, the delivery of held completions when CIF drops, and the progress timer.
#include "sim/policies/vic_policy.h"

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;

const std::vector<SourceInfo> kDisk = {source(0, SourceKind::block, "vscsi0")};

DeviceEvent done(Nanos t, std::uint32_t cif) { return DeviceEvent{.time = t, .source = 0, .in_flight = cif}; }

TEST(Vic, RatioFallsWithCommandsInFlight) {
  VicPolicy v(VicParams{});  // cif-threshold 4, max-skip 8
  constexpr std::uint32_t one = VicPolicy::kOne;
  EXPECT_EQ(v.ratio(0), one);
  EXPECT_EQ(v.ratio(3), one);
  EXPECT_EQ(v.ratio(4), one);
  EXPECT_EQ(v.ratio(5), (one * 4 + 4) / 5);  // rounded up
  EXPECT_EQ(v.ratio(8), one / 2);
  EXPECT_EQ(v.ratio(16), one / 4);
  EXPECT_EQ(v.ratio(32), one / 8);
  EXPECT_EQ(v.ratio(1000), one / 8);  // never below 1/max-skip
}

// iops-threshold=0: always busy. CIF 8 -> R = 1/2: every second completion interrupts,
// carrying the one held before it.
TEST(Vic, DeliversOneInterruptPerOneOverRCompletions) {
  EXPECT_EQ(run("vic:iops-threshold=0", kDisk, {done(0, 8), done(10 * us, 8), done(20 * us, 8), done(30 * us, 8)}, 1 * ms),
            (std::vector<Expect>{{10 * us, 2}, {30 * us, 2}}));
  // CIF 16 -> R = 1/4.
  EXPECT_EQ(run("vic:iops-threshold=0", kDisk, {done(0, 16), done(1 * us, 16), done(2 * us, 16), done(3 * us, 16)}, 1 * ms),
            (std::vector<Expect>{{3 * us, 4}}));
}

// CIF 5 -> R = 4/5: credits 0.8, 1.6 -> deliver (0.6), 1.4 -> deliver (0.4), 1.2 ->
// deliver (0.2), 1.0 -> deliver (0): 4 interrupts for 5 completions (the first two
// ride on one).
TEST(Vic, FractionalRatio) {
  std::vector<DeviceEvent> e;
  for (int i = 0; i < 5; ++i) e.push_back(done(static_cast<Nanos>(i) * us, 5));
  EXPECT_EQ(run("vic:iops-threshold=0", kDisk, e, 1 * ms),
            (std::vector<Expect>{{1 * us, 2}, {2 * us, 1}, {3 * us, 1}, {4 * us, 1}}));
}

// Progress: when commands in flight fall below the threshold, the next completion
// delivers everything held (the guest would otherwise wait for completions that will
// not come).
TEST(Vic, LowCommandsInFlightDeliversEverythingHeld) {
  EXPECT_EQ(run("vic:iops-threshold=0", kDisk, {done(0, 16), done(10 * us, 16), done(20 * us, 2)}, 1 * ms),
            (std::vector<Expect>{{20 * us, 3}}));
}

// ... and a held completion never waits longer than max-delay-us.
TEST(Vic, ProgressTimerBoundsTheHold) {
  EXPECT_EQ(run("vic:iops-threshold=0,max-delay-us=100", kDisk, {done(0, 16), done(50 * us, 16), done(300 * us, 16)},
                10 * ms),
            (std::vector<Expect>{{100 * us, 2}, {400 * us, 1}}));
}

// The IOPS gate: below iops-threshold every completion interrupts. One completion per
// millisecond (1000/s) stays below 2000/s; one every 10 us (100,000/s) is above it.
// During the first epoch the rate so far is used (completions after the first over the
// time since it); the first completion has no rate yet.
TEST(Vic, NoCoalescingBelowTheIopsThreshold) {
  std::vector<DeviceEvent> slow, fast;
  for (int i = 0; i < 4; ++i) slow.push_back(done(static_cast<Nanos>(i) * ms, 32));
  EXPECT_EQ(run("vic:epoch-ms=1", kDisk, slow, 10 * ms),
            (std::vector<Expect>{{0, 1}, {1 * ms, 1}, {2 * ms, 1}, {3 * ms, 1}}));
  for (int i = 0; i < 9; ++i) fast.push_back(done(static_cast<Nanos>(i) * 10 * us, 32));
  // t=0: no rate yet -> delivered. Then 1/8 per completion: the 8th after it (80 us).
  EXPECT_EQ(run("vic:epoch-ms=1", kDisk, fast, 10 * ms), (std::vector<Expect>{{0, 1}, {80 * us, 8}}));
}

// Epochs: a full epoch's rate decides the next one. In the first 1 ms epoch the rate so
// far is 1 per 300 us = 3333/s; the epoch's 3 completions make 3000/s for the second.
// At iops-threshold=3500 nothing is coalesced; at 2500 everything after the first is.
TEST(Vic, RateOfTheLastFullEpochGatesTheNext) {
  std::vector<DeviceEvent> e = {done(0, 32), done(300 * us, 32), done(600 * us, 32), done(1100 * us, 32),
                                done(1200 * us, 32)};
  EXPECT_EQ(run("vic:epoch-ms=1,iops-threshold=3500", kDisk, e, 10 * ms).size(), 5u);
  const auto got = run("vic:epoch-ms=1,iops-threshold=2500,max-delay-us=500", kDisk, e, 10 * ms);
  // 0: no rate yet; 300 us: 3333/s > 2500 -> held (credit 1/8, CIF 32); 600 us: held
  // (2/8); the batch opened at 300 us reaches max-delay at 800 us with 2 (credit reset);
  // 1100 us: previous epoch 3000/s -> held; 1200 us: held; that batch goes at 1600 us.
  EXPECT_EQ(got, (std::vector<Expect>{{0, 1}, {800 * us, 2}, {1600 * us, 2}}));
}

TEST(Vic, NetSourcesAreNotCoalescedByDefault) {
  const std::vector<SourceInfo> nic = {source(0, SourceKind::net, "eth0")};
  EXPECT_EQ(run("vic:iops-threshold=0", nic, {done(0, 32), done(1 * us, 32)}, 1 * ms),
            (std::vector<Expect>{{0, 1}, {1 * us, 1}}));
}

}  // namespace
}  // namespace irqshape::sim
