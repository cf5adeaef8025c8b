// Sweeps: grid order, shards that partition the grid, results independent of the
// number of threads, bad values rejected before anything runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "sim/sweep.h"
#include "sim_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;

std::vector<GridAxis> grid(std::initializer_list<const char*> axes) {
  std::vector<GridAxis> g;
  for (const char* a : axes) g.push_back(*parse_grid_axis(a));
  return g;
}

TEST(Sweep, ParsesAxesAndShards) {
  auto a = parse_grid_axis("rx-frames=1,4,16");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->key, "rx-frames");
  EXPECT_EQ(a->values, (std::vector<std::string>{"1", "4", "16"}));
  for (const char* bad : {"rx-frames", "=1,2", "rx-frames=", "rx-frames=1,,2", "seed=1,x"})
    EXPECT_FALSE(parse_grid_axis(bad)) << bad;
  auto s = parse_shard("2/8");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->k, 2u);
  EXPECT_EQ(s->n, 8u);
  for (const char* bad : {"0/4", "5/4", "1/0", "3", "a/b", "1/4x"}) EXPECT_FALSE(parse_shard(bad)) << bad;
}

TEST(Sweep, GridOrderHasTheLastAxisFastest) {
  auto pts = enumerate_grid(*parse_policy_spec("static"), grid({"a=1,2", "b=x,y,z"}), 5);
  ASSERT_TRUE(pts);
  ASSERT_EQ(pts->size(), 6u);
  EXPECT_EQ((*pts)[0].spec.to_string(), "static:a=1,b=x");
  EXPECT_EQ((*pts)[1].spec.to_string(), "static:a=1,b=y");
  EXPECT_EQ((*pts)[3].spec.to_string(), "static:a=2,b=x");
  EXPECT_EQ((*pts)[5].seed, 5u);
  auto seeds = enumerate_grid(*parse_policy_spec("none"), grid({"seed=3,4"}), 1);
  ASSERT_TRUE(seeds);
  EXPECT_EQ((*seeds)[1].seed, 4u);
  EXPECT_EQ((*seeds)[1].spec.to_string(), "none");
  EXPECT_FALSE(enumerate_grid(*parse_policy_spec("static:a=1"), grid({"a=2"}), 1));
  EXPECT_FALSE(enumerate_grid(*parse_policy_spec("static"), grid({"a=1", "a=2"}), 1));
}

TEST(Sweep, ShardsPartitionTheGrid) {
  for (std::size_t total : {1u, 7u, 12u, 100u}) {
    for (unsigned n : {1u, 2u, 3u, 8u}) {
      std::multiset<std::size_t> seen;
      for (unsigned k = 1; k <= n; ++k)
        for (std::size_t i : shard_indices(total, Shard{k, n})) {
          EXPECT_EQ(i % n, k - 1);
          seen.insert(i);
        }
      ASSERT_EQ(seen.size(), total);
      for (std::size_t i = 0; i < total; ++i) EXPECT_EQ(seen.count(i), 1u);
    }
  }
}

std::vector<std::string> run(const Scenario& sc, const std::vector<GridAxis>& g, unsigned threads, Shard shard) {
  std::vector<std::string> rows;
  SweepOptions o;
  o.threads = threads;
  o.shard = shard;
  o.on_row = [&](const SweepRow& r) { rows.push_back(sweep_csv_row(r)); };
  const Status st = run_sweep(sc, *parse_policy_spec("test-coalesce"), g, o, test_factory);
  EXPECT_TRUE(st) << st.message();
  return rows;
}

TEST(Sweep, RowsDoNotDependOnThreadsAndShardsRecombineToTheWhole) {
  const Scenario sc = mixed_scenario(5 * kMs);
  const auto g = grid({"count=1,4,16", "timeout-us=10,100", "seed=1,2"});
  const auto whole = run(sc, g, 1, Shard{});
  ASSERT_EQ(whole.size(), 12u);
  EXPECT_EQ(run(sc, g, 2, Shard{}), whole);
  std::vector<std::string> joined;
  for (unsigned k = 1; k <= 3; ++k) {
    const auto part = run(sc, g, 2, Shard{k, 3});
    joined.insert(joined.end(), part.begin(), part.end());
  }
  auto index = [](const std::string& row) { return std::stoul(row.substr(0, row.find(','))); };
  std::sort(joined.begin(), joined.end(), [&](const auto& a, const auto& b) { return index(a) < index(b); });
  EXPECT_EQ(joined, whole);
}

TEST(Sweep, ABadValueFailsBeforeAnyRun) {
  const Scenario sc = mixed_scenario(5 * kMs);
  SweepOptions o;
  int rows = 0;
  o.on_row = [&](const SweepRow&) { ++rows; };
  const Status st = run_sweep(sc, *parse_policy_spec("test-coalesce"), grid({"count=4,0"}), o, test_factory);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("grid point 1"), std::string::npos) << st.message();
  EXPECT_EQ(rows, 0);
}

TEST(Sweep, MoreCoalescingMeansFewerInterruptsAndMoreLatency) {
  const Scenario sc = mixed_scenario(10 * kMs);
  std::vector<SweepRow> rows;
  SweepOptions o;
  o.on_row = [&](const SweepRow& r) { rows.push_back(r); };
  ASSERT_TRUE(run_sweep(sc, *parse_policy_spec("test-coalesce:timeout-us=100"), grid({"count=1,8"}), o, test_factory));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_LT(rows[1].total.interrupts_per_s, rows[0].total.interrupts_per_s / 2);
  EXPECT_GT(rows[1].total.events_per_interrupt, 2.0);
  EXPECT_GT(*rows[1].total.added_p50_ns, *rows[0].total.added_p50_ns);
  EXPECT_EQ(rows[0].throughput.size(), 1u);  // blk
  EXPECT_EQ(rows[0].throughput[0].first, "blk");
}

TEST(Sweep, CsvQuotesFieldsWithCommasOrQuotes) {
  EXPECT_EQ(csv_field("nvme0q1"), "nvme0q1");
  EXPECT_EQ(csv_field("blk:254,0"), "\"blk:254,0\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
}

// A trace's block source is named "blk:MAJOR,MINOR": its throughput column must stay one
// field, so that the header has as many fields as every row.
TEST(Sweep, CsvHeaderAndRowsHaveTheSameFieldsWhenANameHasAComma) {
  Scenario sc = mixed_scenario(5 * kMs);
  bool renamed = false;
  for (SourceSpec& s : sc.sources)
    if (is_closed_loop(s)) {
      s.name = "blk:254,0";
      renamed = true;
    }
  ASSERT_TRUE(renamed);
  const auto g = grid({"count=1,4", "timeout-us=10"});
  const std::string header = sweep_csv_header(g, sc);
  EXPECT_NE(header.find(",\"blk:254,0_throughput_per_s\"\n"), std::string::npos) << header;
  const auto rows = run(sc, g, 1, Shard{});
  ASSERT_EQ(rows.size(), 2u);
  for (const std::string& row : rows) {
    EXPECT_EQ(csv_fields(row), csv_fields(header)) << header << row;
    EXPECT_EQ(row.rfind(fmt::format("{},\"test-coalesce:count=", row.substr(0, row.find(','))), 0), 0u) << row;
  }
}

// Each row carries every source's results against that source under none: in scenario
// order, adding up to the total, in the JSON "sources" object, and with --per-source in
// two CSV columns per source.
TEST(Sweep, RowsCarryEverySourcesResults) {
  const Scenario sc = mixed_scenario(10 * kMs);
  std::vector<SweepRow> rows;
  SweepOptions o;
  o.on_row = [&](const SweepRow& r) { rows.push_back(r); };
  const auto g = grid({"count=1,8"});
  ASSERT_TRUE(run_sweep(sc, *parse_policy_spec("test-coalesce:timeout-us=100"), g, o, test_factory));
  ASSERT_EQ(rows.size(), 2u);
  for (const SweepRow& row : rows) {
    ASSERT_EQ(row.sources.size(), sc.sources.size());
    double interrupts = 0, cpu = 0;
    for (std::size_t i = 0; i < sc.sources.size(); ++i) {
      EXPECT_EQ(row.sources[i].first, sc.sources[i].name);
      interrupts += row.sources[i].second.interrupts_per_s;
      cpu += row.sources[i].second.irq_cpu_fraction;
    }
    EXPECT_NEAR(interrupts, row.total.interrupts_per_s, 1e-6 * row.total.interrupts_per_s);
    EXPECT_NEAR(cpu / sc.vcpus, row.total.irq_cpu_fraction, 1e-9);  // a source's fraction is of one vCPU

    const auto j = sweep_json_row(row);
    ASSERT_EQ(j.at("sources").size(), sc.sources.size());
    for (const auto& [name, m] : row.sources) {
      EXPECT_EQ(j.at("sources").at(name).at("latency_ns").at("p99").get<double>(), m.p99_ns) << name;
      EXPECT_EQ(j.at("sources").at(name).at("interrupts_per_s").get<double>(), m.interrupts_per_s) << name;
    }

    const std::string header = sweep_csv_header(g, sc, true);
    const std::string line = sweep_csv_row(row, true);
    const auto names = csv_split(header), values = csv_split(line);
    ASSERT_EQ(values.size(), names.size()) << header << line;
    EXPECT_EQ(csv_fields(sweep_csv_row(row)), csv_fields(sweep_csv_header(g, sc)));
    const auto at = std::find(names.begin(), names.end(), "net_lat_p99_ns") - names.begin();
    ASSERT_LT(static_cast<std::size_t>(at), names.size()) << header;
    EXPECT_EQ(values[static_cast<std::size_t>(at)], fmt::format("{:.0f}", row.sources[0].second.p99_ns));
    EXPECT_EQ(names[static_cast<std::size_t>(at) + 1], "net_added_p99_ns");
  }
  // Coalescing 8 adds latency to the busy net source (the first) and takes interrupts away.
  EXPECT_GT(*rows[1].sources[0].second.added_p50_ns, *rows[0].sources[0].second.added_p50_ns);
  EXPECT_LT(rows[1].sources[0].second.interrupts_per_s, rows[0].sources[0].second.interrupts_per_s / 2);
}

}  // namespace
}  // namespace irqshape::sim
