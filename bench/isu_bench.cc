// Cost per interrupt through the ISU data path. The target configuration:
// 8192-entry history, 64 sequence patterns with a rule each, per-source rate (storm
// guard) and coalescing, adaptive on half the sources. Inputs are pre-generated so the
// loop measures the unit only.
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <random>
#include <vector>

#include "isu/isu.h"

namespace {

using namespace irqshape;
using namespace irqshape::isu::regs;

struct CountingSink final : isu::VirtualInterruptSink {
  void inject(const isu::VirtualInterrupt& vi) override { events += vi.count; }
  std::uint64_t events = 0;
};

constexpr unsigned kBenchSources = 32;

struct Workload {
  std::vector<hw::InterruptMessage> messages;
  std::vector<std::uint64_t> times;
};

// Sources fire at different mean rates (about 1 interrupt per 500 ns in total, 2M/s),
// with bursts, so patterns start, advance and expire, and batches fill and time out.
Workload make_workload(std::size_t n) {
  Workload w;
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> gap(1.0 / 500.0);
  std::uint64_t t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    t += static_cast<std::uint64_t>(gap(rng)) + 1;
    hw::InterruptMessage m;
    const auto r = rng();
    m.source = static_cast<std::uint32_t>((r % 100 < 60 ? r % 8 : r % kBenchSources));  // a few hot sources
    m.vector = static_cast<std::uint8_t>(0x40 + m.source);
    m.destination = m.source % 4;
    w.messages.push_back(m);
    w.times.push_back(t);
  }
  return w;
}

// Pattern windows scale with `window_ns`: the wider they are, the more partial matches
// are live and the more interrupts complete a sequence - the cost driver of the engine.
//
// The 64 patterns are 64 different source sequences, every one of three different
// sources, and every source is the first, second and third step of exactly two of them:
// pattern p runs p, 7p + 1, 13p + 2 (mod 32) for p < 32, and p, 7p + 9, 13p + 6 for the
// second 32 (an engine that shared work between identical patterns gains nothing here).
constexpr std::array<unsigned, 3> pattern_sources(unsigned p) {
  const unsigned second_half = p / kBenchSources;
  return {p % kBenchSources, (p * 7 + 1 + 8 * second_half) % kBenchSources,
          (p * 13 + 2 + 4 * second_half) % kBenchSources};
}
constexpr bool patterns_all_differ() {
  for (unsigned p = 0; p < kPatterns; ++p) {
    const auto a = pattern_sources(p);
    if (a[0] == a[1] || a[1] == a[2] || a[0] == a[2]) return false;
    for (unsigned q = 0; q < p; ++q)
      if (pattern_sources(q) == a) return false;
  }
  return true;
}
static_assert(kPatterns == 2 * kBenchSources && patterns_all_differ());

void configure_full(isu::Isu& unit, std::uint32_t window_ns, bool first_min) {
  auto wr = [&](std::uint32_t o, std::uint32_t v) { unit.write32(o, v); };
  wr(HIST_CFG, 13);
  wr(RATE_WINDOW, 100'000);
  for (unsigned p = 0; p < kPatterns; ++p) {
    const auto src = pattern_sources(p);
    wr(PAT_SEL, p);
    wr(PAT_CTRL, pat_ctrl::Enable::mask | 3);
    wr(pat_src(0), src[0]);
    wr(pat_src(1), src[1]);
    wr(pat_min(1), first_min ? window_ns / 20 : 0);
    wr(pat_max(1), window_ns);
    wr(pat_src(2), src[2]);
    wr(pat_min(2), window_ns / 20);
    wr(pat_max(2), window_ns + window_ns / 2);
    wr(COMMIT, commit::kCommitPattern);
    wr(RULE_SEL, p);
    wr(RULE_COND, rule_cond::Enable::mask | rule_cond::kPattern);
    wr(RULE_SOURCE, kAnySource);
    wr(RULE_PARAM, p);
    wr(RULE_ACTION, p % 4 == 0 ? rule_action::Raise::mask | rule_action::Augment::mask : rule_action::Augment::mask);
    wr(COMMIT, commit::kCommitRule);
  }
  for (unsigned s = 0; s < kBenchSources; ++s) {
    wr(SRC_SEL, s);
    wr(SRC_CTRL, src_ctrl::Coalesce::mask | src_ctrl::StormGuard::mask | (s % 2 ? src_ctrl::Adaptive::mask : 0));
    wr(SRC_COAL_COUNT, 16);
    wr(SRC_COAL_TIME, 20'000);
    wr(SRC_STORM_LIMIT, 150);
    wr(SRC_PRIO, 0x30E0);
    wr(COMMIT, commit::kCommitSource);
  }
  wr(CTRL, ctrl::Enable::mask);
}

template <typename Configure>
void run(benchmark::State& state, Configure&& configure) {
  static const Workload w = make_workload(1 << 20);
  CountingSink sink;
  auto unit = std::make_unique<isu::Isu>(sink);
  configure(*unit);
  if (unit->read32(ERR_STATUS) != 0) state.SkipWithError("configuration rejected");
  std::size_t i = 0;
  std::uint64_t base = 0;
  for (auto _ : state) {
    unit->receive(w.messages[i], base + w.times[i]);
    if (++i == w.messages.size()) {
      i = 0;
      base += w.times.back();
    }
  }
  state.SetItemsProcessed(state.iterations());
  std::uint64_t in = 0, completions = 0;
  for (unsigned s = 0; s < kBenchSources; ++s) in += unit->telemetry(s).in;
  for (unsigned p = 0; p < kPatterns; ++p) completions += unit->pattern_matches(p);
  state.counters["pattern_completions_per_input"] = static_cast<double>(completions) / static_cast<double>(in + 1);
  state.counters["live_partials_at_end"] = unit->read32(PM_LIVE);
  state.counters["pm_dropped"] = unit->read32(PM_DROPPED);  // must be 0: a dropped partial is work not done
  state.counters["virtual_interrupts_per_input"] =
      benchmark::Counter(static_cast<double>(unit->telemetry(0).out + unit->telemetry(1).out) /
                         static_cast<double>(unit->telemetry(0).in + unit->telemetry(1).in + 1));
  benchmark::DoNotOptimize(sink.events);
}

// The configuration; arguments: the pattern window in ns, and whether the second
// step's window starts above 0 (then every first-step arrival keeps its own partial match;
// with MIN 0 the newest supersedes the older ones: docs/isu-spec.md 5.3).
void BM_IsuFullConfiguration(benchmark::State& state) {
  run(state, [&](isu::Isu& u) {
    configure_full(u, static_cast<std::uint32_t>(state.range(0)), state.range(1) != 0);
  });
}
// Where the time goes: the configuration (5 us windows, second step's window not
// from 0) with one feature taken out. The difference to BM_IsuFullConfiguration/5000/1 is
// what that feature costs on this mix.
enum class Without : int { patterns, coalescing, storm_guard, history, augmentation };
void BM_IsuFullWithout(benchmark::State& state) {
  const auto without = static_cast<Without>(state.range(0));
  state.SetLabel(std::array{"patterns", "coalescing", "storm_guard", "history", "augmentation"}[state.range(0)]);
  run(state, [&](isu::Isu& u) {
    auto wr = [&](std::uint32_t o, std::uint32_t v) { u.write32(o, v); };
    configure_full(u, 5'000, true);
    for (unsigned p = 0; p < kPatterns && without == Without::patterns; ++p) {
      wr(PAT_SEL, p);
      wr(COMMIT, commit::kClearPattern);
    }
    for (unsigned p = 0; p < kPatterns && without == Without::augmentation; ++p) {
      wr(RULE_SEL, p);
      wr(COMMIT, commit::kLoadRule);
      wr(RULE_ACTION, u.read32(RULE_ACTION) & ~rule_action::Augment::mask);
      wr(COMMIT, commit::kCommitRule);
    }
    for (unsigned s = 0; s < kBenchSources; ++s) {
      if (without != Without::coalescing && without != Without::storm_guard) break;
      wr(SRC_SEL, s);
      wr(COMMIT, commit::kLoadSource);
      const std::uint32_t drop = without == Without::coalescing
                                     ? src_ctrl::Coalesce::mask | src_ctrl::Adaptive::mask
                                     : src_ctrl::StormGuard::mask;
      wr(SRC_CTRL, u.read32(SRC_CTRL) & ~drop);
      wr(COMMIT, commit::kCommitSource);
    }
    if (without == Without::history) wr(CTRL, ctrl::Enable::mask | ctrl::HistoryFreeze::mask);
  });
}
// The full configuration with a different coalescing time per source (20-175 us): pending
// deadlines no longer arrive in order, the worst case for a sorted list of them.
void BM_IsuMixedHoldTimes(benchmark::State& state) {
  run(state, [&](isu::Isu& u) {
    configure_full(u, 5'000, true);
    for (unsigned s = 0; s < kBenchSources; ++s) {
      u.write32(SRC_SEL, s);
      u.write32(COMMIT, commit::kLoadSource);
      u.write32(SRC_COAL_TIME, 20'000 + 5'000 * ((s * 13) % kBenchSources));
      u.write32(COMMIT, commit::kCommitSource);
    }
  });
}
void BM_IsuEnabledNoRules(benchmark::State& state) {
  run(state, [](isu::Isu& u) { u.write32(CTRL, ctrl::Enable::mask); });
}
void BM_IsuDisabledPassThrough(benchmark::State& state) {
  run(state, [](isu::Isu&) {});
}

BENCHMARK(BM_IsuFullConfiguration)
    ->ArgNames({"window_ns", "step1_min"})
    ->ArgsProduct({{500, 2'000, 5'000, 20'000}, {0, 1}});
BENCHMARK(BM_IsuFullWithout)->ArgName("feature")->DenseRange(0, 4);
BENCHMARK(BM_IsuMixedHoldTimes);
BENCHMARK(BM_IsuEnabledNoRules);
BENCHMARK(BM_IsuDisabledPassThrough);

}  // namespace
