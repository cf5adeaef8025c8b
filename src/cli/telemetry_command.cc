// `irqshape isd-telemetry`: runs the ISU model under load, programmed by the driver from a
// configuration (or the per-kind defaults), and collects its telemetry every period
// through the registers: JSON lines, Perfetto counter tracks, Prometheus /metrics. With
// --max-added-p99 the adaptation controller tunes each source's coalescing time to the
// budget every period.
#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <thread>
#include <utility>

#include "cli/commands.h"
#include "cli/count_text.h"
#include "cli/duration_option.h"
#include "cli/trace_warnings.h"
#include "export/jsonl_writer.h"
#include "export/metrics_server.h"
#include "export/trace_event_writer.h"
#include "isd/adapter.h"
#include "isd/config.h"
#include "isd/harness/model_harness.h"
#include "isd/telemetry.h"
#include "isd/trace_input.h"
#include "trace/output_file.h"

namespace irqshape::cli {
namespace {

namespace regs = isu::regs;
using isd::harness::LoadPhase;
using isd::harness::LoadShape;
using isd::harness::SyntheticSource;

struct Options {
  std::string config, trace, scenario = "mixed", jsonl, perfetto, prometheus;
  std::optional<std::uint64_t> duration, period, budget, serve_for;  // ns; empty: not given
  std::uint64_t seed = 1;
  bool realtime = false, quiet = false;
};

// Standard output is block-buffered when it is a file or a pipe; what a user watches while
// the command runs (the metrics address, which is the only way to learn the port with :0,
// and the progress lines) is flushed as it is printed.
template <typename... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(format, std::forward<Args>(args)...);
  std::fflush(stdout);
}

std::string seconds(std::uint64_t ns) { return fmt::format("{:.3f} s", static_cast<double>(ns) * 1e-9); }

int fail(const std::string& message) {
  fmt::print(stderr, "irqshape isd-telemetry: {}\n", message);
  return 1;
}

// An output file as the std::ostream the exporters write to, through trace::OutputFile:
// the data goes to "<path>.partial", which commit() renames onto the path; a run that
// fails (or never commits) removes it, so it leaves no output file behind.
class OutputStream : private std::streambuf {
 public:
  static Result<std::unique_ptr<OutputStream>> open(const std::string& path) {
    auto f = trace::OutputFile::open(path);
    if (!f) return f.error();
    return std::unique_ptr<OutputStream>(new OutputStream(std::move(*f)));
  }
  OutputStream(const OutputStream&) = delete;
  OutputStream& operator=(const OutputStream&) = delete;
  ~OutputStream() override = default;

  std::ostream& stream() { return stream_; }
  Status commit() {
    stream_.flush();
    if (!stream_) {
      file_->abandon();
      return make_error("{}: write failed", file_->target().path);
    }
    return file_->commit();
  }

 private:
  explicit OutputStream(std::unique_ptr<trace::OutputFile> file) : file_(std::move(file)) {}

  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    if (file_->file() == nullptr || std::fputc(traits_type::to_char_type(c), file_->file()) == EOF) return traits_type::eof();
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (file_->file() == nullptr) return 0;
    return static_cast<std::streamsize>(std::fwrite(s, 1, static_cast<std::size_t>(n), file_->file()));
  }
  int sync() override { return file_->file() != nullptr && std::fflush(file_->file()) == 0 ? 0 : -1; }

  std::unique_ptr<trace::OutputFile> file_;
  std::ostream stream_{this};
};

struct Scenario {
  isd::SourceMap names;
  std::vector<SyntheticSource> load;
};

// "mixed": a NIC queue whose load goes medium -> heavy -> light, a bursty NVMe queue
// following the same phases, a 1 kHz timer, and a legacy device with a storm in the middle.
Result<Scenario> make_scenario(const std::string& name, std::uint64_t duration) {
  if (name != "mixed") return make_error("--scenario: unknown scenario \"{}\" (known: mixed)", name);
  Scenario s;
  s.names = isd::SourceMap::from_names({"eth0-rx-0", "nvme0q1", "timer", "legacy"});
  const std::uint64_t third = duration / 3;
  s.load = {
      {0, LoadShape::poisson, {{0, 20'000}, {third, 150'000}, {2 * third, 5'000}}, 8, 2'000, 0, 0x41, 0},
      {1, LoadShape::bursty, {{0, 40'000}, {third, 100'000}, {2 * third, 10'000}}, 8, 2'000, 0, 0x51, 1},
      {2, LoadShape::periodic, {{0, 1'000}}, 1, 0, 5'000, 0x61, 0},
      {3, LoadShape::poisson, {{0, 2'000}, {duration * 45 / 100, 500'000}, {duration / 2, 2'000}}, 8, 2'000, 0, 0x71, 1},
  };
  return s;
}

nlohmann::json actions_json(const std::vector<isd::AdapterAction>& actions, const isd::SourceMap& names) {
  nlohmann::json out = nlohmann::json::array();
  for (const isd::AdapterAction& a : actions)
    out.push_back({{"source", names.display(a.source)}, {"old_coal_time_ns", a.old_time_ns}, {"new_coal_time_ns", a.new_time_ns},
                   {"p99_bound_ns", a.p99_ns}, {"reason", a.reason}});
  return out;
}

void print_summary(const isd::Period& last, std::uint64_t duration) {
  fmt::print("\n{:<12} {:>9} {:>9} {:>9} {:>8} {:>12} {:>12} {:>10}\n", "source", "in", "out", "ev/intr", "dropped",
             "p99 hold us", "mean hold us", "T now us");
  for (const isd::SourcePeriod& s : last.sources) {
    const isd::SourceTelemetry& t = s.total;
    const double p99 = isd::hold_quantile_bound(s.hold_total, 0.99, t.hold_max_ns) / 1000.0;
    const double mean = t.events == 0 ? 0 : static_cast<double>(t.hold_sum_ns) / static_cast<double>(t.events) / 1000.0;
    fmt::print("{:<12} {:>9} {:>9} {:>9.2f} {:>8} {:>12.1f} {:>12.2f} {:>10.1f}\n", s.name, t.in, t.out,
               t.out == 0 ? 0.0 : static_cast<double>(t.events) / static_cast<double>(t.out), t.dropped, p99, mean,
               s.coal_time_ns / 1000.0);
  }
  fmt::print("(p99 hold: upper bound from the hold histogram over the whole {}; T: SRC_COAL_TIME at the end)\n",
             seconds(duration));
}

// A trace's interrupts, replayed: times shifted so the trace starts at 0, each source on
// its own vector.
Result<Scenario> trace_scenario(const std::string& path, std::vector<isd::harness::Arrival>& arrivals, std::uint64_t& span) {
  auto t = isd::load_trace_events(path);
  if (!t) return t.error();
  if (t->events.empty()) return make_error("{}: no interrupts (irq_handler_entry records) in the trace", path);
  const std::uint64_t start = t->events.front().time;
  for (const isd::Event& e : t->events)
    arrivals.push_back({e.time - start, e.source, static_cast<std::uint8_t>(0x40 + e.source % 0xB0), e.source % 4});
  span = t->events.back().time - start + 1;
  say("replaying {}\n", t->description);
  if (t->lost.markers != 0) fmt::print(stderr, "isd-telemetry: {}\n", lost_events_warning(t->lost));
  return Scenario{std::move(t->names), {}};
}

int run(const Options& o) {
  std::vector<isd::harness::Arrival> replay;
  std::uint64_t span = 0;
  std::uint64_t duration = o.duration.value_or(1'000'000'000);
  auto scenario = o.trace.empty() ? make_scenario(o.scenario, duration) : trace_scenario(o.trace, replay, span);
  if (!scenario) return fail(scenario.message());
  if (!o.trace.empty()) duration = std::min(o.duration.value_or(span), span);
  isd::Config config = isd::default_config(scenario->names);
  if (!o.config.empty()) {
    auto c = isd::load_config(o.config);
    if (!c) return fail(c.message());
    config = std::move(*c);
  }
  // The file's [adapt] table gives the budget and the period unless the flags do.
  std::uint64_t period = 10'000'000;
  if (o.period) period = *o.period;
  else if (config.adapt && config.adapt->period_ns) period = config.adapt->period_ns->value;
  std::optional<isd::Adapter> adapter;
  if (o.budget || config.adapt) {
    isd::AdapterOptions ao = config.adapt ? isd::adapter_options(*config.adapt) : isd::AdapterOptions{};
    if (o.budget) ao.budget_ns = *o.budget;
    ao.period_ns = period;
    if (auto s = isd::validate(ao); !s) return fail(s.message());
    adapter.emplace(ao);
  }
  // Every period is a line of --jsonl and a scrape's worth of work: a period far below the
  // duration (--period 1ns over 1s) would write gigabytes for nothing a user can read.
  constexpr std::uint64_t kMaxPeriods = 1'000'000;
  if (const std::uint64_t periods = duration / period + (duration % period != 0); periods > kMaxPeriods)
    return fail(fmt::format("period {} over {} is {} periods; at most {} (a longer --period or a shorter --duration)",
                            isd::format_duration(period), isd::format_duration(duration), periods, kMaxPeriods));
  std::optional<std::pair<std::string, int>> listen;
  if (!o.prometheus.empty()) {
    auto addr = exporter::parse_listen_address(o.prometheus);
    if (!addr) return fail(fmt::format("--prometheus: {}", addr.message()));
    listen = *addr;
  }
  // The configuration is applied before any output file is created: a configuration the
  // scenario cannot take leaves nothing behind.
  isd::harness::ModelHarness model;
  isd::Driver driver(model.window());
  auto report = driver.apply(config, scenario->names);
  if (!report) return fail(report.message());

  // The metrics server is bound before any output file is opened: a port that is taken
  // leaves an existing --jsonl file as it was.
  exporter::MetricsServer server;
  int port = 0;
  if (listen) {
    auto bound = server.start(listen->first, listen->second);
    if (!bound) return fail(bound.message());
    port = *bound;
  }
  // Declared before the writers, which write into them: destroyed after the writers.
  // The JSON lines are a stream, written in place and flushed period by period so that
  // `tail -f` follows them (and a run stopped early keeps its periods); the Perfetto file
  // is one JSON document, whole only at the end, so it goes through OutputStream.
  std::ofstream jsonl_file;
  std::unique_ptr<OutputStream> perfetto_file;
  std::optional<exporter::JsonLinesWriter> jsonl;
  std::optional<exporter::TraceEventWriter> perfetto;
  std::optional<isd::PerfettoCounters> tracks;
  if (!o.jsonl.empty()) {
    if (auto t = trace::check_output_path(o.jsonl); !t) return fail(t.message());
    jsonl_file.open(o.jsonl, std::ios::binary | std::ios::trunc);
    if (!jsonl_file) return fail(fmt::format("{}: cannot write: {}", o.jsonl, std::strerror(errno)));
    jsonl.emplace(jsonl_file);
  }
  if (!o.perfetto.empty()) {
    auto f = OutputStream::open(o.perfetto);
    if (!f) return fail(f.message());
    perfetto_file = std::move(*f);
    perfetto.emplace(perfetto_file->stream());
    tracks.emplace(*perfetto);
  }
  if (listen) say("serving Prometheus metrics on http://{}:{}/metrics\n", listen->first, port);
  say("programmed the unit: {}, {}, {}; {} of load ({}), period {}{}\n", count(report->sources, "source"),
      count(report->patterns, "pattern"), count(report->rules, "rule"), seconds(duration),
      o.trace.empty() ? o.scenario + " scenario" : "the trace", isd::format_duration(period),
      adapter ? fmt::format(", adapting coalescing to p99 added delay <= {}", isd::format_duration(adapter->options().budget_ns))
              : "");
  isd::harness::SyntheticLoad load(scenario->load, o.seed);
  isd::TelemetryCollector collector(&scenario->names);
  if (adapter)
    if (auto a = adapter->step(driver, 0); !a) return fail(a.message());
  (void)collector.sample(driver);
  isd::Period last;
  const auto wall_start = std::chrono::steady_clock::now();
  std::size_t next_arrival = 0;
  // Every period is period long except the last, which ends at duration: every
  // arrival before duration is simulated and reported, even when duration is shorter
  // than one period.
  for (std::uint64_t start = 0, t = 0; start < duration; start = t) {
    t = duration - start > period ? start + period : duration;
    if (o.trace.empty()) {
      model.run(load, t);
    } else {
      for (; next_arrival < replay.size() && replay[next_arrival].time < t; ++next_arrival) model.interrupt(replay[next_arrival]);
      model.advance(t);
    }
    // In real time, period k's numbers exist at wall time k * period, not before: the
    // simulation runs ahead, its results wait for the wall clock.
    if (o.realtime) std::this_thread::sleep_until(wall_start + std::chrono::nanoseconds(t));
    std::vector<isd::AdapterAction> actions;
    if (adapter) {
      auto a = adapter->step(driver, t);
      if (!a) return fail(a.message());
      actions = std::move(*a);
      if (!o.quiet)
        for (const isd::AdapterAction& x : actions)
          say("{:>8.3f} ms  {:<10} coalescing {} -> {} ({}, p99 bound {:.1f} us)\n", t / 1e6,
                     scenario->names.display(x.source), isd::format_duration(x.old_time_ns), isd::format_duration(x.new_time_ns),
                     x.reason, x.p99_ns / 1000.0);
    }
    last = collector.sample(driver);
    if (jsonl) {
      nlohmann::json j = isd::to_json(last);
      j["adapter"] = actions_json(actions, scenario->names);
      jsonl->write(j);
    }
    if (tracks) tracks->add(last);
    if (!o.prometheus.empty()) server.publish(isd::to_prometheus(last));
    if (!o.quiet)
      for (const std::string& w : last.warnings) say("{:>8.3f} ms  warning: {}\n", t / 1e6, w);
  }
  if (perfetto) perfetto->finish();
  if (jsonl && !jsonl_file.flush()) return fail(fmt::format("{}: write failed", o.jsonl));
  if (perfetto_file)
    if (auto s = perfetto_file->commit(); !s) return fail(s.message());
  print_summary(last, duration);
  if (jsonl) fmt::print("wrote {} to {} (JSON lines)\n", count(jsonl->lines(), "period"), o.jsonl);
  if (perfetto) fmt::print("wrote {} to {} (open in ui.perfetto.dev)\n", count(perfetto->events(), "trace event"), o.perfetto);
  if (o.serve_for) {
    say("serving the final metrics for {}\n", isd::format_duration(*o.serve_for));
    std::this_thread::sleep_for(std::chrono::nanoseconds(*o.serve_for));
  }
  return 0;
}

}  // namespace

void add_isd_telemetry_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("isd-telemetry",
                                 "Run the ISU model under synthetic load, programmed by the driver, and export its telemetry "
                                 "(JSON lines, Perfetto, Prometheus); optionally adapt coalescing to a latency budget");
  auto o = std::make_shared<Options>();
  cmd->add_option("--config", o->config, "ISD configuration (TOML); default: isd::default_config for the scenario's sources");
  cmd->add_option("--scenario", o->scenario, "Synthetic load: mixed (NIC and NVMe whose load changes, a timer, a storm)");
  cmd->add_option("--trace", o->trace, "Replay this trace's interrupts instead of synthetic load");
  constexpr std::uint64_t kForever = ~std::uint64_t{0};
  add_duration_option(cmd, "--duration", o->duration, "Simulated time (default: 1s, or the whole trace)", {1, kForever, true});
  add_duration_option(cmd, "--period", o->period, "Telemetry and adaptation period (default: the config's [adapt] period, or 10ms)",
                      {1, kForever, false});
  cmd->add_option("--seed", o->seed, "Seed of the synthetic load");
  add_duration_option(cmd, "--max-added-p99", o->budget,
                      "Adapt each source's coalescing time to keep its p99 added delay within this (default: the config's "
                      "[adapt] max-added-p99, if any)",
                      {0, kForever, false});
  cmd->add_option("--jsonl", o->jsonl, "Write one JSON object per period to this file");
  cmd->add_option("--perfetto", o->perfetto, "Write Perfetto counter tracks (Chrome trace-event JSON) to this file");
  auto* prometheus =
      cmd->add_option("--prometheus", o->prometheus, "Serve Prometheus metrics on [HOST]:PORT/metrics (port 0: any free port)");
  // std::chrono::nanoseconds is signed: at most 2^63 - 1 ns (292 years).
  add_duration_option(cmd, "--serve-for", o->serve_for, "Keep serving the final metrics this long after the run",
                      {0, static_cast<std::uint64_t>(INT64_MAX), true})
      ->needs(prometheus);
  cmd->add_flag("--realtime", o->realtime, "Pace the simulation at wall-clock speed (to watch it in Prometheus)");
  cmd->add_flag("--quiet", o->quiet, "Print only the summary");
  cmd->callback([o] {
    if (const int rc = run(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace irqshape::cli
