// The storm guard: above the limit, arrivals are deferred to the end of the rate window
// and delivered coalesced, or - only where configured - dropped and counted.
#include "isu_test_support.h"

namespace irqshape::isu::testing {
namespace {

constexpr std::uint64_t us = 1000, ms = 1000 * us;

class Storm : public IsuFixture {};

TEST_F(Storm, DefersAboveTheLimitToOneInterruptPerWindow) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::StormGuard::mask, .storm_limit = 10}), commit::kOk);
  enable();
  // 200 us apart = 5 per 1 ms window: well below the limit, nothing deferred
  std::uint64_t t = 0;
  for (int i = 0; i < 30; ++i) fire(1, t += 200 * us);
  EXPECT_EQ(sink.out.size(), 30u);
  EXPECT_EQ(unit->telemetry(1).deferred, 0u);
  // a storm: 1 us apart for 5 ms
  sink.out.clear();
  const std::uint64_t storm_start = t;
  for (int i = 0; i < 5000; ++i) fire(1, t += us);
  unit->advance(t + 10 * ms);
  const SourceTelemetry& tel = unit->telemetry(1);
  EXPECT_GT(tel.deferred, 4900u);
  // at most one interrupt per window for deferred events, plus the few let through
  // before the estimate crossed the limit
  std::size_t deferred_interrupts = 0;
  for (const auto& vi : sink.out) {
    if (vi.flags & ctx_flag::kDeferred) {
      ++deferred_interrupts;
      EXPECT_EQ(vi.time % ms, 0u) << "released at a window boundary";
      EXPECT_GE(vi.time, storm_start);
    }
  }
  EXPECT_LE(deferred_interrupts, 7u);
  EXPECT_GE(deferred_interrupts, 5u);
  EXPECT_LT(sink.out.size(), 30u);
  EXPECT_EQ(sink.events(), 5000u) << "every deferred event is delivered, coalesced";
  expect_conservation(2);
}

TEST_F(Storm, DropModeCountsEveryDroppedEventAndReportsItInTheNextRecord) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::StormGuard::mask | src_ctrl::StormDrop::mask, .storm_limit = 5}),
            commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kAlways, 1, 0, rule_action::Augment::mask), commit::kOk);
  enable();
  for (int i = 0; i < 20; ++i) fire(1, 10 + i);  // one window: 5 delivered, 15 dropped
  EXPECT_EQ(sink.out.size(), 5u);
  EXPECT_EQ(unit->telemetry(1).dropped, 15u);
  fire(1, 10 * ms);  // after the storm
  ASSERT_EQ(sink.out.size(), 6u);
  EXPECT_EQ(unit->context(0, sink.out.back().context_slot).dropped, 15u);
  const SourceTelemetry regs = telemetry_via_registers(1);
  EXPECT_EQ(regs.dropped, 15u);
  EXPECT_EQ(regs.in, 21u);
  EXPECT_EQ(regs.events, 6u);
  expect_conservation(2);
}

TEST_F(Storm, GuardOnlyAffectsItsSource) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::StormGuard::mask | src_ctrl::StormDrop::mask, .storm_limit = 2}),
            commit::kOk);
  enable();
  for (int i = 0; i < 10; ++i) {
    fire(1, static_cast<std::uint64_t>(i));
    fire(2, static_cast<std::uint64_t>(i));
  }
  EXPECT_EQ(unit->telemetry(1).events, 2u);
  EXPECT_EQ(unit->telemetry(2).events, 10u);
}

TEST_F(Storm, DeferredEventsJoinThePendingBatchAndLeaveAtTheLaterDeadline) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::StormGuard::mask | src_ctrl::Coalesce::mask, .frames = 1000,
                       .time = 5 * ms, .storm_limit = 3}),
            commit::kOk);
  enable();
  for (int i = 0; i < 10; ++i) fire(1, 100 * us + static_cast<std::uint64_t>(i));
  // released at the later of the coalescing deadline (first + 5 ms) and the window end (1 ms)
  EXPECT_EQ(unit->next_deadline(), 5 * ms + 100 * us);
  unit->advance(5 * ms + 100 * us - 1);
  EXPECT_TRUE(sink.out.empty());
  unit->advance(5 * ms + 100 * us);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].count, 10u);
  EXPECT_TRUE(sink.out[0].flags & ctx_flag::kDeferred);
  EXPECT_EQ(unit->telemetry(1).deferred, 7u) << "the first 3 were within the limit";
}

// A line re-targeted during a storm: the deferred batch goes out first, to where its events
// were headed - also when only the destination mode changed (physical APIC id 2 and
// logical set 2 are different CPUs).
TEST_F(Storm, ARetargetedLineDeliversTheDeferredBatchFirstEvenWhenOnlyTheModeChanged) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::StormGuard::mask, .storm_limit = 2}), commit::kOk);
  enable();
  for (int i = 0; i < 5; ++i) fire(1, 100 * us + static_cast<std::uint64_t>(i), 0x41, 2);
  ASSERT_EQ(sink.out.size(), 2u) << "two within the limit";
  ASSERT_EQ(unit->pending(1), 3u) << "three deferred";
  hw::InterruptMessage logical = msg(1, 0x41, 2);
  logical.destination_mode = hw::DestinationMode::Logical;
  unit->receive(logical, 100 * us + 10);
  ASSERT_EQ(sink.out.size(), 3u) << "the physical-mode batch is delivered when the mode changes";
  EXPECT_EQ(sink.out[2].count, 3u);
  EXPECT_EQ(sink.out[2].message.destination_mode, hw::DestinationMode::Physical);
  EXPECT_TRUE(sink.out[2].flags & ctx_flag::kDeferred);
  EXPECT_EQ(unit->pending(1), 1u) << "the logical-mode event is deferred on its own";
  unit->advance(1 * ms);
  ASSERT_EQ(sink.out.size(), 4u);
  EXPECT_EQ(sink.out[3].message.destination_mode, hw::DestinationMode::Logical);
  EXPECT_EQ(sink.out[3].count, 1u);
  expect_conservation(2);
}

TEST_F(Storm, DeferralExtendsAnEarlierCoalescingDeadlineToTheWindowEnd) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::StormGuard::mask | src_ctrl::Coalesce::mask, .frames = 1000,
                       .time = 10 * us, .storm_limit = 3}),
            commit::kOk);
  enable();
  for (int i = 0; i < 10; ++i) fire(1, 100 * us + static_cast<std::uint64_t>(i));
  EXPECT_EQ(unit->next_deadline(), 1 * ms);
}

// A storm in the last rate window before the end of the clock: the window's end is past
// 2^64 - 1 ns and must not wrap to a deadline in the past.
TEST_F(Storm, AStormInTheLastWindowOfTheClockIsDeliveredInTimeOrder) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::StormGuard::mask, .storm_limit = 2}), commit::kOk);
  enable();
  const std::uint64_t t0 = kNever - 500 * us;  // RATE_WINDOW is 1 ms
  for (std::uint64_t i = 0; i < 20; ++i) fire(1, t0 + i * us);
  unit->advance(kNever);
  ASSERT_FALSE(sink.out.empty());
  for (std::size_t i = 0; i < sink.out.size(); ++i) {
    EXPECT_GE(sink.out[i].time, sink.out[i].last_time) << "delivered before an event it carries, #" << i;
    if (i > 0) {
      EXPECT_GE(sink.out[i].time, sink.out[i - 1].time) << "#" << i;
    }
  }
  EXPECT_EQ(sink.events(), 20u);
  // The rate counts in that window as in any other (it read 0 there, and the guard never
  // engaged): the deferred events wait for the end of the clock.
  EXPECT_GT(unit->telemetry(1).deferred, 0u);
  EXPECT_EQ(sink.out.back().time, kNever);
  expect_conservation(2);
}

}  // namespace
}  // namespace irqshape::isu::testing
