// Reports: the JSON schema's invariants (what the HTML report will rely on), CSV shape,
// the Perfetto timeline, the table.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "sim/perfetto_writer.h"
#include "sim/report.h"
#include "sim_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;
using json = nlohmann::ordered_json;

Comparison compare(const Scenario& sc, std::optional<TraceWindow> trace = std::nullopt) {
  CompareOptions o;
  o.trace = trace;
  auto c = compare_policies(sc, {*parse_policy_spec("test-coalesce:count=8,timeout-us=50")}, o, test_factory);
  EXPECT_TRUE(c) << (c ? "" : c.message());
  return std::move(*c);
}

TEST(Report, JsonHasTheDocumentedShape) {
  const Scenario sc = mixed_scenario(20 * kMs);
  const Comparison c = compare(sc);
  ASSERT_EQ(c.runs.size(), 2u);
  EXPECT_TRUE(c.runs[0].reference_only);  // none was added as the reference
  const json j = to_json(sc, c, ReportContext{"irqshape test", "demo", ""});
  EXPECT_EQ(j["schema_version"], kJsonSchemaVersion);
  EXPECT_EQ(j["reference_policy"], "none");
  const std::size_t nq = j["latency_quantiles"].size();
  EXPECT_EQ(nq, cdf_quantiles().size());
  EXPECT_EQ(j["scenario"]["sources"].size(), sc.sources.size());
  const std::size_t bins = j["series_bins"];
  EXPECT_GT(bins, 0u);
  EXPECT_EQ(j["series_bin_ns"], series_bin_for(sc.duration_ns));
  ASSERT_EQ(j["policies"].size(), 2u);
  for (const auto& p : j["policies"]) {
    EXPECT_EQ(p["total"]["latency_ns"]["cdf"].size(), nq);
    EXPECT_TRUE(p["total"]["interrupts_per_s"].is_number());
    EXPECT_TRUE(p["total"]["exits"]["total"].is_number());
    ASSERT_EQ(p["sources"].size(), sc.sources.size());
    for (const auto& s : p["sources"]) {
      EXPECT_EQ(s["latency_ns"]["cdf"].size(), nq);
      const auto& cdf = s["latency_ns"]["cdf"];
      for (std::size_t i = 1; i < cdf.size(); ++i) EXPECT_LE(cdf[i - 1].get<double>(), cdf[i].get<double>());
    }
    EXPECT_EQ(p["series"]["interrupts"]["by_source"].size(), sc.sources.size());
    EXPECT_EQ(p["series"]["interrupts"]["total"].size(), bins);
    EXPECT_EQ(p["series"]["events"]["by_source"][0].size(), bins);
    EXPECT_EQ(p["vcpus"].size(), sc.vcpus);
  }
  EXPECT_TRUE(j["policies"][0]["total"]["added_latency_ns"].is_null());   // the reference itself
  EXPECT_TRUE(j["policies"][1]["total"]["added_latency_ns"]["p99"].is_number());
  EXPECT_TRUE(j["policies"][1]["sources"][1]["requests"]["throughput_per_s"].is_number());  // blk: closed loop
  EXPECT_TRUE(j["policies"][1]["sources"][0]["requests"].is_null());
  // A series sums to the count it bins.
  std::uint64_t sum = 0;
  for (const auto& v : j["policies"][1]["series"]["interrupts"]["total"]) sum += v.get<std::uint64_t>();
  EXPECT_EQ(sum, j["policies"][1]["total"]["interrupts"].get<std::uint64_t>());
}

TEST(Report, CsvHasARowPerPolicyAndSourcePlusTotals) {
  const Scenario sc = mixed_scenario(10 * kMs);
  const std::string csv = to_csv(sc, compare(sc));
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  const int columns = csv_fields(line);
  std::vector<std::string> header;
  {
    std::istringstream h(line);
    for (std::string f; std::getline(h, f, ',');) header.push_back(f);
  }
  const auto added_p99 = std::find(header.begin(), header.end(), "added_p99_ns") - header.begin();
  ASSERT_LT(added_p99, static_cast<long>(header.size()));
  int rows = 0, totals = 0;
  while (std::getline(in, line)) {
    ++rows;
    EXPECT_EQ(csv_fields(line), columns) << line;
    totals += line.find(",total,") != std::string::npos;
    // The reference run is not compared with itself: its "added" cells are empty, as the
    // JSON's added_latency_ns is null; the other run's are numbers.
    std::vector<std::string> cells;
    std::istringstream r(line);
    for (std::string f; std::getline(r, f, ',');) cells.push_back(f);
    ASSERT_GT(cells.size(), static_cast<std::size_t>(added_p99)) << line;
    if (line.starts_with("none,")) {
      EXPECT_EQ(cells[added_p99], "") << line;
    } else if (line.find(",total,") != std::string::npos) {
      EXPECT_NE(cells[added_p99], "") << line;
    }
  }
  EXPECT_EQ(rows, 2 * static_cast<int>(sc.sources.size() + 1));
  EXPECT_EQ(totals, 2);
}

// Interrupt work continues while a run drains, so CPU fractions are shares of a window
// that reaches the latest end_ns of the runs compared: none exceeds 1 (a one-interrupt
// trace used to show 70000 %), and every policy's fraction has the same denominator (a
// policy that holds its last events for a second must not look cheap by dividing its
// work by that second while the others divide by their own 10 ms).
TEST(Report, IrqCpuFractionsShareTheComparisonsWindow) {
  const Scenario sc = mixed_scenario(10 * kMs);
  auto compared = compare_policies(sc, {*parse_policy_spec("test-coalesce:count=1000000,timeout-us=500000")},
                                   CompareOptions{}, test_factory);
  ASSERT_TRUE(compared) << compared.message();
  const Comparison& c = *compared;
  ASSERT_EQ(c.runs.size(), 2u);
  const RunResult& none = c.runs[0].result;
  const RunResult& held = c.runs[1].result;
  ASSERT_GT(held.end_ns, none.end_ns + 400 * kMs) << "the static run should drain for half a second";
  const Nanos window = common_window_end_ns(c);
  EXPECT_EQ(window, held.end_ns);
  const std::string table = format_table(sc, c);
  for (const PolicyRun& run : c.runs) {
    const RunResult& r = run.result;
    const Summary t = summarize(r, r.total, nullptr, true, sc.vcpus, window);
    EXPECT_DOUBLE_EQ(t.irq_cpu_fraction,
                     static_cast<double>(r.total.irq_ns) / (static_cast<double>(window) * sc.vcpus));
    EXPECT_NE(table.find(fmt::format("{:>7.1f}%", 100.0 * t.irq_cpu_fraction)), std::string::npos) << table;
    for (const SourceMetrics& m : r.sources) {
      const Summary s = summarize(r, m, nullptr, false, sc.vcpus, window);
      EXPECT_DOUBLE_EQ(s.irq_cpu_fraction, static_cast<double>(m.irq_ns) / static_cast<double>(window));
      EXPECT_LE(s.irq_cpu_fraction, 1.0);
    }
  }
}

TEST(Report, PerfettoTimelineHasTracksSpansAndCounters) {
  const Scenario sc = mixed_scenario(10 * kMs);
  const Comparison c = compare(sc, TraceWindow{0, 5 * kMs, 1'000'000});
  std::ostringstream out;
  write_perfetto(out, sc, c);
  const json j = json::parse(out.str());
  std::set<std::string> threads, cats, phases;
  bool held = false, counter = false;
  for (const auto& e : j["traceEvents"]) {
    phases.insert(e["ph"].get<std::string>());
    if (e["ph"] == "M" && e["name"] == "thread_name") threads.insert(e["args"]["name"].get<std::string>());
    if (e.contains("cat")) cats.insert(e["cat"].get<std::string>());
    if (e["ph"] == "X" && e["name"] == "held") held = true;
    if (e["ph"] == "C") counter = true;
    if (e.contains("ts")) {
      EXPECT_LE(e["ts"].get<double>(), 10'000.0);
    }
  }
  EXPECT_TRUE(threads.count("vCPU 0") && threads.count("vCPU 1") && threads.count("source blk"));
  EXPECT_TRUE(cats.count("isr"));
  EXPECT_TRUE(held);  // the coalescer's windows
  EXPECT_TRUE(counter);
  EXPECT_TRUE(phases.count("i"));
}

// A window that starts mid-run, inside a handler: counters start at the window's start,
// not at the start of the series bin it falls in, and the handler running at that instant
// is drawn (it began before the window; a halted span in its place always was).
TEST(Report, PerfettoWindowStartingInsideAHandler) {
  const Scenario sc = mixed_scenario(10 * kMs);
  const Comparison whole = compare(sc, TraceWindow{0, 10 * kMs, 1'000'000});
  const auto& isrs = whole.runs[1].trace->isrs;
  const auto inside = std::find_if(isrs.begin(), isrs.end(), [](const TraceRecorder::Isr& e) {
    return e.start > 3 * kMs && e.end - e.start > 10;
  });
  ASSERT_NE(inside, isrs.end());
  const Nanos start = inside->start + 5;  // runs are deterministic: the same handler runs then
  const Comparison c = compare(sc, TraceWindow{start, 2 * kMs, 1'000'000});
  const auto& kept = c.runs[1].trace->isrs;
  EXPECT_TRUE(std::any_of(kept.begin(), kept.end(), [&](const TraceRecorder::Isr& e) {
    return e.start == inside->start && e.end == inside->end && e.cpu == inside->cpu;
  })) << "the handler running at the window's start is missing";
  std::ostringstream out;
  write_perfetto(out, sc, c);
  const json j = json::parse(out.str());
  const double start_us = static_cast<double>(start) / 1e3;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "C") {
      EXPECT_GE(e["ts"].get<double>(), start_us) << e.dump();
    }
  }
}

// The adapter's telemetry lists its first steps only: a window past the last listed one
// must not draw the final value as if it had held all along; one that starts before it
// draws the value in force then and the steps up to the last listed.
TEST(Report, PerfettoAdapterTracksEndWhereTheListedStepsEnd) {
  const Scenario sc = mixed_scenario(10 * kMs);
  Comparison c;
  for (Nanos start : {2 * kMs, 4 * kMs}) {
    PolicyRun run;
    run.spec = *parse_policy_spec("none");
    run.result.telemetry_json =
        R"({"adapter":{"sources":[{"source":0,"name":"net","time_ns":9000,"changes":7}],"steps":[)"
        R"({"t_ns":1000000,"source":0,"old_time_ns":1000,"new_time_ns":2000},)"
        R"({"t_ns":3000000,"source":0,"old_time_ns":2000,"new_time_ns":3000}],"steps_omitted":5}})";
    run.trace = std::make_unique<TraceRecorder>(TraceWindow{start, 4 * kMs, 1000});
    c.runs.push_back(std::move(run));
  }
  std::ostringstream out;
  write_perfetto(out, sc, c);
  const json j = json::parse(out.str());
  std::vector<std::pair<double, double>> drawn[2];
  int notes[2] = {0, 0};
  for (const auto& e : j["traceEvents"]) {
    const int run = e.value("pid", 0) - 1;
    if (run < 0 || run > 1) continue;
    if (e["ph"] == "C" && e["name"] == "net coalescing time (us)") {
      drawn[run].emplace_back(e["ts"].get<double>(), e["args"].begin()->get<double>());
    }
    if (e["ph"] == "i" && e["name"] == "adapter steps not listed") {
      ++notes[run];
      EXPECT_EQ(e["ts"].get<double>(), run == 0 ? 3000.0 : 4000.0);
      EXPECT_EQ(e["args"]["steps_omitted"], 5);
    }
  }
  EXPECT_EQ(drawn[0], (std::vector<std::pair<double, double>>{{2000.0, 2.0}, {3000.0, 3.0}}));
  EXPECT_TRUE(drawn[1].empty()) << "drew " << drawn[1].size() << " values past the listed steps";
  EXPECT_EQ(notes[0], 1);
  EXPECT_EQ(notes[1], 1);
}

TEST(Report, PerfettoEventCapIsHonouredAndNoted) {
  const Scenario sc = mixed_scenario(10 * kMs);
  const Comparison c = compare(sc, TraceWindow{0, 10 * kMs, 200});
  for (const PolicyRun& r : c.runs) {
    EXPECT_LE(r.trace->recorded(), 200u);
    EXPECT_TRUE(r.trace->capped);
  }
  std::ostringstream out;
  write_perfetto(out, sc, c);
  EXPECT_NE(out.str().find("\"capped\":true"), std::string::npos);
}

TEST(Report, TableListsEveryPolicyAndEveryClosedLoopSource) {
  const Scenario sc = mixed_scenario(10 * kMs);
  const std::string t = format_table(sc, compare(sc), TableOptions{true});
  EXPECT_NE(t.find("none"), std::string::npos);
  EXPECT_NE(t.find("test-coalesce:count=8,timeout-us=50"), std::string::npos);
  EXPECT_NE(t.find("blk IOPS"), std::string::npos);
  EXPECT_NE(t.find("lvl-b (other, ioapic, vCPU 1)"), std::string::npos);
  EXPECT_NE(t.find("after source \"lvl-a\" (p=0.8)"), std::string::npos) << t;  // the leader by name
}

// Two specs that differ only in their last parameter are both shown whole, and every row
// of the table keeps the header's columns.
TEST(Report, TableShowsLongPolicySpecsWhole) {
  const Scenario sc = mixed_scenario(5 * kMs);
  CompareOptions o;
  auto c = compare_policies(sc,
                            {*parse_policy_spec("test-coalesce:count=8,timeout-us=50"),
                             *parse_policy_spec("test-coalesce:count=8,timeout-us=90")},
                            o, test_factory);
  ASSERT_TRUE(c) << c.message();
  const std::string t = format_table(sc, *c);
  EXPECT_NE(t.find("\ntest-coalesce:count=8,timeout-us=50 "), std::string::npos) << t;
  EXPECT_NE(t.find("\ntest-coalesce:count=8,timeout-us=90 "), std::string::npos) << t;
  std::istringstream lines(t);
  std::string line;
  std::size_t header_end = std::string::npos, rows = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("policy ", 0) == 0) header_end = line.find("irq/s") + 5;
    if (line.rfind("test-coalesce", 0) == 0 || line.rfind("none ", 0) == 0) {
      ASSERT_NE(header_end, std::string::npos);
      EXPECT_EQ(line.find(' ', line.find_first_not_of(' ', line.find(' '))), header_end) << line;  // irq/s ends there
      ++rows;
    }
  }
  EXPECT_EQ(rows, 3u);
}

}  // namespace
}  // namespace irqshape::sim
