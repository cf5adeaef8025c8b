// Writes --html reports for the cases a real demo or replay rarely produces, for the
// headless-browser test (html_chromium_check.sh) to open:
//   html_report_samples OUTDIR
//   single-policy.html   one policy (none), a source name with markup in it
//   zero-latency.html    every cost zero: every latency is exactly 0 ns
//   empty-and-null.html  no time series (series_bins 0, empty arrays), null numbers
//                        (JSON's NaN), no reference policy, notes
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "sim/html_report.h"
#include "sim/outputs.h"
#include "sim/report.h"
#include "sim_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;
using json = nlohmann::ordered_json;

json report(const Scenario& sc, const std::vector<std::string>& specs) {
  std::vector<PolicySpec> parsed;
  for (const std::string& s : specs) parsed.push_back(*parse_policy_spec(s));
  auto c = compare_policies(sc, parsed, {}, test_factory);
  if (!c) {
    std::fprintf(stderr, "html_report_samples: %s\n", c.message().c_str());
    std::exit(1);
  }
  return to_json(sc, *c, ReportContext{"irqshape samples", "demo", ""});
}

bool write(const std::filesystem::path& dir, const char* name, const json& doc) {
  const Status st = write_text_file((dir / name).string(), html_report(doc));
  if (!st) std::fprintf(stderr, "html_report_samples: %s\n", st.message().c_str());
  return static_cast<bool>(st);
}

int run(const std::filesystem::path& dir) {
  bool ok = true;

  Scenario single = mixed_scenario(20 * kMs);
  single.sources[0].name = "</script><b>net</b> & \"q\"";
  ok &= write(dir, "single-policy.html", report(single, {"none"}));

  Scenario zero = mixed_scenario(20 * kMs);
  zero.costs = Costs{};
  zero.costs.posted_delivery_ns = zero.costs.kick_exit_ns = zero.costs.eoi_exit_ns = 0;
  zero.costs.wakeup_ns = zero.costs.guest_dispatch_ns = 0;
  zero.load.clear();
  for (SourceSpec& s : zero.sources) s.isr_base_ns = s.isr_per_event_ns = 0;
  const json z = report(zero, {"none", "test-coalesce:count=1,timeout-us=0"});
  for (const json& p : z["policies"])
    if (p["total"]["latency_ns"]["max"] != 0) {
      std::fprintf(stderr, "html_report_samples: zero costs should give zero latencies, got max %s\n",
                   p["total"]["latency_ns"]["max"].dump().c_str());
      return 1;
    }
  ok &= write(dir, "zero-latency.html", z);

  json e = report(mixed_scenario(10 * kMs), {"test-coalesce:count=8,timeout-us=50"});
  e["series_bins"] = 0;
  e["reference_policy"] = nullptr;
  for (json& p : e["policies"]) {
    for (const char* kind : {"interrupts", "events"}) {
      p["series"][kind]["total"] = json::array();
      for (json& s : p["series"][kind]["by_source"]) s = json::array();
    }
    p["notes"].push_back("a note the report must show");
  }
  json& t = e["policies"][1]["total"];
  for (const char* k : {"mean", "p50", "p99", "p999", "max"}) t["latency_ns"][k] = nullptr;
  t["latency_ns"]["cdf"][50] = nullptr;
  t["interrupts_per_s"] = nullptr;
  t["added_latency_ns"] = nullptr;
  e["policies"][0]["sources"][1]["requests"]["throughput_per_s"] = nullptr;
  e["policies"][0]["total"]["latency_ns"]["cdf"] = json::array();
  ok &= write(dir, "empty-and-null.html", e);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace irqshape::sim

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: html_report_samples OUTDIR\n");
    return 2;
  }
  return irqshape::sim::run(argv[1]);
}
