// Periodic telemetry through the driver: period deltas, the hold histogram across its
// 32-bit wrap, and the three export formats.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "isd/config.h"
#include "isd/telemetry.h"
#include "isd_test_support.h"

namespace irqshape::isd {
namespace {

namespace regs = isu::regs;
using harness::LoadShape;
using harness::ModelHarness;
using harness::SyntheticLoad;
using testing::example_platform;
using testing::TamperingWindow;

class TelemetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = load_config("examples/nic-nvme.toml");
    ASSERT_TRUE(c.ok()) << c.message();
    ASSERT_TRUE(driver.apply(*c, platform).ok());
  }
  ModelHarness model;
  Driver driver{model.window()};
  SourceMap platform = example_platform();
  SyntheticLoad load{{{0, LoadShape::poisson, {{0, 200'000}}}, {1, LoadShape::bursty, {{0, 50'000}}, 4, 1'000}}, 11};
};

TEST_F(TelemetryTest, PeriodsCarryDeltasRatesAndQuantiles) {
  TelemetryCollector collector(&platform);
  const Period first = collector.sample(driver);
  model.run(load, 10'000'000);
  const Period p = collector.sample(driver);
  EXPECT_EQ(p.index, 1u);
  EXPECT_EQ(p.end_ns, 10'000'000u);
  EXPECT_EQ(p.start_ns, first.end_ns);
  ASSERT_GE(p.sources.size(), 2u);
  const SourcePeriod& nic = p.sources[0];
  EXPECT_EQ(nic.name, "eth0-TxRx-0");
  EXPECT_EQ(nic.delta.in, model.stats(0).arrivals);
  EXPECT_EQ(nic.delta.out, model.stats(0).interrupts);
  EXPECT_NEAR(nic.in_per_s, 200'000, 20'000);
  EXPECT_GT(nic.events_per_interrupt, 2.0);
  EXPECT_GT(nic.hold_p99_ns, 0);
  EXPECT_LE(nic.hold_p99_ns, 50'000.0) << "rx-usecs 50 bounds every hold";
  EXPECT_EQ(nic.coal_time_ns, 50'000u) << "live settings read back";
  std::uint64_t histogram = 0;
  for (const std::uint64_t c : nic.hold_delta) histogram += c;
  EXPECT_EQ(histogram, nic.delta.events) << "every delivered event is in the histogram once";
  // A quiet period: deltas drop to what arrived since.
  const Period quiet = collector.sample(driver);
  EXPECT_EQ(quiet.sources[0].delta.in, 0u);
  EXPECT_EQ(quiet.sources[0].total.in, nic.total.in);
}

// A source that holds nothing (hpet: no coalescing, no storm guard) has every event in
// the first hold bucket and TEL_HOLD_MAX 0: its quantiles are 0, not the middle of the
// bucket (they read 512 ns and 1013.76 ns, and the summary printed a 1 us p99 hold).
TEST_F(TelemetryTest, ASourceThatHoldsNothingHasNoHold) {
  TelemetryCollector collector(&platform);
  (void)collector.sample(driver);
  SyntheticLoad timer{{{2, LoadShape::periodic, {{0, 1'000}}}}, 3};
  model.run(timer, 10'000'000);
  const Period p = collector.sample(driver);
  const SourcePeriod& hpet = p.sources.at(2);
  ASSERT_EQ(hpet.name, "hpet");
  ASSERT_GT(hpet.delta.events, 5u);
  EXPECT_EQ(hpet.hold_delta[0], hpet.delta.events);
  EXPECT_EQ(hpet.total.hold_max_ns, 0u);
  EXPECT_EQ(hpet.hold_p50_ns, 0.0);
  EXPECT_EQ(hpet.hold_p99_ns, 0.0);
  EXPECT_EQ(hold_quantile_bound(hpet.hold_total, 0.99, hpet.total.hold_max_ns), 0.0);
}

TEST(TelemetryCollector, HoldBucketsAreDifferencedModulo2To32) {
  TelemetryCollector collector;
  TelemetrySnapshot a, b;
  a.sources.push_back(SourceTelemetry{});
  a.sources[0].hold[3] = 0xFFFF'FFF0u;
  a.unit.now = 1'000;
  b = a;
  b.sources[0].hold[3] = 0x10u;  // wrapped
  b.unit.now = 2'000;
  const Program none;
  (void)collector.sample(a, none);
  const Period p = collector.sample(b, none);
  EXPECT_EQ(p.sources[0].hold_delta[3], 0x20u);
  EXPECT_EQ(p.sources[0].hold_total[3], std::uint64_t{0xFFFF'FFF0u} + 0x20u) << "64-bit running total keeps counting past the wrap";
}

// A counter that went down was cleared (CLEAR_TELEMETRY, a reset): its value is the
// delta - for the unit's 32-bit PM_DROPPED and UNSHAPED_IN too, and for the hold buckets
// when the source's TEL_IN went down.
TEST(TelemetryCollector, ACounterThatWentDownWasCleared) {
  TelemetryCollector collector;
  TelemetrySnapshot a, b;
  a.unit.now = 1'000;
  a.unit.pm_dropped = 100;
  a.unit.unshaped_in = 50;
  a.sources.push_back(SourceTelemetry{});
  a.sources[0].in = 1'000;
  a.sources[0].hold[0] = 900;
  b = a;
  b.unit.now = 2'000;
  b.unit.pm_dropped = 3;
  b.unit.unshaped_in = 2;
  b.sources[0].in = 10;
  b.sources[0].hold[0] = 10;
  const Program none;
  (void)collector.sample(a, none);
  const Period p = collector.sample(b, none);
  EXPECT_EQ(p.pm_dropped_delta, 3u);
  EXPECT_EQ(p.unshaped_delta, 2u);
  EXPECT_EQ(p.sources[0].delta.in, 10u);
  EXPECT_EQ(p.sources[0].hold_delta[0], 10u);
}

// The hold histogram's _sum and _count run together: a CLEAR_TELEMETRY between two
// samples resets neither (_sum was TEL_HOLD_SUM as read, which dropped).
TEST(TelemetryCollector, HoldSumAndCountSurviveAClearTogether) {
  TelemetryCollector collector;
  TelemetrySnapshot a, b;
  a.unit.now = 1'000;
  a.sources.push_back(SourceTelemetry{});
  a.sources[0].in = a.sources[0].events = 10;
  a.sources[0].hold[0] = 10;
  a.sources[0].hold_sum_ns = 5'000;
  b = a;
  b.unit.now = 2'000;
  b.sources[0].in = b.sources[0].events = 4;  // cleared, then 4 more
  b.sources[0].hold[0] = 4;
  b.sources[0].hold_sum_ns = 2'000;
  const Program none;
  (void)collector.sample(a, none);
  const Period p = collector.sample(b, none);
  EXPECT_EQ(p.sources[0].hold_total[0], 14u);
  EXPECT_EQ(p.sources[0].hold_sum_total, 7'000u);
  const std::string text = to_prometheus(p);
  const std::string sum_line = "irqshape_isu_hold_seconds_sum{source=\"id=0\",id=\"0\"} ";
  const std::size_t at = text.find(sum_line);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NEAR(std::stod(text.substr(at + sum_line.size())), 7e-06, 1e-15);
  EXPECT_NE(text.find("irqshape_isu_hold_seconds_count{source=\"id=0\",id=\"0\"} 14\n"), std::string::npos) << text;
}

// The partial-match warning quotes the unit's CAP_PARTIALS, not the model's constant.
TEST(TelemetryCollector, PartialMatchWarningQuotesTheProbedCapPartials) {
  ModelHarness model;
  TamperingWindow small(model.window());  // a unit with 16 partial matches that dropped 5
  std::uint32_t dropped = 0;
  small.on_read = [&](std::uint32_t offset, std::uint32_t& v) {
    if (offset == regs::CAP_PARTIALS) v = 16;
    if (offset == regs::PM_DROPPED) v = dropped;
    return false;
  };
  Driver d(small);
  auto c = parse_config("[source.a]\nrx-usecs = 50\n", "a.toml");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(d.apply(*c, SourceMap::from_names({"a"})).ok());
  TelemetryCollector collector;
  (void)collector.sample(d);
  dropped = 5;
  const Period p = collector.sample(d);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("5 partial matches dropped this period (CAP_PARTIALS 16 too small"), std::string::npos)
      << p.warnings[0];
}

TEST_F(TelemetryTest, JsonLinesRecord) {
  TelemetryCollector collector(&platform);
  (void)collector.sample(driver);
  model.run(load, 5'000'000);
  const nlohmann::json j = to_json(collector.sample(driver));
  EXPECT_EQ(j.at("period"), 1);
  EXPECT_EQ(j.at("t_ns"), 5'000'000);
  const auto& s = j.at("sources").at(0);
  for (const char* key : {"id", "name", "in", "out", "events", "coalesced", "deferred", "dropped", "pending", "delta",
                          "in_per_s", "out_per_s", "events_per_interrupt", "hold_p50_ns", "hold_p99_ns", "settings"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s.at("delta").at("hold_hist").size(), 16u);
  EXPECT_EQ(j.at("rules").size(), 3u);
  EXPECT_EQ(j.at("rules").at(2).at("name"), "io-completes-then-rx");
  EXPECT_EQ(j.at("patterns").at(0).at("sequence"), "nvme0 -> nic0 within 20us..200us");
}

TEST_F(TelemetryTest, PrometheusExposition) {
  TelemetryCollector collector(&platform);
  model.run(load, 5'000'000);
  const Period p = collector.sample(driver);
  const std::string text = to_prometheus(p);
  const SourcePeriod& nvme = p.sources[1];
  EXPECT_NE(text.find(fmt::format("irqshape_isu_interrupts_in_total{{source=\"nvme0q1\",id=\"1\"}} {}\n", nvme.total.in)),
            std::string::npos)
      << text.substr(0, 2000);
  EXPECT_NE(text.find("# TYPE irqshape_isu_hold_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find(fmt::format("irqshape_isu_hold_seconds_count{{source=\"nvme0q1\",id=\"1\"}} {}\n", nvme.total.events)),
            std::string::npos);
  // Bucket 0 is [0, 1024) ns and le is inclusive: le = 1023 ns.
  EXPECT_NE(text.find("irqshape_isu_hold_seconds_bucket{source=\"nvme0q1\",id=\"1\",le=\"1.023e-06\"}"), std::string::npos);
  EXPECT_NE(text.find("le=\"0.016777215\"}"), std::string::npos);
  // Every bound is a whole number of nanoseconds written as briefly as it can be
  // (4.095e-06, not the 4.095000000000001e-06 that multiplying by 1e-9 gave).
  for (std::size_t at = text.find(",le=\""); at != std::string::npos; at = text.find(",le=\"", at + 1)) {
    const std::string label = text.substr(at + 5, text.find('"', at + 5) - at - 5);
    if (label == "+Inf") continue;
    const double ns = std::round(std::stod(label) * 1e9);
    EXPECT_EQ(label, fmt::format("{}", ns / 1e9));
  }
  EXPECT_NE(text.find("irqshape_isu_rule_matches_total{rule=\"timer-is-periodic\",index=\"0\"}"), std::string::npos);
  // Every sample line is "name{labels} value" or "name value".
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_NE(line.find(' '), std::string::npos) << line;
  }
}

TEST_F(TelemetryTest, PerfettoCounterTracks) {
  std::ostringstream out;
  {
    exporter::TraceEventWriter w(out);
    PerfettoCounters counters(w);
    TelemetryCollector collector(&platform);
    for (std::uint64_t t = 1; t <= 3; ++t) {
      model.run(load, t * 2'000'000);
      counters.add(collector.sample(driver));
    }
  }
  const nlohmann::json doc = nlohmann::json::parse(out.str());
  int counters = 0, names = 0;
  for (const auto& e : doc.at("traceEvents")) {
    if (e.at("ph") == "C") ++counters;
    if (e.at("ph") == "M" && e.at("name") == "process_name") ++names;
  }
  EXPECT_GT(counters, 3 * 6 * 2);
  EXPECT_EQ(names, 1 + static_cast<int>(driver.telemetry_sources().size())) << "the unit and one process per source, named once";
}

}  // namespace
}  // namespace irqshape::isd
