// Turning runs into what users read: the comparison table, JSON (schema in
// docs/sim-output.md), CSV, and the summary numbers a sweep writes per grid point.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/metrics.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace irqshape::sim {

// 2: irq_cpu_fraction became a share of the compared runs' common window, up to the
// latest end_ns among them (version 1 divided by duration_ns and could pass 1);
// requests.completed counts served completions only, and requests.dropped is new.
inline constexpr int kJsonSchemaVersion = 2;

// The quantile grid of every "cdf" array in the JSON: 0 (min), 0.01 ... 0.99, 0.995,
// 0.999, 0.9995, 0.9999, 1 (max).
[[nodiscard]] const std::vector<double>& cdf_quantiles();

// Headline numbers of one run (or one source of a run), derived from RunResult.
struct Summary {
  double interrupts_per_s = 0;
  double events_per_s = 0;
  double events_per_interrupt = 0;
  double p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0, mean_ns = 0;
  std::optional<double> added_p50_ns, added_p99_ns, added_p999_ns;  // vs the reference (none)
  double irq_cpu_fraction = 0;  // of [0, window_end_ns): total, all vCPUs' time; a source, one vCPU's
  double exits_per_s = 0;
  std::uint64_t events = 0, interrupts = 0, exits = 0;
};
// `window_end_ns`: the end of the time CPU fractions are shares of. Runs compared side by
// side share one (common_window_end_ns), so that their fractions have one denominator.
[[nodiscard]] Summary summarize(const RunResult& r, const SourceMetrics& m, const SourceMetrics* reference, bool total,
                                unsigned vcpus, Nanos window_end_ns);
// When the last of these runs had drained (and at least their duration): interrupt work
// goes on while a run drains, after duration_ns, so the window reaches the latest end, or
// a one-interrupt trace (duration 1 ns) would show 70000 %; a run that ends earlier
// simply does no interrupt work in the rest of the window.
[[nodiscard]] Nanos common_window_end_ns(const std::vector<const RunResult*>& runs);
[[nodiscard]] Nanos common_window_end_ns(const Comparison& c);
// Requests completed per second of duration (closed-loop throughput).
[[nodiscard]] double throughput_per_s(const RunResult& r, const SourceMetrics& m);

struct TableOptions {
  bool per_source = false;
};
// The comparison table `irqshape demo` and `replay` print.
[[nodiscard]] std::string format_table(const Scenario& sc, const Comparison& c, const TableOptions& options = {});

struct ReportContext {
  std::string generator;  // "irqshape 0.1.0"
  std::string command;    // "demo", "replay"
  std::string input;      // trace file for replay, empty otherwise
};
[[nodiscard]] nlohmann::ordered_json scenario_json(const Scenario& sc);
[[nodiscard]] nlohmann::ordered_json to_json(const Scenario& sc, const Comparison& c, const ReportContext& ctx);
// One CSV field (RFC 4180): as it is, or in double quotes (quotes doubled) when it holds a
// comma, a quote or a line break. Every CSV the simulator writes (--csv, sweep rows) uses it.
[[nodiscard]] std::string csv_field(std::string_view text);
// One row per policy x source, then one "total" row per policy.
[[nodiscard]] std::string to_csv(const Scenario& sc, const Comparison& c);

}  // namespace irqshape::sim
