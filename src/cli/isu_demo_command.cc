// `irqshape isu-demo`: a small, deterministic demonstration of the Interrupt Shaping
// Unit. Six synthetic sources run through a unit programmed through its registers; the
// table shows what it did to each, read back from its telemetry registers.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/duration_option.h"
#include "isu/isu.h"

namespace irqshape::cli {
namespace {

using namespace isu::regs;

constexpr std::uint64_t us = 1000, ms = 1000 * us;

struct DemoSource {
  const char* name;
  const char* shaping;
};

const DemoSource kSources[] = {
    {"nic0-rx", "adaptive coalescing, <= 32 frames / 50 us"},
    {"nvme0q1", "coalescing, 8 completions / 20 us"},
    {"timer", "lowered priority when periodic"},
    {"sensor-a", "(first step of a sequence)"},
    {"sensor-b", "raised + augmented 4-6 ms after sensor-a"},
    {"flaky-dev", "storm guard, > 20 per 100 us deferred"},
};

struct Arrival {
  std::uint64_t time;
  unsigned source;
  bool operator>(const Arrival& o) const { return time > o.time || (time == o.time && source > o.source); }
};

std::vector<Arrival> workload(std::uint64_t duration, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> nvme_gap(1.0 / (25.0 * us));
  std::uniform_int_distribution<std::uint64_t> jitter(0, 20 * us);
  std::vector<Arrival> a;
  for (std::uint64_t t = 0; t < duration; t += 200 * us)          // NIC: bursts of 48 packets, 1.2 us apart
    for (int i = 0; i < 48; ++i) a.push_back({t + static_cast<std::uint64_t>(i) * 1200, 0});
  for (std::uint64_t t = 0; t < duration; t += static_cast<std::uint64_t>(nvme_gap(rng)) + 1) a.push_back({t, 1});
  for (std::uint64_t t = 0; t < duration; t += 1 * ms) a.push_back({t + jitter(rng) / 10, 2});
  for (std::uint64_t t = 3 * ms; t < duration; t += 10 * ms) {    // sensor-a then sensor-b ~5 ms later
    a.push_back({t, 3});
    a.push_back({t + 4 * ms + jitter(rng) * 50, 4});
  }
  for (std::uint64_t t = duration / 2; t < duration / 2 + 2 * ms; t += 500) a.push_back({t, 5});  // a 2 ms storm
  std::sort(a.begin(), a.end(), [](const Arrival& x, const Arrival& y) { return y > x; });
  return a;
}

void program(isu::Isu& unit) {
  auto wr = [&](std::uint32_t offset, std::uint32_t value) { unit.write32(offset, value); };
  auto source = [&](unsigned s, std::uint32_t ctrl, std::uint32_t frames, std::uint32_t time, std::uint32_t storm,
                    std::uint32_t prio) {
    wr(SRC_SEL, s);
    wr(SRC_CTRL, ctrl);
    wr(SRC_COAL_COUNT, frames);
    wr(SRC_COAL_TIME, time);
    wr(SRC_STORM_LIMIT, storm);
    wr(SRC_PRIO, prio);
    wr(COMMIT, commit::kCommitSource);
  };
  auto rule = [&](unsigned i, std::uint32_t kind, std::uint32_t src, std::uint32_t param, std::uint32_t actions) {
    wr(RULE_SEL, i);
    wr(RULE_SOURCE, src);
    wr(RULE_PARAM, param);
    wr(RULE_ACTION, actions);
    wr(RULE_COND, rule_cond::Enable::mask | kind);
    wr(COMMIT, commit::kCommitRule);
  };
  wr(CTRL, ctrl::SoftReset::mask);
  wr(HIST_CFG, 13);
  wr(RATE_WINDOW, 100 * us);
  source(0, src_ctrl::Coalesce::mask | src_ctrl::Adaptive::mask, 32, 50 * us, 0, 0);
  source(1, src_ctrl::Coalesce::mask, 8, 20 * us, 0, 0);
  source(2, 0, 0, 0, 0, src_prio::LowerVector::make(0x31));
  source(4, 0, 0, 0, 0, src_prio::RaiseVector::make(0xE4));
  source(5, src_ctrl::StormGuard::mask, 0, 0, 20, 0);
  wr(PAT_SEL, 0);  // sensor-a, then sensor-b 4-6 ms later
  wr(PAT_CTRL, pat_ctrl::Enable::mask | 2);
  wr(pat_src(0), 3);
  wr(pat_src(1), 4);
  wr(pat_min(1), 4 * ms);
  wr(pat_max(1), 6 * ms);
  wr(COMMIT, commit::kCommitPattern);
  rule(0, rule_cond::kPattern, kAnySource, 0, rule_action::Raise::mask | rule_action::Augment::mask);
  rule(1, rule_cond::kPeriodic, 2, 50 * us, rule_action::Lower::mask);
  wr(CTRL, ctrl::Enable::mask);
}

struct Collector final : isu::VirtualInterruptSink {
  void inject(const isu::VirtualInterrupt& vi) override {
    if (vi.context_slot != isu::kNoContext && last_record == nullptr) {
      last_record = &unit->context(vi.message.destination, vi.context_slot);
      record = *last_record;
    }
  }
  const isu::Isu* unit = nullptr;
  const isu::ContextRecord* last_record = nullptr;
  isu::ContextRecord record{};
};

std::uint64_t counter(isu::Isu& unit, std::uint32_t lo) {
  return unit.read32(lo) | (std::uint64_t{unit.read32(lo + 4)} << 32);
}

int run(std::uint64_t duration, std::uint64_t seed) {
  Collector sink;
  auto unit = std::make_unique<isu::Isu>(sink);
  sink.unit = unit.get();
  program(*unit);
  if (unit->read32(ERR_STATUS) != 0) {
    fmt::print(stderr, "isu-demo: the unit rejected the configuration (ERR_STATUS {:#x}, ERR_ADDR {:#x})\n",
               unit->read32(ERR_STATUS), unit->read32(ERR_ADDR));
    return 1;
  }
  for (const Arrival& a : workload(duration, seed)) {
    hw::InterruptMessage m;
    m.source = a.source;
    m.vector = static_cast<std::uint8_t>(0x41 + 0x10 * a.source);
    m.destination = a.source % 2;
    unit->receive(m, a.time);
  }
  unit->advance(duration + 10 * ms);

  fmt::print("Interrupt Shaping Unit demo: {:g} ms of synthetic load, seed {}\n\n", static_cast<double>(duration) / 1e6, seed);
  fmt::print("{:<10} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>8}  {}\n", "source", "in", "out", "ev/int", "deferred",
             "raised", "lowered", "patterns", "shaping");
  std::uint64_t total_in = 0, total_out = 0;
  for (unsigned s = 0; s < std::size(kSources); ++s) {
    unit->write32(TEL_SRC_SEL, s);
    const std::uint64_t in = counter(*unit, TEL_IN_LO), out = counter(*unit, TEL_OUT_LO);
    total_in += in;
    total_out += out;
    fmt::print("{:<10} {:>8} {:>8} {:>8.2f} {:>8} {:>7} {:>7} {:>8}  {}\n", kSources[s].name, in, out,
               out ? static_cast<double>(counter(*unit, TEL_EVENTS_LO)) / static_cast<double>(out) : 0.0,
               counter(*unit, TEL_DEFERRED_LO), counter(*unit, TEL_RAISED_LO), counter(*unit, TEL_LOWERED_LO),
               counter(*unit, TEL_PATTERNS_LO), kSources[s].shaping);
  }
  fmt::print("{:<10} {:>8} {:>8} {:>8.2f}\n\n", "total", total_in, total_out,
             total_out ? static_cast<double>(total_in) / static_cast<double>(total_out) : 0.0);
  if (sink.last_record != nullptr) {
    const isu::ContextRecord& r = sink.record;
    fmt::print("First context record (sensor-b, raised to vector {:#04x}): sequence {}, rule {}, event at {:.3f} ms,\n"
               "  previous step of the sequence (sensor-a) at {:.3f} ms: {:.3f} ms apart\n",
               r.vector, r.sequence, r.rule, static_cast<double>(r.last_time) / ms,
               static_cast<double>(r.prev_step_time) / ms,
               static_cast<double>(r.last_time - r.prev_step_time) / ms);
  }
  unit->write32(TEL_PAT_SEL, 0);
  fmt::print("History: {} interrupts recorded, last {} kept; pattern 0 matched {} times; errors: {:#x}\n",
             counter(*unit, HIST_COUNT_LO), 1u << unit->read32(HIST_CFG), counter(*unit, TEL_PAT_MATCHES_LO),
             unit->read32(ERR_STATUS));
  return 0;
}

}  // namespace

void add_isu_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("isu-demo", "Run a small synthetic scenario through the Interrupt Shaping Unit model");
  auto duration = std::make_shared<std::uint64_t>(100 * ms);
  auto seed = std::make_shared<std::uint64_t>(1);
  auto* length = add_duration_option(cmd, "--duration", *duration, "Simulated time (default 100ms)",
                                     DurationLimits{20 * ms, 100'000 * ms, true});
  // The older spelling, kept for scripts that use it.
  cmd->add_option_function<std::uint64_t>(
         "--duration-ms", [duration](std::uint64_t v) { *duration = v * ms; }, "Simulated time in milliseconds")
      ->check(CLI::Range(20, 100000))
      ->excludes(length);
  cmd->add_option("--seed", *seed, "Random seed of the synthetic load");
  cmd->callback([=] {
    if (const int rc = run(*duration, *seed); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace irqshape::cli
