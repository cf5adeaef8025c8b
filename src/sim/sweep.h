// `irqshape sweep`: a grid over policy parameters (and optionally the seed), one
// simulation per point, on every core, one output row per point, in grid order
// whatever the thread count. `--shard K/N` keeps the points i with i mod N == K-1, so N
// machines running shards 1/N .. N/N cover the grid exactly once between them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "sim/report.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace irqshape::sim {

struct GridAxis {
  std::string key;                  // a policy parameter, or "seed" for the scenario's seed
  std::vector<std::string> values;
};
// Parses "rx-frames=1,4,16" (one --grid argument).
Result<GridAxis> parse_grid_axis(const std::string& text);

struct Shard {
  unsigned k = 1, n = 1;  // this is shard k of n (1-based)
};
Result<Shard> parse_shard(const std::string& text);

struct SweepPoint {
  std::size_t index = 0;  // position in the whole grid (first axis varies slowest)
  PolicySpec spec;        // the base policy with this point's parameters
  std::uint64_t seed = 0;
  std::vector<std::pair<std::string, std::string>> params;  // this point's grid values, in axis order
};

// Every point of the grid, in order. An axis repeated or a parameter the base spec
// already sets is an error.
Result<std::vector<SweepPoint>> enumerate_grid(const PolicySpec& base, const std::vector<GridAxis>& grid,
                                               std::uint64_t seed);
// The indices of `total` points that belong to `shard`.
[[nodiscard]] std::vector<std::size_t> shard_indices(std::size_t total, const Shard& shard);

struct SweepRow {
  SweepPoint point;
  Summary total;                                          // over all sources, vs none with the same seed
  std::vector<std::pair<std::string, Summary>> sources;   // each source, vs its run under none, in scenario order
  std::vector<std::pair<std::string, double>> throughput;  // closed-loop sources: requests/s
};

struct SweepOptions {
  unsigned threads = 0;  // 0: every core
  Shard shard;
  // Called on the calling thread, in grid order, once per point of the shard.
  std::function<void(const SweepRow&)> on_row;
  // Called on the calling thread after each row: (done, total of the shard).
  std::function<void(std::size_t, std::size_t)> on_progress;
};

// Runs the shard's points of the grid on `scenario`. Every point's policy is built
// first, so a bad value fails before any simulation runs.
Status run_sweep(const Scenario& scenario, const PolicySpec& base, const std::vector<GridAxis>& grid,
                 const SweepOptions& options, const PolicyFactory& factory = make_policy);

// Output rows. The CSV header depends on the grid and the scenario's closed-loop sources;
// with `per_source`, each source adds its p99 latency and added p99 latency columns.
[[nodiscard]] std::string sweep_csv_header(const std::vector<GridAxis>& grid, const Scenario& scenario,
                                           bool per_source = false);
[[nodiscard]] std::string sweep_csv_row(const SweepRow& row, bool per_source = false);
[[nodiscard]] nlohmann::ordered_json sweep_json_row(const SweepRow& row);

}  // namespace irqshape::sim
