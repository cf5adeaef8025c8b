// Rate and arrival-prediction estimators, and the rule conditions built on them.
#include <random>
#include <vector>

#include "isu/predictor.h"
#include "isu/rate_meter.h"
#include "isu_test_support.h"

namespace irqshape::isu::testing {
namespace {

constexpr std::uint64_t us = 1000, ms = 1000 * us;

// The definition: arrivals in the current aligned window, plus those of the previous
// window weighted by the fraction of it still inside the sliding window.
std::uint64_t scaled_by_definition(const std::vector<std::uint64_t>& arrivals, std::uint64_t t, std::uint32_t w) {
  const std::uint64_t start = t - t % w;
  std::uint64_t cur = 0, prev = 0;
  for (std::uint64_t a : arrivals) {
    if (a >= start && a <= t) {
      ++cur;
    } else if (a + w >= start && a < start) {
      ++prev;
    }
  }
  return cur * w + prev * (w - (t - start));
}

TEST(RateMeter, MatchesItsDefinitionOnRandomArrivals) {
  std::mt19937_64 rng(7);
  for (std::uint32_t w : {1000u, 7777u, 1'000'000u}) {
    RateMeter meter;
    std::vector<std::uint64_t> arrivals;
    std::uint64_t t = 5;
    for (int i = 0; i < 3000; ++i) {
      t += rng() % (w / 2 + 1) + (rng() % 10 == 0 ? 3 * w : 0);
      meter.record(t, w);
      arrivals.push_back(t);
      ASSERT_EQ(meter.scaled(t, w), scaled_by_definition(arrivals, t, w)) << "w=" << w << " i=" << i;
      const std::uint64_t later = t + rng() % (3 * w);
      ASSERT_EQ(meter.scaled(later, w), scaled_by_definition(arrivals, later, w)) << "aged, w=" << w;
    }
  }
}

TEST(RateMeter, SteadyRateReadsAsThatRate) {
  RateMeter meter;
  for (std::uint64_t t = 0; t < 10 * ms; t += 10 * us) meter.record(t, static_cast<std::uint32_t>(ms));
  EXPECT_NEAR(meter.estimate(10 * ms - 10 * us, ms), 100, 1) << "100 per ms";
  EXPECT_NEAR(meter.estimate(10 * ms + 490 * us, ms), 51, 1) << "half a window of silence";
  EXPECT_EQ(meter.estimate(20 * ms, ms), 0u) << "two windows of silence";
}

TEST(ArrivalPredictor, ConvergesOnAPeriodicSource) {
  ArrivalPredictor p;
  EXPECT_EQ(p.predicted_next(), 0u);
  std::mt19937_64 rng(3);
  std::uint64_t t = 0;
  for (int i = 0; i < 200; ++i) {
    t += 4 * ms + rng() % (20 * us) - 10 * us;  // 4 ms +- 10 us
    p.record(t, 3);
  }
  EXPECT_TRUE(p.confident());
  EXPECT_NEAR(static_cast<double>(p.mean()), 4e6, 20e3);
  EXPECT_LT(p.deviation(), 20 * us);
  EXPECT_EQ(p.predicted_next(), t + p.mean());
}

TEST(ArrivalPredictor, ReactsToARateChange) {
  ArrivalPredictor p;
  std::uint64_t t = 0;
  for (int i = 0; i < 50; ++i) p.record(t += ms, 3);
  for (int i = 0; i < 50; ++i) p.record(t += 100 * us, 3);
  EXPECT_NEAR(static_cast<double>(p.mean()), 100e3, 5e3);
}

class Conditions : public IsuFixture {};

TEST_F(Conditions, PeriodicAndOffPredictionRules) {
  ASSERT_EQ(rule(0, rule_cond::kPeriodic, 1, static_cast<std::uint32_t>(50 * us), 0), commit::kOk);
  ASSERT_EQ(rule(1, rule_cond::kOffPrediction, 1, static_cast<std::uint32_t>(500 * us), rule_action::Augment::mask),
            commit::kOk);
  enable();
  // The deviation starts at half the first gap (RFC 6298) and decays: the rule starts to
  // hold after at least 8 gaps and, the source staying periodic, keeps holding.
  std::uint64_t t = 0;
  int first_match = -1;
  for (int i = 0; i < 60; ++i) {
    const std::uint64_t before = unit->rule_matches(0);
    fire(1, t += 2 * ms);
    const bool matched = unit->rule_matches(0) == before + 1;
    if (matched && first_match < 0) first_match = i;
    if (first_match >= 0) {
      EXPECT_TRUE(matched) << "arrival " << i;
    }
  }
  EXPECT_GE(first_match, 9);
  EXPECT_LT(first_match, 40);
  EXPECT_EQ(unit->rule_matches(1), 0u);
  fire(1, t += 500 * us);  // 1.5 ms early
  EXPECT_EQ(unit->rule_matches(1), 1u);
  const ContextRecord& rec = unit->context(0, sink.out.back().context_slot);
  EXPECT_EQ(rec.rule, 0u) << "still periodic before this arrival; rule 0 is first";
  wr(TEL_SRC_SEL, 1);
  EXPECT_NEAR(rd(TEL_PRED_MEAN), 2e6, 200e3);
  const std::uint64_t next = rd(TEL_PRED_NEXT_LO) | (std::uint64_t{rd(TEL_PRED_NEXT_HI)} << 32);
  EXPECT_EQ(next, t + rd(TEL_PRED_MEAN));
}

TEST_F(Conditions, RateBelowAndRateWindowRegister) {
  wr(RATE_WINDOW, 100 * us);
  ASSERT_EQ(rule(0, rule_cond::kRateBelow, 1, 3, 0), commit::kOk);
  enable();
  fire(1, 0);
  fire(1, 10 * us);
  fire(1, 20 * us);  // 3 in the window: not below 3
  EXPECT_EQ(unit->rule_matches(0), 2u);
  wr(TEL_SRC_SEL, 1);
  EXPECT_EQ(rd(TEL_RATE), 3u);
}

}  // namespace
}  // namespace irqshape::isu::testing
