// The modulator: coalescing by count and time, adaptive mode, urgent and raised flushes,
// lowered priority, re-targeting, level-triggered lines, and conservation.
#include "isu_test_support.h"

namespace irqshape::isu::testing {
namespace {

constexpr std::uint64_t us = 1000;

class Modulator : public IsuFixture {};

TEST_F(Modulator, WithoutConfigurationEveryInterruptPassesOneToOne) {
  enable();
  for (int i = 0; i < 10; ++i) fire(5, 100 + i * us, 0x45, 2);
  ASSERT_EQ(sink.out.size(), 10u);
  for (const auto& vi : sink.out) {
    EXPECT_EQ(vi.count, 1u);
    EXPECT_EQ(vi.message.vector, 0x45);
    EXPECT_EQ(vi.message.destination, 2u);
    EXPECT_TRUE(vi.shaped);
    EXPECT_EQ(vi.time, vi.first_time);
  }
}

TEST_F(Modulator, CountThresholdLikeRxFrames) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 4, .time = 1'000'000}), commit::kOk);
  enable();
  for (int i = 0; i < 10; ++i) fire(1, 1000 + i * us);
  ASSERT_EQ(sink.out.size(), 2u);
  EXPECT_EQ(sink.out[0].count, 4u);
  EXPECT_EQ(sink.out[0].first_time, 1000u);
  EXPECT_EQ(sink.out[0].last_time, 1000u + 3 * us);
  EXPECT_EQ(sink.out[0].time, 1000u + 3 * us);
  EXPECT_EQ(sink.out[0].flags, ctx_flag::kCoalesced);
  EXPECT_EQ(unit->pending(1), 2u);
  EXPECT_EQ(unit->next_deadline(), 1000u + 8 * us + 1'000'000) << "the rest waits for the time threshold";
  expect_conservation(2);
}

TEST_F(Modulator, TimeThresholdLikeRxUsecs) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .time = 50 * us}), commit::kOk);
  enable();
  fire(1, 1000);
  fire(1, 1000 + 10 * us);
  EXPECT_EQ(unit->next_deadline(), 1000 + 50 * us);
  unit->advance(1000 + 49 * us);
  EXPECT_TRUE(sink.out.empty());
  unit->advance(1000 + 80 * us);  // late callback: the interrupt is stamped with its deadline
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].time, 1000 + 50 * us);
  EXPECT_EQ(sink.out[0].count, 2u);
  EXPECT_EQ(sink.out[0].flags, ctx_flag::kCoalesced | ctx_flag::kTimer);
  EXPECT_EQ(unit->next_deadline(), kNever);
}

// SRC_COAL_TIME shortened while a batch is held (found by the driver's tests): the new
// deadline (first event + new time) is already behind the next arrival, so the batch and
// that arrival go out at once, stamped with the arrival's time, never with a time before an
// event they carry; the hold telemetry stays sane.
TEST_F(Modulator, ShorteningTheTimeWhileABatchIsHeldDeliversAtOnce) {
  ASSERT_EQ(source(0, {.ctrl = src_ctrl::Coalesce::mask, .time = 400 * us}), commit::kOk);
  enable();
  fire(0, 0);
  fire(0, 100 * us);
  ASSERT_EQ(source(0, {.ctrl = src_ctrl::Coalesce::mask, .time = 40 * us}), commit::kOk);
  EXPECT_EQ(unit->next_deadline(), 400 * us);  // takes effect from the next interrupt
  fire(0, 200 * us);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].time, 200 * us);
  EXPECT_EQ(sink.out[0].count, 3u);
  EXPECT_EQ(sink.out[0].flags & ctx_flag::kTimer, ctx_flag::kTimer);
  fire(0, 300 * us);  // a new batch under the new time
  EXPECT_EQ(unit->next_deadline(), 340 * us);
  unit->advance(1000 * us);
  ASSERT_EQ(sink.out.size(), 2u);
  EXPECT_EQ(sink.out[1].time, 340 * us);
  std::uint64_t last = 0;
  for (const VirtualInterrupt& vi : sink.out) {
    EXPECT_GE(vi.time, vi.last_time) << "delivered before an event it carries arrived";
    EXPECT_GE(vi.time, last) << "virtual interrupts out of time order";
    last = vi.time;
  }
  wr(TEL_SRC_SEL, 0);
  EXPECT_EQ(tel64(TEL_HOLD_SUM_LO), (200 + 100 + 0 + 40) * us);
  expect_conservation(1);
}

// A batch delivered at once because its deadline is already behind the arrival still
// goes out on the lower vector when one of its events had LOWER, and the history entry
// of that arrival says LOWERED, as on every other path that delivers at once.
TEST_F(Modulator, ALoweredBatchDeliveredPastItsDeadlineIsLoweredInTheHistory) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .time = 1000, .lower_vector = 0x30}), commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kAlways, 1, 0, rule_action::Lower::mask), commit::kOk);
  enable();
  fire(1, 0);
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .time = 100, .lower_vector = 0x30}), commit::kOk);
  fire(1, 500);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].message.vector, 0x30);
  wr(HIST_INDEX, 1);
  const std::uint32_t flags = hist_entry::Flags::get(rd(HIST_ENTRY));
  EXPECT_EQ(flags & (hist_flag::kFlushed | hist_flag::kLowered), hist_flag::kFlushed | hist_flag::kLowered)
      << "history flags 0x" << std::hex << flags;
}

// In the last rate window before the end of the clock (it would end past 2^64 - 1) the
// rate counts the arrival like any window: it read 0 there.
TEST_F(Modulator, TheRateCountsInTheLastWindowOfTheClock) {
  ASSERT_EQ(rule(0, rule_cond::kRateAbove, 1, 0, rule_action::Augment::mask), commit::kOk);
  ASSERT_EQ(rule(1, rule_cond::kRateBelow, 1, 1, rule_action::Augment::mask), commit::kOk);
  enable();
  fire(1, kNever - 10);
  EXPECT_EQ(unit->rule_matches(0), 1u);
  EXPECT_EQ(unit->rule_matches(1), 0u);
  wr(TEL_SRC_SEL, 1);
  EXPECT_EQ(rd(TEL_RATE), 1u);
}

// Adaptive coalescing at a mean gap of 0 (arrivals with the same timestamp) holds up to
// the cap: the highest rate, not a threshold of 1 (it never held such a source).
TEST_F(Modulator, AdaptiveCoalescingAtAMeanGapOfZeroHoldsUpToTheCap) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask | src_ctrl::Adaptive::mask, .frames = 3, .time = 1000}),
            commit::kOk);
  enable();
  for (int i = 0; i < 8; ++i) fire(1, 5000);
  unit->advance(7000);
  // Two go out alone until two gaps are seen; then each batch fills to the cap, 3.
  std::vector<std::uint32_t> counts;
  for (const VirtualInterrupt& vi : sink.out) counts.push_back(vi.count);
  EXPECT_EQ(counts, (std::vector<std::uint32_t>{1, 1, 3, 3}));
  expect_conservation(2);
}

TEST_F(Modulator, ArrivalsFireDueTimersFirst) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .time = 50 * us}), commit::kOk);
  ASSERT_EQ(source(2, {.ctrl = src_ctrl::Coalesce::mask, .time = 20 * us}), commit::kOk);
  enable();
  fire(1, 0);
  fire(2, 10 * us);  // deadline 30 us, before source 1's 50 us
  fire(3, 100 * us);  // unshaped source: both timers fire before it is delivered
  ASSERT_EQ(sink.out.size(), 3u);
  EXPECT_EQ(sink.out[0].message.source, 2u);
  EXPECT_EQ(sink.out[0].time, 30 * us);
  EXPECT_EQ(sink.out[1].message.source, 1u);
  EXPECT_EQ(sink.out[1].time, 50 * us);
  EXPECT_EQ(sink.out[2].message.source, 3u);
}

TEST_F(Modulator, EqualDeadlinesFlushInSourceOrder) {
  for (unsigned s : {9u, 4u, 6u}) ASSERT_EQ(source(s, {.ctrl = src_ctrl::Coalesce::mask, .time = 10 * us}), commit::kOk);
  enable();
  fire(9, 0);
  fire(4, 0);
  fire(6, 0);
  unit->advance(10 * us);
  ASSERT_EQ(sink.out.size(), 3u);
  EXPECT_EQ(sink.out[0].message.source, 4u);
  EXPECT_EQ(sink.out[1].message.source, 6u);
  EXPECT_EQ(sink.out[2].message.source, 9u);
}

TEST_F(Modulator, UrgentRuleFlushesTheBatchAtOnce) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 64, .time = 100 * us}), commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kRateAbove, 1, 3, rule_action::Urgent::mask), commit::kOk);
  enable();
  fire(1, 0);
  fire(1, us);
  fire(1, 2 * us);
  EXPECT_TRUE(sink.out.empty());
  fire(1, 3 * us);  // 4 in the window: urgent
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].count, 4u);
  EXPECT_EQ(sink.out[0].time, 3 * us);
  EXPECT_TRUE(sink.out[0].flags & ctx_flag::kUrgent);
  EXPECT_EQ(unit->next_deadline(), kNever);
}

TEST_F(Modulator, CoalesceActionAppliesOnlyWhereTheRuleHolds) {
  ASSERT_EQ(source(1, {.frames = 3, .time = 1'000'000}), commit::kOk);  // parameters, but coalescing off by default
  ASSERT_EQ(rule(0, rule_cond::kRateAbove, 1, 2, rule_action::Coalesce::mask), commit::kOk);
  enable();
  fire(1, 0);
  fire(1, us);
  EXPECT_EQ(sink.out.size(), 2u) << "rate not above 2 yet";
  fire(1, 2 * us);
  fire(1, 3 * us);
  fire(1, 4 * us);
  ASSERT_EQ(sink.out.size(), 3u);
  EXPECT_EQ(sink.out[2].count, 3u);
}

TEST_F(Modulator, LowerPriorityWithoutFlushing) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 2, .time = 1'000'000, .lower_vector = 0x31}), commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kAlways, 1, 0, rule_action::Lower::mask), commit::kOk);
  enable();
  fire(1, 0, 0x61);
  fire(1, 1, 0x61);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].message.vector, 0x31);
  EXPECT_EQ(sink.out[0].flags, ctx_flag::kCoalesced | ctx_flag::kLowered);
  EXPECT_EQ(unit->telemetry(1).lowered, 1u);
}

TEST_F(Modulator, CoalesceActionWithoutATimeThresholdHoldsNothing) {
  ASSERT_EQ(source(1, {.frames = 3}), commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kAlways, 1, 0, rule_action::Coalesce::mask), commit::kOk);
  enable();
  fire(1, 0);
  fire(1, 1);
  EXPECT_EQ(sink.out.size(), 2u) << "a held event must have a deadline";
  EXPECT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 3}), commit::kBadCoalescing);
}

TEST_F(Modulator, RaiseWithoutAProgrammedVectorOnlyFlushes) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 8, .time = 1'000'000}), commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kAlways, 1, 0, rule_action::Raise::mask), commit::kOk);
  enable();
  fire(1, 0, 0x61);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].message.vector, 0x61);
  EXPECT_EQ(unit->telemetry(1).raised, 0u);
}

// A RAISE with no raise vector programmed does not hide the batch's LOWER (spec 5.6: the
// raise vector "and one is programmed", else the lower vector).
TEST_F(Modulator, RaiseWithoutAVectorStillAppliesTheBatchsLower) {
  ASSERT_EQ(source(5, {.ctrl = src_ctrl::Coalesce::mask, .time = 100 * us, .lower_vector = 0x30}), commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kRateBelow, 5, 2, rule_action::Lower::mask), commit::kOk);
  ASSERT_EQ(rule(1, rule_cond::kRateAbove, 5, 1, rule_action::Raise::mask), commit::kOk);
  enable();
  fire(5, 1000, 0x61);  // rate 1: LOWER, held
  fire(5, 2000, 0x61);  // rate 2: RAISE, which flushes; no raise vector, so LOWER decides
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].count, 2u);
  EXPECT_EQ(sink.out[0].message.vector, 0x30);
  EXPECT_EQ(sink.out[0].flags, ctx_flag::kCoalesced | ctx_flag::kLowered);
  EXPECT_EQ(unit->telemetry(5).lowered, 1u);
  EXPECT_EQ(unit->telemetry(5).raised, 0u);
}

// The context record names the rule of the batch's latest event that any rule applied to
// (spec 5.4): not the first event's, and not "none" because the last event matched nothing.
TEST_F(Modulator, ContextRuleIdIsTheLatestMatchedEventsRule) {
  ASSERT_EQ(source(5, {.ctrl = src_ctrl::Coalesce::mask, .frames = 3, .time = 100 * us}), commit::kOk);
  ASSERT_EQ(pattern(0, {{1}, {5, 0, 10 * us}}), commit::kOk);
  ASSERT_EQ(rule(3, rule_cond::kRateBelow, 5, 2, rule_action::Augment::mask), commit::kOk);
  ASSERT_EQ(rule(6, rule_cond::kPattern, kAnySource, 0, 0), commit::kOk);
  enable();
  fire(5, 1000);  // rate 1: rule 3
  fire(1, 1500);  // starts pattern 0 (source 1 does not coalesce: delivered at once)
  fire(5, 2000);  // completes it: rule 6
  fire(5, 2500);  // rate 3, no pattern: no rule; the batch is full
  ASSERT_EQ(sink.out.size(), 2u);
  const VirtualInterrupt& vi = sink.out[1];
  EXPECT_EQ(vi.count, 3u);
  ASSERT_NE(vi.context_slot, kNoContext);
  EXPECT_EQ(unit->context(0, vi.context_slot).rule, 6u);
  EXPECT_EQ(unit->rule_matches(3), 1u);
  EXPECT_EQ(unit->rule_matches(6), 1u);
}

TEST_F(Modulator, FirstRuleWithAPriorityActionDecides) {
  ASSERT_EQ(source(1, {.raise_vector = 0xE0, .lower_vector = 0x30}), commit::kOk);
  ASSERT_EQ(rule(3, rule_cond::kAlways, kAnySource, 0, rule_action::Lower::mask), commit::kOk);
  ASSERT_EQ(rule(7, rule_cond::kAlways, 1, 0, rule_action::Raise::mask | rule_action::Augment::mask), commit::kOk);
  enable();
  fire(1, 0, 0x61, 0);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].message.vector, 0x30) << "rule 3 comes first";
  ASSERT_NE(sink.out[0].context_slot, kNoContext) << "rule 7 still contributes AUGMENT";
  EXPECT_EQ(unit->context(0, sink.out[0].context_slot).rule, 3u);
  EXPECT_EQ(unit->rule_matches(3), 1u);
  EXPECT_EQ(unit->rule_matches(7), 1u);
}

TEST_F(Modulator, AdaptiveModeDoesNotDelaySparseArrivals) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask | src_ctrl::Adaptive::mask, .frames = 32, .time = 100 * us}),
            commit::kOk);
  enable();
  for (int i = 0; i < 5; ++i) fire(1, static_cast<std::uint64_t>(i) * 1000 * us);  // 1 ms apart
  EXPECT_EQ(sink.out.size(), 5u) << "sparse: each delivered at once";
  for (const auto& vi : sink.out) EXPECT_EQ(vi.time, vi.first_time);
  sink.out.clear();
  // dense: 10 us apart; about 100 us / 10 us = 10 per interrupt once the mean adapts
  std::uint64_t t = 10'000 * us;
  for (int i = 0; i < 400; ++i) fire(1, t += 10 * us);
  unit->advance(t + 1000 * us);
  const auto& last = sink.out.back();
  EXPECT_LT(sink.out.size(), 80u);
  EXPECT_GE(sink.out[sink.out.size() - 2].count, 8u);
  EXPECT_LE(last.time - last.first_time, 100 * us);
  expect_conservation(2);
}

TEST_F(Modulator, RetargetedLineFlushesTheOldBatchToTheOldDestination) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 10, .time = 1'000'000}), commit::kOk);
  enable();
  fire(1, 0, 0x41, 0);
  fire(1, 1, 0x41, 0);
  fire(1, 2, 0x41, 3);  // affinity moved the line to CPU 3
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].message.destination, 0u);
  EXPECT_EQ(sink.out[0].count, 2u);
  fire(1, 3, 0x52, 3);  // and a new vector
  ASSERT_EQ(sink.out.size(), 2u);
  EXPECT_EQ(sink.out[1].message.destination, 3u);
  EXPECT_EQ(sink.out[1].message.vector, 0x41);
  EXPECT_EQ(unit->pending(1), 1u);
}

TEST_F(Modulator, LevelTriggeredLinesAreNeverHeld) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask | src_ctrl::StormGuard::mask | src_ctrl::StormDrop::mask,
                       .frames = 8, .time = 1'000'000, .storm_limit = 1, .lower_vector = 0x30}),
            commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kAlways, 1, 0, rule_action::Lower::mask), commit::kOk);
  enable();
  for (int i = 0; i < 5; ++i) unit->receive(msg(1, 0x61, 0, hw::TriggerMode::Level), static_cast<std::uint64_t>(i));
  ASSERT_EQ(sink.out.size(), 5u);
  for (const auto& vi : sink.out) {
    EXPECT_EQ(vi.count, 1u);
    EXPECT_EQ(vi.message.vector, 0x30) << "priority still applies";
    EXPECT_EQ(vi.message.trigger_mode, hw::TriggerMode::Level);
  }
  EXPECT_EQ(unit->telemetry(1).dropped, 0u);
}

// A batch goes out with its first event's message: a level-triggered event must not ride
// on a held edge batch (the guest would see edge and never EOI the line), nor a
// lowest-priority event on a fixed one. The held batch is delivered first (spec 5.5, 3).
TEST_F(Modulator, ALevelEventNeverRidesOnAHeldEdgeBatch) {
  ASSERT_EQ(source(7, {.ctrl = src_ctrl::Coalesce::mask, .time = 100 * us}), commit::kOk);
  enable();
  fire(7, 1000);
  unit->receive(msg(7, 0x40, 0, hw::TriggerMode::Level), 2000);
  ASSERT_EQ(sink.out.size(), 2u);
  EXPECT_EQ(sink.out[0].count, 1u);
  EXPECT_EQ(sink.out[0].message.trigger_mode, hw::TriggerMode::Edge);
  EXPECT_EQ(sink.out[1].count, 1u);
  EXPECT_EQ(sink.out[1].message.trigger_mode, hw::TriggerMode::Level);
  EXPECT_EQ(sink.out[1].time, 2000u);

  fire(7, 3000);
  hw::InterruptMessage lowest = msg(7);
  lowest.delivery_mode = hw::DeliveryMode::LowestPriority;
  unit->receive(lowest, 4000);
  ASSERT_EQ(sink.out.size(), 3u);
  EXPECT_EQ(sink.out[2].message.delivery_mode, hw::DeliveryMode::Fixed);
  EXPECT_EQ(sink.out[2].count, 1u);
  unit->advance(kNever);
  ASSERT_EQ(sink.out.size(), 4u);
  EXPECT_EQ(sink.out[3].message.delivery_mode, hw::DeliveryMode::LowestPriority);
  expect_conservation(8);
}

TEST_F(Modulator, NonVectoredAndUnmappedInputsPassThrough) {
  enable();
  hw::InterruptMessage nmi = msg(1, 0);
  nmi.delivery_mode = hw::DeliveryMode::Nmi;
  unit->receive(nmi, 10);
  unit->receive(msg(300), 20);
  ASSERT_EQ(sink.out.size(), 2u);
  EXPECT_FALSE(sink.out[0].shaped);
  EXPECT_FALSE(sink.out[1].shaped);
  EXPECT_EQ(rd(UNSHAPED_IN), 2u);
  EXPECT_EQ(rd(ERR_STATUS), err::InputSource::mask);
}

TEST_F(Modulator, TimeRegressionIsClampedAndReported) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .time = 100}), commit::kOk);
  enable();
  fire(1, 1000);
  fire(1, 500);
  EXPECT_EQ(rd(ERR_STATUS), err::InputTime::mask);
  unit->advance(1100);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].count, 2u);
  EXPECT_EQ(sink.out[0].last_time, 1000u);
}

// The host's clock may reach the end of its range (a corrupt timestamp, a callback "at
// infinity"). With nothing held the unit returns at once - it used to flush an empty batch
// forever, because kNever, the "no deadline" value, is <= kNever.
TEST_F(Modulator, TheLastInstantOfTheClockWithNothingHeldReturns) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .time = 50 * us}), commit::kOk);
  enable();
  unit->advance(kNever);  // nothing held: nothing happens
  EXPECT_TRUE(sink.out.empty());
}

// With batches held, each is delivered once, at its own deadline.
TEST_F(Modulator, TheLastInstantOfTheClockDeliversHeldBatchesOnce) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .time = 50 * us}), commit::kOk);
  fire(3, 10);  // before ENABLE: passed through, not counted as shaped
  enable();
  fire(1, 1000);
  fire(1, 2000);
  unit->advance(kNever);
  unit->advance(kNever);
  fire(2, kNever);  // a source that does not coalesce: delivered at once
  fire(1, kNever);  // its deadline would be past the end of the clock: delivered at once
  ASSERT_EQ(sink.out.size(), 4u);
  EXPECT_EQ(sink.out[1].count, 2u) << "the held batch is delivered once, at its deadline";
  EXPECT_EQ(sink.out[1].time, 1000 + 50 * us);
  EXPECT_EQ(sink.out[2].message.source, 2u);
  EXPECT_EQ(sink.out[3].message.source, 1u);
  EXPECT_EQ(sink.out[3].time, kNever);
  EXPECT_EQ(unit->next_deadline(), kNever);
  expect_conservation(3);
}

// 2^64 - 1 is a deadline like any other: a batch whose deadline falls exactly there is
// pending (STATUS says so) and the callback at the end of the clock delivers it.
TEST_F(Modulator, ADeadlineAtTheLastInstantOfTheClockIsArmed) {
  ASSERT_EQ(source(5, {.ctrl = src_ctrl::Coalesce::mask, .time = 1000}), commit::kOk);
  enable();
  fire(5, kNever - 1000);
  EXPECT_TRUE(sink.out.empty());
  EXPECT_TRUE(status::BatchesPending::test(rd(STATUS)));
  EXPECT_EQ(unit->next_deadline(), kNever);
  unit->advance(kNever);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].time, kNever);
  EXPECT_EQ(sink.out[0].flags, ctx_flag::kTimer);
  EXPECT_EQ(unit->pending(5), 0u);
  EXPECT_FALSE(status::BatchesPending::test(rd(STATUS)));
}

TEST_F(Modulator, AugmentedRecordsFillTheDestinationRing) {
  ASSERT_EQ(rule(0, rule_cond::kAlways, kAnySource, 0, rule_action::Augment::mask), commit::kOk);
  wr(CTX_CFG, 4);  // 16 slots
  enable();
  for (int i = 0; i < 20; ++i) fire(2, static_cast<std::uint64_t>(i) * us, 0x44, 5);
  ASSERT_EQ(sink.out.size(), 20u);
  EXPECT_EQ(sink.out[15].context_slot, 15u);
  EXPECT_EQ(sink.out[16].context_slot, 0u) << "the ring wraps";
  const ContextRecord& r = unit->context(5, 0);
  EXPECT_EQ(r.sequence, 17u);
  EXPECT_EQ(r.first_time, 16 * us);
  EXPECT_EQ(r.predicted_next, 17 * us) << "periodic source: last + mean gap";
  hw::InterruptMessage logical = msg(2, 0x44, 5);
  logical.destination_mode = hw::DestinationMode::Logical;
  unit->receive(logical, 100 * us);
  EXPECT_EQ(sink.out.back().context_slot, kNoContext);
  EXPECT_TRUE(err::InputDestination::test(rd(ERR_STATUS)));
}

}  // namespace
}  // namespace irqshape::isu::testing
