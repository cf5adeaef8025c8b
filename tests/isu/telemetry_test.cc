// Telemetry counters through the register window: per source, per rule, per pattern.
#include "isu_test_support.h"

namespace irqshape::isu::testing {
namespace {

class Telemetry : public IsuFixture {};

TEST_F(Telemetry, SourceCountersMatchWhatWasDelivered) {
  ASSERT_EQ(source(3, {.ctrl = src_ctrl::Coalesce::mask, .frames = 4, .time = 1'000'000, .raise_vector = 0xD0}), commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kRateAbove, 3, 9, rule_action::Raise::mask), commit::kOk);
  enable();
  for (int i = 0; i < 10; ++i) fire(3, static_cast<std::uint64_t>(i));
  // 4 + 4 coalesced, then the 10th arrival (rate 10 > 9) raises and flushes 2
  const SourceTelemetry t = telemetry_via_registers(3);
  EXPECT_EQ(t.in, 10u);
  EXPECT_EQ(t.out, 3u);
  EXPECT_EQ(t.events, 10u);
  EXPECT_EQ(t.coalesced, 7u);
  EXPECT_EQ(t.raised, 1u);
  EXPECT_EQ(t.in, unit->telemetry(3).in);
  ASSERT_EQ(sink.out.size(), 3u);
  EXPECT_EQ(sink.out[2].message.vector, 0xD0);
  wr(TEL_RULE_SEL, 0);
  EXPECT_EQ(rd(TEL_RULE_MATCHES_LO), 1u);
}

TEST_F(Telemetry, SnapshotIsTakenWhenTheSelectorIsWritten) {
  enable();
  fire(2, 1);
  wr(TEL_SRC_SEL, 2);
  fire(2, 2);
  EXPECT_EQ(rd(TEL_IN_LO), 1u);
  wr(TEL_SRC_SEL, 2);
  EXPECT_EQ(rd(TEL_IN_LO), 2u);
}

TEST_F(Telemetry, PendingAndPatternCounters) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 10, .time = 1'000'000}), commit::kOk);
  ASSERT_EQ(pattern(4, {{0}, {1, 0, 1000}}), commit::kOk);
  enable();
  fire(0, 0);
  fire(1, 500);
  fire(1, 600);
  wr(TEL_SRC_SEL, 1);
  EXPECT_EQ(rd(TEL_PENDING), 2u);
  EXPECT_EQ(rd(TEL_PATTERNS_LO), 1u);
  wr(TEL_PAT_SEL, 4);
  EXPECT_EQ(rd(TEL_PAT_MATCHES_LO), 1u);
}

TEST_F(Telemetry, ClearTelemetryZeroesEveryCounter) {
  ASSERT_EQ(rule(0, rule_cond::kAlways, kAnySource, 0, 0), commit::kOk);
  ASSERT_EQ(pattern(0, {{0}, {0, 0, 1000}}), commit::kOk);
  enable();
  for (int i = 0; i < 5; ++i) fire(0, static_cast<std::uint64_t>(i));
  EXPECT_EQ(commit(commit::kClearTelemetry), commit::kOk);
  const SourceTelemetry t = telemetry_via_registers(0);
  EXPECT_EQ(t.in + t.out + t.events + t.patterns, 0u);
  wr(TEL_RULE_SEL, 0);
  EXPECT_EQ(rd(TEL_RULE_MATCHES_LO), 0u);
  wr(TEL_PAT_SEL, 0);
  EXPECT_EQ(rd(TEL_PAT_MATCHES_LO), 0u);
}

TEST_F(Telemetry, HoldTimeHistogramBoundsTheAddedDelay) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 3, .time = 50'000}), commit::kOk);
  enable();
  fire(1, 0);
  fire(1, 10'000);
  fire(1, 20'000);  // count flush at 20 us: holds 20, 10, 0 us
  fire(1, 100'000);
  unit->advance(200'000);  // time flush at 150 us: hold 50 us
  fire(2, 300'000);  // unshaped source delivered at once: hold 0
  wr(TEL_SRC_SEL, 1);
  EXPECT_EQ(rd(TEL_HOLD_SUM_LO), 30'000u + 50'000u);
  EXPECT_EQ(rd(TEL_HOLD_MAX), 50'000u);
  EXPECT_EQ(hold_bucket(20'000), 5u);  // [16384, 32768)
  EXPECT_EQ(hold_bucket(50'000), 6u);  // [32768, 65536)
  EXPECT_EQ(rd(tel_hold(5)), 3u) << "three events counted at their batch's longest hold";
  EXPECT_EQ(rd(tel_hold(6)), 1u);
  wr(TEL_SRC_SEL, 2);
  EXPECT_EQ(rd(tel_hold(0)), 1u);
  EXPECT_EQ(rd(TEL_HOLD_SUM_LO), 0u);
  EXPECT_EQ(hold_bucket(1023), 0u);
  EXPECT_EQ(hold_bucket(1024), 1u);
  EXPECT_EQ(hold_bucket(std::uint64_t{1} << 40), 15u);
  EXPECT_EQ(hold_bucket_floor(15), std::uint64_t{1} << 24);
}

TEST_F(Telemetry, ClearingWhileEventsAreHeldKeepsTheConservationLaw) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 10, .time = 1'000'000}), commit::kOk);
  enable();
  fire(1, 0);
  fire(1, 1);
  EXPECT_EQ(commit(commit::kClearTelemetry), commit::kOk);
  SourceTelemetry t = telemetry_via_registers(1);
  EXPECT_EQ(t.in, 2u) << "held events count as received in the new epoch";
  EXPECT_EQ(rd(TEL_PENDING), 2u);
  unit->advance(2'000'000);
  t = telemetry_via_registers(1);
  EXPECT_EQ(t.in, t.events + t.dropped);
  expect_conservation(2);
}

}  // namespace
}  // namespace irqshape::isu::testing
