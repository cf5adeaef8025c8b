// Costs of the driver's operations, against the ISU model behind its register window:
// parsing and compiling a configuration, applying a full one (64 patterns, 64 rules,
// 32 sources: every entry committed and read back), a telemetry snapshot, reading the
// whole history ring, one adaptation period, and mining a trace. Register accesses per
// operation are reported as counters: on real hardware they, not the CPU, set the cost.
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <string>

#include "isd/adapter.h"
#include "isd/config.h"
#include "isd/driver.h"
#include "isd/harness/model_harness.h"
#include "isd/harness/planted.h"
#include "isd/miner.h"
#include "isd/program.h"

namespace {

using namespace irqshape;
constexpr unsigned kSources = 32;

isd::SourceMap platform() {
  std::vector<std::string> names;
  for (unsigned s = 0; s < kSources; ++s) names.push_back(fmt::format("src{}", s));
  return isd::SourceMap::from_names(names);
}

// 32 coalescing sources with storm guards, 64 three-step sequences with a rule each.
std::string full_config() {
  std::string t = "[unit]\nhistory = 8192\nrate-window = \"100us\"\n";
  for (unsigned s = 0; s < kSources; ++s)
    t += fmt::format("[source.src{}]\nrx-usecs = 20\nrx-frames = 16\nadaptive-rx = {}\nstorm-limit = 150\nraise-vector = 0xE0\n"
                     "lower-vector = 0x30\n",
                     s, s % 2 ? "true" : "false");
  for (unsigned p = 0; p < 64; ++p)
    t += fmt::format("[[rule]]\nname = \"r{}\"\nsequence = \"src{} -> src{} within {}us -> src{} within 5us..{}us\"\nactions = [{}]\n",
                     p, p % kSources, (p * 7 + 1) % kSources, 100 + p, (p * 13 + 2) % kSources, 150 + p,
                     p % 4 == 0 ? "\"raise-priority\", \"augment\"" : "\"augment\"");
  return t;
}

void BM_ParseAndCompile(benchmark::State& state) {
  const std::string text = full_config();
  const isd::SourceMap map = platform();
  for (auto _ : state) {
    auto c = isd::parse_config(text, "bench.toml");
    auto p = isd::compile(*c, map);
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseAndCompile)->Unit(benchmark::kMicrosecond);

void BM_ApplyFullConfiguration(benchmark::State& state) {
  isd::harness::ModelHarness model;
  isd::Driver driver(model.window());
  auto program = isd::compile(*isd::parse_config(full_config(), "bench.toml"), platform());
  std::uint64_t reads = 0, writes = 0;
  for (auto _ : state) {
    auto r = driver.apply(*program);
    if (!r) state.SkipWithError(r.message().c_str());
    reads = r->register_reads;
    writes = r->register_writes;
  }
  state.counters["register_reads"] = static_cast<double>(reads);
  state.counters["register_writes"] = static_cast<double>(writes);
}
BENCHMARK(BM_ApplyFullConfiguration)->Unit(benchmark::kMicrosecond);

void BM_TelemetrySnapshot(benchmark::State& state) {
  isd::harness::ModelHarness model;
  isd::Driver driver(model.window());
  (void)driver.apply(*isd::parse_config(full_config(), "bench.toml"), platform());
  const std::uint64_t before = driver.register_reads();
  for (auto _ : state) benchmark::DoNotOptimize(driver.read_telemetry());
  state.counters["register_reads"] = static_cast<double>(driver.register_reads() - before) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_TelemetrySnapshot)->Unit(benchmark::kMicrosecond);

void BM_ReadHistoryRing(benchmark::State& state) {
  isd::harness::ModelHarness model;
  isd::Driver driver(model.window());
  isd::Config c;
  c.unit.history_log2 = isd::Located<std::uint32_t>{13, {}};
  (void)driver.apply(c, platform());
  for (std::uint64_t i = 0; i < 10'000; ++i) model.interrupt({i * 500, static_cast<std::uint32_t>(i % kSources), 0x40, 0});
  for (auto _ : state) {
    auto h = driver.read_history();
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 8192));
}
BENCHMARK(BM_ReadHistoryRing)->Unit(benchmark::kMillisecond);

void BM_AdapterPeriod(benchmark::State& state) {
  isd::harness::ModelHarness model;
  isd::Driver driver(model.window());
  (void)driver.apply(*isd::parse_config(full_config(), "bench.toml"), platform());
  isd::Adapter adapter(isd::AdapterOptions{});
  std::uint64_t t = 0;
  (void)adapter.step(driver, t);
  for (auto _ : state) {
    t += 10'000'000;
    benchmark::DoNotOptimize(adapter.step(driver, t));
  }
}
BENCHMARK(BM_AdapterPeriod)->Unit(benchmark::kMicrosecond);

void BM_MinePlantedTrace(benchmark::State& state) {
  const auto trace = isd::harness::planted_trace(static_cast<std::uint64_t>(state.range(0)) * 1'000'000'000, 1);
  for (auto _ : state) benchmark::DoNotOptimize(isd::mine(trace.events));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * trace.events.size()));
}
BENCHMARK(BM_MinePlantedTrace)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond);

}  // namespace
