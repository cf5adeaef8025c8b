#include "sim/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace irqshape::sim {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

Result<std::uint64_t> parse_u64(const std::string& s, const std::string& what) {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return make_error("{}: \"{}\" is not a whole number", what, s);
  return v;
}

std::string fmt_opt(const std::optional<double>& v) { return v ? fmt::format("{:.0f}", *v) : std::string(); }

}  // namespace

Result<GridAxis> parse_grid_axis(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return make_error("--grid \"{}\": expected KEY=V1,V2,...", text);
  GridAxis a;
  a.key = text.substr(0, eq);
  a.values = split(text.substr(eq + 1), ',');
  for (const std::string& v : a.values)
    if (v.empty()) return make_error("--grid \"{}\": empty value", text);
  if (a.key == "seed")
    for (const std::string& v : a.values)
      if (auto n = parse_u64(v, "--grid seed"); !n) return n.error();
  return a;
}

Result<Shard> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return make_error("--shard \"{}\": expected K/N, e.g. 2/8", text);
  auto k = parse_u64(text.substr(0, slash), "--shard");
  auto n = parse_u64(text.substr(slash + 1), "--shard");
  if (!k) return k.error();
  if (!n) return n.error();
  if (*n == 0 || *k == 0 || *k > *n || *n > 1'000'000)
    return make_error("--shard \"{}\": need 1 <= K <= N", text);
  return Shard{static_cast<unsigned>(*k), static_cast<unsigned>(*n)};
}

Result<std::vector<SweepPoint>> enumerate_grid(const PolicySpec& base, const std::vector<GridAxis>& grid,
                                               std::uint64_t seed) {
  std::size_t total = 1;
  for (std::size_t a = 0; a < grid.size(); ++a) {
    for (std::size_t b = 0; b < a; ++b)
      if (grid[a].key == grid[b].key) return make_error("--grid {}: given twice", grid[a].key);
    if (base.params.count(grid[a].key) != 0)
      return make_error("--grid {}: the policy spec already sets it", grid[a].key);
    if (grid[a].values.empty()) return make_error("--grid {}: no values", grid[a].key);
    total *= grid[a].values.size();
    if (total > 10'000'000) return make_error("--grid: more than 10 million points");
  }
  std::vector<SweepPoint> points(total);
  for (std::size_t i = 0; i < total; ++i) {
    SweepPoint& p = points[i];
    p.index = i;
    p.spec = base;
    p.seed = seed;
    std::size_t rest = i;
    std::vector<std::size_t> pick(grid.size());
    for (std::size_t a = grid.size(); a-- > 0;) {  // the last axis varies fastest
      pick[a] = rest % grid[a].values.size();
      rest /= grid[a].values.size();
    }
    for (std::size_t a = 0; a < grid.size(); ++a) {
      const std::string& v = grid[a].values[pick[a]];
      p.params.emplace_back(grid[a].key, v);
      if (grid[a].key == "seed") p.seed = std::stoull(v);
      else p.spec.params[grid[a].key] = v;
    }
  }
  return points;
}

std::vector<std::size_t> shard_indices(std::size_t total, const Shard& shard) {
  std::vector<std::size_t> out;
  for (std::size_t i = shard.k - 1; i < total; i += shard.n) out.push_back(i);
  return out;
}

Status run_sweep(const Scenario& scenario, const PolicySpec& base, const std::vector<GridAxis>& grid,
                 const SweepOptions& options, const PolicyFactory& factory) {
  if (Status st = scenario.validate(); !st) return st;
  auto all = enumerate_grid(base, grid, scenario.seed);
  if (!all) return all.error();
  const std::vector<std::size_t> mine = shard_indices(all->size(), options.shard);
  for (std::size_t i : mine) {  // fail on a bad value before any run
    auto p = factory((*all)[i].spec);
    if (!p) return make_error("grid point {} ({}): {}", i, (*all)[i].spec.to_string(), p.message());
  }
  // The reference (none) for each seed the shard uses.
  std::map<std::uint64_t, RunResult> reference;
  {
    std::vector<std::uint64_t> seeds;
    for (std::size_t i : mine) seeds.push_back((*all)[i].seed);
    std::sort(seeds.begin(), seeds.end());
    seeds.erase(std::unique(seeds.begin(), seeds.end()), seeds.end());
    std::vector<Result<RunResult>> refs(seeds.size(), Result<RunResult>(Error{}));
    parallel_for(seeds.size(), options.threads, [&](std::size_t j) {
      Scenario sc = scenario;
      sc.seed = seeds[j];
      auto none = factory(PolicySpec{"none", {}, {}});
      refs[j] = none ? simulate(sc, **none) : Result<RunResult>(none.error());
    });
    for (std::size_t j = 0; j < seeds.size(); ++j) {
      if (!refs[j]) return make_error("reference run (none, seed {}): {}", seeds[j], refs[j].message());
      reference.emplace(seeds[j], std::move(*refs[j]));
    }
  }
  std::vector<std::size_t> closed;
  for (std::size_t i = 0; i < scenario.sources.size(); ++i)
    if (is_closed_loop(scenario.sources[i])) closed.push_back(i);

  // Workers take points in order; the calling thread emits rows in order as they finish.
  std::vector<std::optional<Result<SweepRow>>> done(mine.size());
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  auto work = [&] {
    for (std::size_t j = next.fetch_add(1); j < mine.size() && !stop.load(); j = next.fetch_add(1)) {
      const SweepPoint& point = (*all)[mine[j]];
      Scenario sc = scenario;
      sc.seed = point.seed;
      Result<SweepRow> row = Error{};
      auto policy = factory(point.spec);
      auto r = policy ? simulate(sc, **policy) : Result<RunResult>(policy.error());
      if (!r) {
        row = make_error("grid point {} ({}, seed {}): {}", point.index, point.spec.to_string(), point.seed, r.message());
      } else {
        SweepRow out;
        out.point = point;
        const RunResult& ref = reference.at(point.seed);
        const Nanos window = common_window_end_ns({&*r, &ref});
        out.total = summarize(*r, r->total, &ref.total, true, sc.vcpus, window);
        for (std::size_t i = 0; i < sc.sources.size(); ++i)
          out.sources.emplace_back(sc.sources[i].name, summarize(*r, r->sources[i], &ref.sources[i], false, sc.vcpus, window));
        for (std::size_t i : closed) out.throughput.emplace_back(sc.sources[i].name, throughput_per_s(*r, r->sources[i]));
        row = std::move(out);
      }
      std::lock_guard<std::mutex> g(mu);
      done[j] = std::move(row);
      cv.notify_all();
    }
  };
  unsigned threads = options.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : options.threads;
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(mine.size(), 1)));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work);
  Status status;
  for (std::size_t j = 0; j < mine.size(); ++j) {
    std::optional<Result<SweepRow>> row;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done[j].has_value(); });
      row = std::move(done[j]);
      done[j].reset();
    }
    if (!*row) {
      status = row->error();
      stop.store(true);
      break;
    }
    if (options.on_row) options.on_row(row->value());
    if (options.on_progress) options.on_progress(j + 1, mine.size());
  }
  for (std::thread& t : pool) t.join();
  return status;
}

std::string sweep_csv_header(const std::vector<GridAxis>& grid, const Scenario& scenario, bool per_source) {
  std::string h = "index,spec";
  for (const GridAxis& a : grid)
    if (a.key != "seed") h += fmt::format(",{}", csv_field(a.key));
  h += ",seed,interrupts_per_s,events_per_interrupt,lat_p50_ns,lat_p99_ns,lat_p999_ns,added_p50_ns,added_p99_ns,"
       "added_p999_ns,irq_cpu_fraction,exits_per_s";
  for (const SourceSpec& s : scenario.sources)
    if (is_closed_loop(s)) h += fmt::format(",{}", csv_field(s.name + "_throughput_per_s"));
  if (per_source)
    for (const SourceSpec& s : scenario.sources)
      h += fmt::format(",{},{}", csv_field(s.name + "_lat_p99_ns"), csv_field(s.name + "_added_p99_ns"));
  return h + "\n";
}

std::string sweep_csv_row(const SweepRow& row, bool per_source) {
  const Summary& s = row.total;
  std::string line = fmt::format("{},{}", row.point.index, csv_field(row.point.spec.to_string()));
  for (const auto& [k, v] : row.point.params)
    if (k != "seed") line += fmt::format(",{}", csv_field(v));
  line += fmt::format(",{},{:.1f},{:.4f},{:.0f},{:.0f},{:.0f},{},{},{},{:.6f},{:.1f}", row.point.seed, s.interrupts_per_s,
                      s.events_per_interrupt, s.p50_ns, s.p99_ns, s.p999_ns, fmt_opt(s.added_p50_ns),
                      fmt_opt(s.added_p99_ns), fmt_opt(s.added_p999_ns), s.irq_cpu_fraction, s.exits_per_s);
  for (const auto& [name, v] : row.throughput) line += fmt::format(",{:.1f}", v);
  if (per_source)
    for (const auto& [name, m] : row.sources) line += fmt::format(",{:.0f},{}", m.p99_ns, fmt_opt(m.added_p99_ns));
  return line + "\n";
}

nlohmann::ordered_json sweep_json_row(const SweepRow& row) {
  using json = nlohmann::ordered_json;
  const Summary& s = row.total;
  json params = json::object();
  for (const auto& [k, v] : row.point.params) params[k] = v;
  json tp = json::object();
  for (const auto& [name, v] : row.throughput) tp[name] = v;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  auto latencies = [&](const Summary& m) {
    return std::pair{json{{"p50", m.p50_ns}, {"p99", m.p99_ns}, {"p999", m.p999_ns}, {"max", m.max_ns}},
                     json{{"p50", opt(m.added_p50_ns)}, {"p99", opt(m.added_p99_ns)}, {"p999", opt(m.added_p999_ns)}}};
  };
  json sources = json::object();
  for (const auto& [name, m] : row.sources) {
    auto [lat, added] = latencies(m);
    sources[name] = json{{"interrupts_per_s", m.interrupts_per_s},
                         {"events_per_interrupt", m.events_per_interrupt},
                         {"latency_ns", std::move(lat)},
                         {"added_latency_ns", std::move(added)},
                         {"irq_cpu_fraction", m.irq_cpu_fraction}};
  }
  auto [lat, added] = latencies(s);
  return json{{"index", row.point.index},
              {"spec", row.point.spec.to_string()},
              {"params", std::move(params)},
              {"seed", row.point.seed},
              {"interrupts_per_s", s.interrupts_per_s},
              {"events_per_interrupt", s.events_per_interrupt},
              {"latency_ns", std::move(lat)},
              {"added_latency_ns", std::move(added)},
              {"irq_cpu_fraction", s.irq_cpu_fraction},
              {"exits_per_s", s.exits_per_s},
              {"throughput_per_s", std::move(tp)},
              {"sources", std::move(sources)}};
}

}  // namespace irqshape::sim
