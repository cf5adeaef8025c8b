// Randomized differential test: random configurations and bursty random inputs go to
// the unit (programmed through its registers) and to the reference model; every virtual
// interrupt and context record must agree.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>

#include "isu_test_support.h"
#include "reference_model.h"

namespace irqshape::isu::testing {
namespace {

constexpr std::uint64_t us = 1000;
constexpr unsigned kSources = 6;

class Differential : public IsuFixture {
 protected:
  std::mt19937_64 rng;
  RefConfig config;

  std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) { return lo + rng() % (hi - lo + 1); }
  bool chance(unsigned percent) { return rng() % 100 < percent; }

  void random_patterns() {
    const unsigned n = static_cast<unsigned>(pick(0, 6));
    for (unsigned i = 0; i < n; ++i) {
      const unsigned index = static_cast<unsigned>(pick(0, kPatterns - 1));
      PatternDef d;
      d.enabled = true;
      d.steps = static_cast<std::uint8_t>(pick(2, 4));
      for (unsigned k = 0; k < d.steps; ++k) {
        const auto min = static_cast<std::uint32_t>(chance(30) ? 0 : pick(0, 200 * us));
        const auto max = static_cast<std::uint32_t>(min + pick(0, 400 * us));
        d.step[k] = PatternStep{static_cast<std::uint16_t>(pick(0, kSources - 1)), min, max};
      }
      wr(PAT_SEL, index);
      wr(PAT_CTRL, pat_ctrl::Enable::mask | d.steps);
      for (unsigned k = 0; k < d.steps; ++k) {
        wr(pat_src(k), d.step[k].source);
        wr(pat_min(k), d.step[k].min_delay);
        wr(pat_max(k), d.step[k].max_delay);
      }
      ASSERT_EQ(commit(commit::kCommitPattern), commit::kOk);
      config.patterns[index] = d;
    }
  }

  void random_rules() {
    const unsigned n = static_cast<unsigned>(pick(0, 8));
    for (unsigned i = 0; i < n; ++i) {
      Rule r;
      r.enabled = true;
      r.kind = static_cast<std::uint8_t>(pick(1, rule_cond::kMaxKind));
      r.source = chance(40) ? static_cast<std::uint16_t>(kAnySource) : static_cast<std::uint16_t>(pick(0, kSources - 1));
      switch (r.kind) {
        case rule_cond::kPattern:
          r.param = config.patterns.empty() ? static_cast<std::uint32_t>(pick(0, 63))
                                            : std::next(config.patterns.begin(), static_cast<long>(pick(0, config.patterns.size() - 1)))->first;
          break;
        case rule_cond::kRateAbove:
        case rule_cond::kRateBelow: r.param = static_cast<std::uint32_t>(pick(1, 20)); break;
        case rule_cond::kPeriodic: r.param = static_cast<std::uint32_t>(pick(10 * us, 300 * us)); break;
        default: r.param = static_cast<std::uint32_t>(pick(20 * us, 500 * us)); break;
      }
      r.actions = static_cast<std::uint8_t>(rng() & rule_action::kDefined);
      if ((r.actions & 3) == 3) r.actions &= ~rule_action::Lower::mask;
      if ((r.actions & rule_action::Coalesce::mask) && (r.actions & rule_action::Urgent::mask)) {
        r.actions &= ~(chance(50) ? rule_action::Coalesce::mask : rule_action::Urgent::mask);
      }
      const unsigned index = static_cast<unsigned>(pick(0, kRules - 1));
      ASSERT_EQ(rule(index, r.kind, r.source, r.param, r.actions), commit::kOk);
      config.rules[index] = r;
    }
  }

  void random_sources() {
    for (unsigned s = 0; s < kSources; ++s) {
      if (chance(20)) continue;
      SourceConfig c;
      if (chance(60)) c.ctrl |= src_ctrl::Coalesce::mask;
      c.frames = static_cast<std::uint16_t>(chance(30) ? 0 : pick(1, 8));
      c.time = static_cast<std::uint32_t>(chance(25) ? 0 : pick(5 * us, 300 * us));
      if (c.time != 0 && chance(30)) c.ctrl |= src_ctrl::Adaptive::mask;
      if ((c.ctrl & src_ctrl::Coalesce::mask) && c.time == 0) c.time = 50 * us;
      if (chance(35)) {
        c.ctrl |= src_ctrl::StormGuard::mask;
        c.storm_limit = static_cast<std::uint32_t>(pick(2, 30));
        if (chance(30)) c.ctrl |= src_ctrl::StormDrop::mask;
      }
      c.raise_vector = static_cast<std::uint8_t>(chance(50) ? pick(0xC0, 0xEF) : 0);
      c.lower_vector = static_cast<std::uint8_t>(chance(50) ? pick(0x30, 0x3F) : 0);
      ASSERT_EQ(source(s, {.ctrl = c.ctrl, .frames = c.frames, .time = c.time, .storm_limit = c.storm_limit,
                           .raise_vector = c.raise_vector, .lower_vector = c.lower_vector}),
                commit::kOk);
      config.sources[s] = c;
    }
  }

  std::vector<RefInput> random_inputs(std::size_t n) {
    std::vector<RefInput> in;
    std::array<std::uint32_t, kSources> dest{};
    std::array<std::uint64_t, kSources> next{}, mean{};
    for (unsigned s = 0; s < kSources; ++s) {
      mean[s] = pick(5 * us, 150 * us);
      next[s] = pick(0, 100 * us);
      dest[s] = static_cast<std::uint32_t>(pick(0, 3));
    }
    std::exponential_distribution<double> expo(1.0);
    while (in.size() < n) {
      const unsigned s = static_cast<unsigned>(std::min_element(next.begin(), next.end()) - next.begin());
      const std::uint64_t t = next[s];
      if (chance(3)) in.push_back(RefInput{.advance = true, .message = {}, .time = t});
      if (chance(1)) dest[s] = static_cast<std::uint32_t>(pick(0, 4));
      RefInput a;
      a.message = msg(s, static_cast<std::uint8_t>(0x40 + 0x10 * s), dest[s],
                      s == kSources - 1 ? hw::TriggerMode::Level : hw::TriggerMode::Edge);
      if (chance(1)) a.message.destination_mode = hw::DestinationMode::Logical;
      // Now and then a line re-programmed between events: a level-triggered or a
      // lowest-priority event must not ride on a held batch of the other kind.
      if (chance(2)) a.message.trigger_mode = hw::TriggerMode::Level;
      if (chance(2)) a.message.delivery_mode = hw::DeliveryMode::LowestPriority;
      a.time = t;
      in.push_back(a);
      const bool burst = chance(10);
      next[s] = t + (burst ? pick(0, 3 * us) : static_cast<std::uint64_t>(expo(rng) * static_cast<double>(mean[s])));
    }
    in.push_back(RefInput{.advance = true, .message = {}, .time = in.back().time + 1'000'000'000});
    return in;
  }
};

void expect_same(const VirtualInterrupt& got, const ContextRecord& r, const RefOutput& want, std::size_t i) {
  SCOPED_TRACE(::testing::Message() << "output " << i << " source " << want.message.source << " at " << want.time);
  ASSERT_EQ(got.time, want.time);
  ASSERT_EQ(got.message, want.message);
  ASSERT_EQ(got.count, want.count);
  ASSERT_EQ(got.first_time, want.first);
  ASSERT_EQ(got.last_time, want.last);
  ASSERT_EQ(got.flags, want.flags);
  ASSERT_EQ(got.context_slot != kNoContext, want.has_context);
  if (!want.has_context) return;
  ASSERT_EQ(got.context_slot, want.slot);
  ASSERT_EQ(r.sequence, want.record.sequence);
  ASSERT_EQ(r.source, want.record.source);
  ASSERT_EQ(r.vector, want.record.vector);
  ASSERT_EQ(r.rule, want.record.rule);
  ASSERT_EQ(r.count, want.record.count);
  ASSERT_EQ(r.flags, want.record.flags);
  ASSERT_EQ(r.prev_step_time, want.record.prev_step_time);
  ASSERT_EQ(r.predicted_next, want.record.predicted_next);
  ASSERT_EQ(r.pattern_mask, want.record.pattern_mask);
  ASSERT_EQ(r.dropped, want.record.dropped);
}

// IRQSHAPE_DIFF_SEEDS=N runs N scenarios instead of 150 (for soak runs).
std::uint64_t seed_count() {
  const char* env = std::getenv("IRQSHAPE_DIFF_SEEDS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 150;
}

TEST_F(Differential, UnitAgreesWithTheReferenceModel) {
  std::uint64_t total_outputs = 0, total_patterns = 0, dropped = 0, augmented = 0;
  std::map<std::uint32_t, std::uint64_t> by_flag;
  const std::uint64_t seeds = seed_count();
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    rng.seed(seed);
    sink.out.clear();
    sink.records.clear();
    config = RefConfig{};
    unit = std::make_unique<Isu>(sink);
    sink.unit = unit.get();
    config.rate_window = static_cast<std::uint32_t>(pick(50 * us, 1000 * us));
    config.pred_shift = static_cast<unsigned>(pick(1, 5));
    config.ctx_log2 = static_cast<unsigned>(pick(kContextLog2Min, kContextLog2Max));
    wr(RATE_WINDOW, config.rate_window);
    wr(PRED_SHIFT, config.pred_shift);
    wr(CTX_CFG, config.ctx_log2);
    random_patterns();
    random_rules();
    random_sources();
    enable();
    ASSERT_EQ(rd(ERR_STATUS), 0u);

    const std::vector<RefInput> inputs = random_inputs(2500);
    for (const RefInput& in : inputs) {
      if (in.advance) unit->advance(in.time);
      else unit->receive(in.message, in.time);
    }
    const RefResult ref = run_reference(config, inputs);
    const std::vector<RefOutput>& want = ref.outputs;
    ASSERT_EQ(rd(PM_DROPPED), 0u) << "partial table overflowed: the reference assumes it never does";
    ASSERT_EQ(sink.out.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      expect_same(sink.out[i], sink.records[i], want[i], i);
      if (HasFatalFailure()) return;
      for (std::uint32_t f = 1; f <= ctx_flag::kTimer; f <<= 1) by_flag[f] += (want[i].flags & f) != 0;
      augmented += want[i].has_context;
    }
    for (unsigned s = 0; s < kSources; ++s) {
      const SourceTelemetry& t = unit->telemetry(s);
      ASSERT_EQ(t.in, t.events + t.dropped) << "conservation: nothing may still be held, source " << s;
      dropped += t.dropped;
      const RefHold h = ref.hold.count(s) ? ref.hold.at(s) : RefHold{};
      ASSERT_EQ(t.hold_sum, h.sum) << "source " << s;
      ASSERT_EQ(t.hold_max, h.max) << "source " << s;
      for (unsigned k = 0; k < kHoldBuckets; ++k) ASSERT_EQ(t.hold[k], h.buckets[k]) << "source " << s << " bucket " << k;
      for (unsigned p = 0; p < kPatterns; ++p) total_patterns += unit->pattern_matches(p);
    }
    total_outputs += want.size();
  }
  // the scenarios must exercise the interesting paths, or agreement means little
  EXPECT_GT(total_outputs, 600 * seeds);
  EXPECT_GT(total_patterns, 5 * seeds);
  EXPECT_GT(dropped, seeds);
  EXPECT_GT(augmented, 50 * seeds);
  for (const auto& [flag, n] : by_flag) EXPECT_GT(n, seeds) << "outputs with flag " << flag;
  EXPECT_EQ(by_flag.size(), 7u);
  std::printf("%llu scenarios, %llu virtual interrupts, %llu pattern matches, %llu dropped, %llu augmented\n",
              static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(total_outputs),
              static_cast<unsigned long long>(total_patterns), static_cast<unsigned long long>(dropped),
              static_cast<unsigned long long>(augmented));
}

}  // namespace
}  // namespace irqshape::isu::testing
