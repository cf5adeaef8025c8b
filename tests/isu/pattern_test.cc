// Sequence patterns: timing windows, overlapping partial matches, expiry, capacity, and
// what a completed pattern does through the rules.
#include <vector>

#include "isu/pattern_engine.h"
#include "isu_test_support.h"

namespace irqshape::isu::testing {
namespace {

constexpr std::uint64_t ms = 1'000'000;

PatternDef def(std::initializer_list<Step> steps) {
  PatternDef d;
  d.enabled = true;
  d.steps = static_cast<std::uint8_t>(steps.size());
  unsigned k = 0;
  for (const Step& s : steps) d.step[k++] = PatternStep{static_cast<std::uint16_t>(s.source), s.min, s.max};
  return d;
}

TEST(PatternEngine, TwoStepsWithinTheWindow) {
  PatternEngine e;
  e.set(0, def({{1}, {2, 4 * ms, 6 * ms}}));
  EXPECT_EQ(e.on_arrival(1, 0), 0u);
  EXPECT_EQ(e.on_arrival(2, 3 * ms), 0u) << "too early";
  EXPECT_EQ(e.on_arrival(2, 5 * ms), 1u);
  EXPECT_EQ(e.prev_step_time(0), 0u);
  EXPECT_EQ(e.on_arrival(2, 5 * ms + 1), 0u) << "the partial was consumed";
  EXPECT_EQ(e.on_arrival(1, 10 * ms), 0u);
  EXPECT_EQ(e.on_arrival(2, 16 * ms + 1), 0u) << "too late";
  EXPECT_EQ(e.live(), 0u) << "the late arrival expired the partial";
  EXPECT_EQ(e.matches(0), 1u);
}

TEST(PatternEngine, WindowEdgesAreInclusive) {
  PatternEngine e;
  e.set(0, def({{1}, {2, 4 * ms, 6 * ms}}));
  e.on_arrival(1, 0);
  EXPECT_EQ(e.on_arrival(2, 4 * ms), 1u);
  e.on_arrival(1, 100 * ms);
  EXPECT_EQ(e.on_arrival(2, 106 * ms), 1u);
}

TEST(PatternEngine, ThreeStepsAndTheExampleFromTheBrief) {
  PatternEngine e;  // A, then B within 4-6 ms, then C within 1 ms
  e.set(3, def({{10}, {11, 4 * ms, 6 * ms}, {12, 0, 1 * ms}}));
  e.on_arrival(10, 0);
  e.on_arrival(12, 1 * ms);  // C before B: ignored
  e.on_arrival(11, 5 * ms);
  EXPECT_EQ(e.on_arrival(12, 5 * ms + 500'000), std::uint64_t{1} << 3);
  EXPECT_EQ(e.prev_step_time(3), 5 * ms);
}

TEST(PatternEngine, OverlappingPartialsEachGetTheirChance) {
  PatternEngine e;
  e.set(0, def({{1}, {2, 4 * ms, 6 * ms}}));
  e.on_arrival(1, 0);
  e.on_arrival(1, 3 * ms);
  // B at 5 ms: 5 ms after the first A (in window), 2 ms after the second (too early)
  EXPECT_EQ(e.on_arrival(2, 5 * ms), 1u);
  EXPECT_EQ(e.live(), 1u);
  // B at 8 ms: 5 ms after the second A
  EXPECT_EQ(e.on_arrival(2, 8 * ms), 1u);
  EXPECT_EQ(e.prev_step_time(0), 3 * ms);
  EXPECT_EQ(e.matches(0), 2u);
}

// A step whose window starts at 0 keeps one partial: a new start takes its place, even
// when the old one's window has passed unseen (the unit skips expiring it first).
TEST(PatternEngine, ANewStartTakesTheMinZeroSlotOfAnExpiredOne) {
  PatternEngine e;
  e.set(0, def({{1}, {2, 0, 2 * ms}}));
  e.on_arrival(1, 0);
  e.on_arrival(1, 10 * ms);  // the first start's window ended at 2 ms
  EXPECT_EQ(e.live(), 1u);
  EXPECT_EQ(e.on_arrival(2, 12 * ms), 1u) << "2 ms after the new start";
  EXPECT_EQ(e.prev_step_time(0), 10 * ms);
  EXPECT_EQ(e.live(), 0u);
  e.on_arrival(1, 20 * ms);
  EXPECT_EQ(e.on_arrival(2, 22 * ms + 1), 0u) << "too late for the only start";
  EXPECT_EQ(e.live(), 0u) << "the late arrival expired it";
  EXPECT_EQ(e.matches(0), 1u);
}

TEST(PatternEngine, PartialsAdvancedTogetherMergeAndCompleteOnce) {
  PatternEngine e;
  e.set(0, def({{1}, {2, 0, 10 * ms}, {3, 0, 10 * ms}}));
  e.on_arrival(1, 0);
  e.on_arrival(1, 1 * ms);
  e.on_arrival(2, 2 * ms);  // advances both starts: one partial remains
  EXPECT_EQ(e.live(), 1u);
  EXPECT_EQ(e.on_arrival(3, 3 * ms), 1u);
  EXPECT_EQ(e.matches(0), 1u);
  EXPECT_EQ(e.prev_step_time(0), 2 * ms);
}

TEST(PatternEngine, RepeatedSourceNeverAdvancesTwiceOnOneArrival) {
  PatternEngine e;
  e.set(0, def({{5}, {5, 0, ms}, {5, 0, ms}}));
  EXPECT_EQ(e.on_arrival(5, 0), 0u);
  EXPECT_EQ(e.on_arrival(5, 10), 0u);
  EXPECT_EQ(e.on_arrival(5, 20), 1u);
  EXPECT_EQ(e.on_arrival(5, 30), 1u) << "arrivals 10, 20, 30 form the next triple";
}

TEST(PatternEngine, ManyPatternsOnTheSameSources) {
  PatternEngine e;
  for (unsigned p = 0; p < 64; ++p) e.set(p, def({{p % 4}, {(p + 1) % 4, 0, 2 * ms}}));
  std::uint64_t seen = 0;
  for (unsigned i = 0; i < 8; ++i) seen |= e.on_arrival(i % 4, i * ms);
  EXPECT_EQ(seen, ~std::uint64_t{0}) << "every pattern completed at least once";
}

TEST(PatternEngine, StalePartialsAreReclaimedWhenTheTableFills) {
  PatternEngine e;
  e.set(0, def({{1}, {2, 1, 1000}}));  // MIN > 0: every start is kept (see below)
  for (unsigned i = 0; i < kPartials; ++i) e.on_arrival(1, i * 2000);  // each expires before the next
  EXPECT_LE(e.live(), 1u) << "appending to a queue expires its stale head";
  e.set(1, def({{3}, {4, 1, 2000}}));
  e.set(2, def({{5}, {6, 1, 10 * ms}}));
  for (unsigned i = 0; i < kPartials; ++i) e.on_arrival(3, 10 * ms + i);  // all within pattern 1's window
  EXPECT_EQ(e.live(1), kPartials - e.live(0));
  EXPECT_EQ(e.dropped(), 0u);
  e.on_arrival(5, 10 * ms + 5000);  // pattern 1's partials are all stale now: reclaimed
  EXPECT_EQ(e.dropped(), 0u);
  EXPECT_EQ(e.live(2), 1u);
}

TEST(PatternEngine, OverflowIsCountedNeverSilent) {
  PatternEngine e;
  e.set(0, def({{1}, {2, 1, 100 * ms}}));
  for (unsigned i = 0; i < kPartials + 10; ++i) e.on_arrival(1, i);
  EXPECT_EQ(e.live(), kPartials);
  EXPECT_EQ(e.dropped(), 10u);
  EXPECT_TRUE(e.take_overflow());
  EXPECT_FALSE(e.take_overflow());
}

// A step whose window starts at 0: the newest partial waiting for it supersedes the
// older ones, so a busy first source costs one table entry, and matching is unchanged.
TEST(PatternEngine, MinZeroStepKeepsOnlyTheNewestPartial) {
  PatternEngine e;
  e.set(0, def({{1}, {2, 0, 5 * ms}, {3, 0, 1 * ms}}));
  for (unsigned i = 0; i < 3 * kPartials; ++i) e.on_arrival(1, i * 1000);
  EXPECT_EQ(e.live(), 1u);
  EXPECT_EQ(e.dropped(), 0u);
  const std::uint64_t last_a = (3 * kPartials - 1) * 1000ull;
  EXPECT_EQ(e.on_arrival(2, last_a + 4 * ms), 0u);  // in the window of the newest start only
  EXPECT_EQ(e.on_arrival(3, last_a + 4 * ms + 10), 1u);
  EXPECT_EQ(e.prev_step_time(0), last_a + 4 * ms);
  EXPECT_EQ(e.live(), 0u);
}

TEST(PatternEngine, ReprogrammingDropsThePatternsPartials) {
  PatternEngine e;
  e.set(0, def({{1}, {2, 0, 100 * ms}}));
  e.on_arrival(1, 0);
  e.set(0, def({{1}, {2, 0, 100 * ms}}));
  EXPECT_EQ(e.live(), 0u);
  EXPECT_EQ(e.on_arrival(2, 10), 0u);
  e.clear(0);
  e.on_arrival(1, 20);
  EXPECT_EQ(e.live(), 0u);
}

class PatternRules : public IsuFixture {};

TEST_F(PatternRules, CompletedSequenceRaisesPriorityAndAugments) {
  ASSERT_EQ(pattern(2, {{0}, {1, 4 * ms, 6 * ms}, {2, 0, 1 * ms}}), commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kPattern, kAnySource, 2, rule_action::Raise::mask | rule_action::Augment::mask),
            commit::kOk);
  ASSERT_EQ(source(2, {.raise_vector = 0xE1}), commit::kOk);
  enable();
  fire(0, 10 * ms, 0x41, 1);
  fire(1, 15 * ms, 0x42, 1);
  fire(2, 15 * ms + 200'000, 0x43, 1);
  fire(2, 20 * ms, 0x43, 1);  // not part of a sequence
  ASSERT_EQ(sink.out.size(), 4u);
  const VirtualInterrupt& raised = sink.out[2];
  EXPECT_EQ(raised.message.vector, 0xE1);
  EXPECT_EQ(raised.priority_class(), 0xEu);
  EXPECT_EQ(raised.flags & (ctx_flag::kRaised | ctx_flag::kPattern), ctx_flag::kRaised | ctx_flag::kPattern);
  ASSERT_NE(raised.context_slot, kNoContext);
  const ContextRecord& rec = unit->context(1, raised.context_slot);
  EXPECT_EQ(rec.sequence, 1u);
  EXPECT_EQ(rec.source, 2u);
  EXPECT_EQ(rec.prev_step_time, 15 * ms) << "the previous step of the sequence: source 1's interrupt";
  EXPECT_EQ(rec.pattern_mask, 1u << 2);
  EXPECT_EQ(rec.rule, 0u);
  EXPECT_EQ(sink.out[3].message.vector, 0x43);
  EXPECT_EQ(sink.out[3].context_slot, kNoContext);
  EXPECT_EQ(unit->pattern_matches(2), 1u);
  EXPECT_EQ(unit->rule_matches(0), 1u);

  // the same record through the register window
  wr(CTX_SEL, ctx_sel::Destination::make(1) | ctx_sel::Slot::make(raised.context_slot));
  EXPECT_EQ(rd(ctx_data(0)), 1u);
  EXPECT_EQ(rd(ctx_data(1)), 2u | (0xE1u << 16) | (0u << 24));
  EXPECT_EQ(rd(ctx_data(8)), static_cast<std::uint32_t>(15 * ms));
}

TEST_F(PatternRules, PatternRuleWithASourceFilter) {
  ASSERT_EQ(pattern(0, {{0}, {1, 0, ms}}), commit::kOk);
  ASSERT_EQ(pattern(1, {{0}, {2, 0, ms}}), commit::kOk);
  ASSERT_EQ(rule(0, rule_cond::kPattern, 2, 0, rule_action::Augment::mask), commit::kOk);  // pattern 0 ends at 1
  ASSERT_EQ(rule(1, rule_cond::kPattern, 2, 1, rule_action::Augment::mask), commit::kOk);
  enable();
  fire(0, 0);
  fire(1, 100);
  fire(2, 200);
  EXPECT_EQ(unit->rule_matches(0), 0u);
  EXPECT_EQ(unit->rule_matches(1), 1u);
}

TEST_F(PatternRules, OverflowIsReportedThroughRegisters) {
  ASSERT_EQ(pattern(0, {{1}, {2, 1, 0xFFFF'FFFF}}), commit::kOk);
  enable();
  for (unsigned i = 0; i < kPartials + 1; ++i) fire(1, i);
  EXPECT_EQ(rd(PM_LIVE), kPartials);
  EXPECT_EQ(rd(PM_DROPPED), 1u);
  EXPECT_TRUE(err::PartialOverflow::test(rd(ERR_STATUS)));
  wr(TEL_PAT_SEL, 0);
  EXPECT_EQ(rd(TEL_PAT_LIVE), kPartials);
  EXPECT_EQ(sink.out.size(), kPartials + 1) << "pattern overflow never costs an interrupt";
}

}  // namespace
}  // namespace irqshape::isu::testing
