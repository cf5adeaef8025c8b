// What `irqshape demo` and `irqshape replay` share: the policy list, delivery path,
// threads and output options (--json, --csv, --perfetto, --html), and running the
// comparison and printing it.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/option_check.h"
#include "cli/version.h"
#include "isd/units.h"
#include "sim/outputs.h"
#include "sim/policies/registry.h"
#include "sim/report.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace irqshape::cli {

struct SimCommonOptions {
  std::vector<std::string> policies;
  std::string delivery = "posted";
  unsigned threads = 0;
  bool per_source = false;
  std::string json, csv, perfetto, html;
  std::string perfetto_window = "0:20";
  std::size_t perfetto_max_events = 1'000'000;
};

// A one-line error on stderr and exit status 1 (commands.h).
[[noreturn]] inline void fail(const std::string& command, const std::string& message) {
  fmt::print(stderr, "irqshape {}: {}\n", command, message);
  throw CLI::RuntimeError(1);
}

inline void add_common_options(CLI::App* cmd, SimCommonOptions& o, const std::string& policy_help) {
  cmd->add_option("--policy", o.policies, policy_help)->type_name("NAME[:k=v,...]|FILE.toml");
  cmd->add_option("--delivery", o.delivery, "Interrupt delivery into the guest: posted (APICv/AVIC) or exit (VM exit to "
                                            "inject, exit on EOI)")
      ->check(CLI::IsMember({"posted", "exit"}))
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Policies simulated at once (default: one per core)");
  cmd->add_flag("--per-source", o.per_source, "Also print one table per interrupt source");
  cmd->add_option("--json", o.json, "Write the full results as JSON (docs/sim-output.md); '-' for stdout")
      ->type_name("FILE");
  cmd->add_option("--csv", o.csv, "Write one CSV row per policy and source (docs/sim-output.md)")->type_name("FILE");
  cmd->add_option("--html", o.html,
                  "Write a self-contained HTML report: tables and charts (latency CDF, interrupt rate over time, "
                  "interrupts versus p99), opens offline")
      ->type_name("FILE");
  cmd->add_option("--perfetto", o.perfetto, "Write a Chrome trace-event timeline (open in ui.perfetto.dev)")
      ->type_name("FILE");
  cmd->add_option("--perfetto-window", o.perfetto_window,
                  "Simulated time the timeline covers, START:LENGTH (durations such as 1s:20ms; a bare number "
                  "is ms), which bounds the file's size")
      ->check(checked_by("--perfetto-window", [](const std::string& w) { return sim::parse_trace_window(w, 1); }))
      ->capture_default_str();
  cmd->add_option("--perfetto-max-events", o.perfetto_max_events, "At most this many timeline events per policy")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  // Runs while parsing, before required options are checked (replay's --trace).
  cmd->add_flag_callback(
      "--list-policies",
      [] {
        for (const std::string& n : sim::policy_names()) fmt::print("{}\n", n);
        throw CLI::Success();
      },
      "Print the registered policy names and exit");
}

// What a command adds to the run's report: notes (printed on standard error once the
// policies have run, so that a failure is the one line it prints) and a hint added to a
// policy's failure to start.
struct RunNotes {
  std::vector<std::string> notes;
  std::string failure_hint;
};

// Runs every policy on `sc`, prints the table, writes the requested files.
inline void run_and_report(const std::string& command, sim::Scenario& sc, const SimCommonOptions& o,
                           const std::string& input, const RunNotes& extra = {}) {
  auto path = sim::parse_delivery_path(o.delivery);
  if (!path) fail(command, path.message());
  sc.costs.path = *path;
  std::vector<std::string> names = o.policies;
  if (names.empty()) names = sim::policy_names();
  std::vector<sim::PolicySpec> specs;
  for (const std::string& n : names) {
    auto s = sim::parse_policy_spec(n);
    if (!s) fail(command, s.message());
    specs.push_back(*s);
  }
  const sim::OutputPaths outputs{o.json, o.csv, o.perfetto, o.html};
  if (Status st = sim::check_outputs(outputs); !st) fail(command, st.message());  // before a long run
  sim::CompareOptions co;
  co.threads = o.threads;
  if (!o.perfetto.empty()) {
    auto w = sim::parse_trace_window(o.perfetto_window, o.perfetto_max_events);
    if (!w) fail(command, w.message());
    if (w->start_ns >= sc.duration_ns)  // the timeline would be empty
      fail(command, fmt::format("--perfetto-window \"{}\" starts at {}, not before the end of the run ({})",
                                o.perfetto_window, isd::format_duration(w->start_ns),
                                isd::format_duration(sc.duration_ns)));
    co.trace = *w;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto c = sim::compare_policies(sc, specs, co);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!c) fail(command, c.message() + extra.failure_hint);
  for (const std::string& n : extra.notes) fmt::print(stderr, "{}: {}\n", command, n);
  // A file written to stdout ("-") keeps stdout clean: the table goes to stderr then.
  std::FILE* table = o.json == "-" || o.csv == "-" || o.perfetto == "-" || o.html == "-" ? stderr : stdout;
  fmt::print(table, "{}", sim::format_table(sc, *c, sim::TableOptions{o.per_source}));
  std::uint64_t events = 0;
  for (const auto& r : c->runs) events += r.result.engine_events;
  const std::string count = events >= 100'000 ? fmt::format("{:.1f} M", static_cast<double>(events) / 1e6)
                                              : fmt::format("{}", events);
  fmt::print(table, "\n{} policies, {} simulated events in {:.2f} s\n", c->runs.size(), count, wall);
  std::fflush(table);
  sim::ReportContext ctx{std::string("irqshape ") + IRQSHAPE_VERSION, command, input};
  if (Status st = sim::write_outputs(sc, *c, outputs, ctx); !st)
    fail(command, st.message());
}

}  // namespace irqshape::cli
