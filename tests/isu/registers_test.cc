// The register interface: reset values, access types, reserved bits, ranges, error
// latching, shadows and COMMIT, LOAD read-back, soft reset.
#include "isu_test_support.h"

namespace irqshape::isu::testing {
namespace {

class Registers : public IsuFixture {};

TEST_F(Registers, EveryRegisterReadsItsResetValue) {
  for (const RegisterInfo& r : kRegisters) {
    if (r.access == Access::WO) continue;
    EXPECT_EQ(rd(r.offset), r.reset) << r.name;
  }
  EXPECT_EQ(rd(ERR_STATUS), 0u) << "reading every register is not an error";
}

TEST_F(Registers, IdentificationAndCapabilities) {
  EXPECT_EQ(rd(ID), 0x4953'5500u);
  EXPECT_EQ(version::Major::get(rd(VERSION)), 1u);
  EXPECT_EQ(rd(CAP_SOURCES), 256u);
  EXPECT_EQ(rd(CAP_DESTINATIONS), 64u);
  EXPECT_EQ(rd(CAP_PATTERNS), 64u);
  EXPECT_EQ(rd(CAP_STEPS), 8u);
  EXPECT_EQ(rd(CAP_RULES), 64u);
  EXPECT_EQ(rd(CAP_PARTIALS), 1024u);
  EXPECT_EQ(cap_range::MinLog2::get(rd(CAP_HISTORY)), 8u);
  EXPECT_EQ(cap_range::MaxLog2::get(rd(CAP_HISTORY)), 13u);
}

TEST_F(Registers, ReadOnlyWriteIsIgnoredAndLatched) {
  wr(CAP_SOURCES, 7);
  EXPECT_EQ(rd(CAP_SOURCES), 256u);
  EXPECT_EQ(rd(ERR_STATUS), err::ReadOnlyWrite::mask);
  EXPECT_EQ(rd(ERR_ADDR), CAP_SOURCES);
  EXPECT_EQ(rd(ERR_DATA), 7u);
  EXPECT_EQ(rd(ERR_COUNT), 1u);
  EXPECT_TRUE(status::Error::test(rd(STATUS)));
}

TEST_F(Registers, ReservedBitsRejectTheWholeWrite) {
  wr(CTRL, ctrl::Enable::mask | (1u << 5));
  EXPECT_EQ(rd(CTRL), 0u);
  EXPECT_EQ(rd(ERR_STATUS), err::ReservedBits::mask);
  wr(SRC_PRIO, 1u << 20);
  EXPECT_EQ(rd(SRC_PRIO), 0u);
}

TEST_F(Registers, UnmappedAndMisalignedAccesses) {
  wr(0x0FC, 1);
  EXPECT_EQ(rd(ERR_STATUS), err::Unmapped::mask);
  EXPECT_EQ(rd(ERR_ADDR), 0x0FCu);
  wr(ERR_STATUS, err::Unmapped::mask);  // W1C
  EXPECT_EQ(rd(ERR_STATUS), 0u);
  EXPECT_EQ(rd(CTRL + 1), 0u);
  EXPECT_EQ(rd(ERR_STATUS), err::Unmapped::mask);
  EXPECT_EQ(rd(ERR_ADDR), CTRL + 1);
  wr(0x2000'0000, 1);
  EXPECT_EQ(rd(ERR_COUNT), 3u);
}

TEST_F(Registers, FirstErrorStaysLatchedUntilCleared) {
  wr(RATE_WINDOW, 10);       // out of range
  wr(CAP_RULES, 1);          // read-only
  EXPECT_EQ(rd(ERR_STATUS), err::OutOfRange::mask | err::ReadOnlyWrite::mask);
  EXPECT_EQ(rd(ERR_ADDR), RATE_WINDOW);
  EXPECT_EQ(rd(ERR_DATA), 10u);
  wr(ERR_STATUS, err::OutOfRange::mask);  // clearing one bit leaves the other
  EXPECT_EQ(rd(ERR_STATUS), err::ReadOnlyWrite::mask);
  wr(ERR_STATUS, err::ReadOnlyWrite::mask);
  wr(PRED_SHIFT, 9);
  EXPECT_EQ(rd(ERR_ADDR), PRED_SHIFT);  // a new first error after clearing
}

struct RangeCase {
  std::uint32_t offset;
  std::uint32_t bad;
  std::uint32_t good;
};

TEST_F(Registers, OutOfRangeValuesAreIgnored) {
  const RangeCase cases[] = {
      {RATE_WINDOW, 999, 1000},      {PRED_SHIFT, 0, 1},          {PRED_SHIFT, 9, 8},
      {HIST_CFG, 7, 13},             {HIST_CFG, 14, 8},           {CTX_CFG, 3, 4},
      {CTX_CFG, 9, 8},               {CTX_CFG, 0, 6},             {PAT_CTRL, 9, 8},            {PAT_CTRL, 15, 0},
      {RULE_COND, 7, 6},             {RULE_SOURCE, 256, 255},     {SRC_STORM_LIMIT, 0x8000'0000, 0x7FFF'FFFF},
      {SRC_PRIO, 0x1F, 0x20},        {SRC_PRIO, 0x1F00, 0x2000},  {CTX_SEL, 64u << 8, 63u << 8},
      {CTX_SEL, 64, 63},
  };
  for (const RangeCase& c : cases) {
    const std::uint32_t before = rd(c.offset);
    wr(c.offset, c.bad);
    EXPECT_EQ(rd(c.offset), before) << find_register(c.offset)->name << " accepted " << c.bad;
    EXPECT_EQ(rd(ERR_STATUS), err::OutOfRange::mask) << find_register(c.offset)->name;
    wr(ERR_STATUS, ~0u & err::kDefined);
    wr(c.offset, c.good);
    EXPECT_EQ(rd(c.offset), c.good) << find_register(c.offset)->name;
    EXPECT_EQ(rd(ERR_STATUS), 0u) << find_register(c.offset)->name << " rejected " << c.good;
  }
}

TEST_F(Registers, GeometryIsLockedWhileEnabled) {
  enable();
  wr(HIST_CFG, 12);
  EXPECT_EQ(rd(HIST_CFG), 8u);
  EXPECT_EQ(rd(ERR_STATUS), err::ConfigLocked::mask);
  wr(CTRL, 0);
  wr(HIST_CFG, 12);
  EXPECT_EQ(rd(HIST_CFG), 12u);
}

TEST_F(Registers, ShadowChangesNothingUntilCommit) {
  enable();
  wr(SRC_SEL, 3);
  wr(SRC_CTRL, src_ctrl::Coalesce::mask);
  wr(SRC_COAL_COUNT, 4);
  wr(SRC_COAL_TIME, 1'000'000);
  fire(3, 100);
  fire(3, 200);
  EXPECT_EQ(sink.out.size(), 2u) << "uncommitted shadow must not shape";
  EXPECT_EQ(commit(commit::kCommitSource), commit::kOk);
  for (int i = 0; i < 4; ++i) fire(3, 300 + i);
  ASSERT_EQ(sink.out.size(), 3u);
  EXPECT_EQ(sink.out.back().count, 4u);
}

TEST_F(Registers, LoadReadsBackWhatIsLive) {
  ASSERT_EQ(pattern(5, {{1}, {2, 4'000'000, 6'000'000}, {3, 0, 1'000'000}}), commit::kOk);
  ASSERT_EQ(rule(9, rule_cond::kPattern, kAnySource, 5, rule_action::Raise::mask), commit::kOk);
  ASSERT_EQ(source(7, {.ctrl = src_ctrl::Coalesce::mask, .frames = 8, .time = 50'000, .raise_vector = 0xE0}),
            commit::kOk);
  // scribble over the shadows, then load the live entries back
  for (std::uint32_t off : {PAT_CTRL, RULE_COND, SRC_CTRL}) wr(off, off == PAT_CTRL ? 2 : 0);
  wr(PAT_SEL, 5);
  commit(commit::kLoadPattern);
  EXPECT_EQ(rd(PAT_CTRL), pat_ctrl::Enable::mask | 3u);
  EXPECT_EQ(rd(pat_src(1)), 2u);
  EXPECT_EQ(rd(pat_min(1)), 4'000'000u);
  EXPECT_EQ(rd(pat_max(2)), 1'000'000u);
  wr(RULE_SEL, 9);
  commit(commit::kLoadRule);
  EXPECT_EQ(rd(RULE_COND), rule_cond::Enable::mask | rule_cond::kPattern);
  EXPECT_EQ(rd(RULE_PARAM), 5u);
  EXPECT_EQ(rd(RULE_ACTION), rule_action::Raise::mask);
  wr(SRC_SEL, 7);
  commit(commit::kLoadSource);
  EXPECT_EQ(rd(SRC_CTRL), src_ctrl::Coalesce::mask);
  EXPECT_EQ(rd(SRC_COAL_COUNT), 8u);
  EXPECT_EQ(rd(SRC_COAL_TIME), 50'000u);
  EXPECT_EQ(src_prio::RaiseVector::get(rd(SRC_PRIO)), 0xE0u);
}

// A disabled pattern or rule is kept as committed, so a driver can stage one and read it
// back; only an enabled pattern needs 2..8 steps, and PAT_CTRL's reset value can be written.
TEST_F(Registers, DisabledEntriesReadBackAsCommitted) {
  wr(PAT_SEL, 4);
  wr(PAT_CTRL, 3);  // disabled, 3 steps
  wr(pat_src(0), 1);
  wr(pat_src(1), 2);
  wr(pat_min(1), 5);
  wr(pat_max(1), 9);
  ASSERT_EQ(commit(commit::kCommitPattern), commit::kOk);
  wr(PAT_CTRL, 0);
  wr(pat_src(1), 0);
  ASSERT_EQ(commit(commit::kLoadPattern), commit::kOk);
  EXPECT_EQ(rd(PAT_CTRL), 3u);
  EXPECT_EQ(rd(pat_src(1)), 2u);
  EXPECT_EQ(rd(pat_max(1)), 9u);
  wr(PAT_CTRL, 0);
  EXPECT_EQ(rd(PAT_CTRL), 0u);
  EXPECT_EQ(rd(ERR_STATUS), 0u) << "the reset value is a valid value";

  wr(RULE_SEL, 2);
  wr(RULE_COND, rule_cond::kRateAbove);  // disabled
  wr(RULE_SOURCE, 7);
  wr(RULE_PARAM, 100);
  wr(RULE_ACTION, rule_action::Urgent::mask);
  ASSERT_EQ(commit(commit::kCommitRule), commit::kOk);
  wr(RULE_PARAM, 0);
  ASSERT_EQ(commit(commit::kLoadRule), commit::kOk);
  EXPECT_EQ(rd(RULE_COND), rule_cond::kRateAbove);
  EXPECT_EQ(rd(RULE_SOURCE), 7u);
  EXPECT_EQ(rd(RULE_PARAM), 100u);
  EXPECT_EQ(rd(RULE_ACTION), rule_action::Urgent::mask);

  // Disabled entries do nothing; CLEAR returns an entry to its reset value.
  ASSERT_EQ(source(7, {.ctrl = src_ctrl::Coalesce::mask, .frames = 2, .time = 1'000'000}), commit::kOk);
  enable();
  fire(1, 10);
  fire(2, 11);
  for (int i = 0; i < 3; ++i) fire(7, 20 + static_cast<std::uint64_t>(i));
  EXPECT_EQ(unit->pattern_matches(4), 0u);
  EXPECT_EQ(unit->rule_matches(2), 0u);
  EXPECT_EQ(unit->pending(7), 1u) << "the disabled URGENT rule did not flush";
  ASSERT_EQ(commit(commit::kClearRule), commit::kOk);
  ASSERT_EQ(commit(commit::kLoadRule), commit::kOk);
  EXPECT_EQ(rd(RULE_COND), 0u);
  EXPECT_EQ(rd(RULE_SOURCE), kAnySource);
}

TEST_F(Registers, InconsistentCommitsAreRejectedWithAReason) {
  wr(PAT_SEL, 1);
  for (std::uint32_t steps : {0u, 1u}) {
    wr(PAT_CTRL, pat_ctrl::Enable::mask | steps);
    EXPECT_EQ(commit(commit::kCommitPattern), commit::kBadSteps) << steps << " steps";
  }
  // A refused commit is an access error: ERR_ADDR/ERR_DATA name it, ERR_COUNT counts it.
  EXPECT_EQ(rd(ERR_ADDR), COMMIT);
  EXPECT_EQ(rd(ERR_DATA), commit::kCommitPattern);
  EXPECT_EQ(rd(ERR_COUNT), 2u);
  wr(ERR_STATUS, err::kDefined);

  wr(PAT_SEL, 0);
  wr(PAT_CTRL, pat_ctrl::Enable::mask | 2);
  wr(pat_min(1), 10);
  wr(pat_max(1), 5);
  EXPECT_EQ(commit(commit::kCommitPattern), commit::kBadWindow);
  EXPECT_EQ(rd(ERR_STATUS), err::CommitRejected::mask);
  EXPECT_FALSE(unit->pattern_matches(0));

  EXPECT_EQ(rule(1, rule_cond::kPattern, kAnySource, 64, 0), commit::kBadCondition);
  EXPECT_EQ(rule(1, rule_cond::kRateAbove, 0, kThresholdMax + 1, 0), commit::kBadCondition);
  EXPECT_EQ(rule(1, rule_cond::kAlways, 0, 0, rule_action::Raise::mask | rule_action::Lower::mask),
            commit::kBadAction);
  EXPECT_EQ(rule(1, rule_cond::kAlways, 0, 0, rule_action::Coalesce::mask | rule_action::Urgent::mask),
            commit::kBadAction);
  wr(RULE_COND, rule_cond::Enable::mask);  // kind 0
  EXPECT_EQ(commit(commit::kCommitRule), commit::kBadCondition);

  EXPECT_EQ(source(2, {.ctrl = src_ctrl::Coalesce::mask}), commit::kBadCoalescing);
  EXPECT_EQ(source(2, {.ctrl = src_ctrl::Coalesce::mask, .frames = 4}), commit::kBadCoalescing);
  EXPECT_EQ(source(2, {.ctrl = src_ctrl::Adaptive::mask, .frames = 4}), commit::kBadCoalescing);
  EXPECT_EQ(source(2, {.ctrl = src_ctrl::StormGuard::mask}), commit::kBadStorm);
  EXPECT_EQ(source(2, {.ctrl = src_ctrl::StormDrop::mask, .storm_limit = 5}), commit::kBadStorm);

  wr(COMMIT, 0x77);
  EXPECT_EQ(commit::Result::get(rd(COMMIT_STATUS)), commit::kBadCommand);
  EXPECT_EQ(commit::LastCommand::get(rd(COMMIT_STATUS)), 0x77u);
}

TEST_F(Registers, RejectedCommitLeavesTheLiveEntryIntact) {
  ASSERT_EQ(source(4, {.ctrl = src_ctrl::Coalesce::mask, .frames = 2, .time = 1'000'000}), commit::kOk);
  EXPECT_EQ(source(4, {.ctrl = src_ctrl::Coalesce::mask}), commit::kBadCoalescing);
  enable();
  fire(4, 10);
  fire(4, 20);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].count, 2u);
}

TEST_F(Registers, SoftResetDeliversHeldEventsAndRestoresResetValues) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .frames = 100, .time = 1'000'000}), commit::kOk);
  enable();
  fire(1, 10);
  fire(1, 20);
  EXPECT_TRUE(sink.out.empty());
  wr(RATE_WINDOW, 5000);
  wr(CTRL, ctrl::SoftReset::mask);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].count, 2u);
  for (const RegisterInfo& r : kRegisters) {
    if (r.access == Access::WO || r.offset == NOW_LO) continue;
    EXPECT_EQ(rd(r.offset), r.reset) << r.name;
  }
  EXPECT_EQ(rd(NOW_LO), 20u) << "time belongs to the host and survives reset";
}

TEST_F(Registers, SixtyFourBitReadsLatchTheHighHalf) {
  enable();
  fire(0, 0x1'0000'0005);
  const std::uint32_t low = rd(NOW_LO);
  fire(0, 0x2'0000'0000);  // time moves on between the two reads
  EXPECT_EQ(low, 5u);
  EXPECT_EQ(rd(NOW_HI), 1u);
}

TEST_F(Registers, DisablingDeliversHeldEvents) {
  ASSERT_EQ(source(1, {.ctrl = src_ctrl::Coalesce::mask, .time = 1'000'000}), commit::kOk);
  enable();
  fire(1, 10);
  EXPECT_TRUE(status::BatchesPending::test(rd(STATUS)));
  wr(CTRL, 0);
  ASSERT_EQ(sink.out.size(), 1u);
  EXPECT_EQ(sink.out[0].time, 10u) << "stamped with NOW";
  EXPECT_EQ(sink.out[0].flags, 0u) << "not a timer's delivery: its deadline had not come";
  EXPECT_FALSE(status::BatchesPending::test(rd(STATUS)));
  fire(1, 20);  // disabled: passes through untouched
  ASSERT_EQ(sink.out.size(), 2u);
  EXPECT_FALSE(sink.out[1].shaped);
  EXPECT_EQ(rd(UNSHAPED_IN), 1u);
}

}  // namespace
}  // namespace irqshape::isu::testing
