// irqshape trace-info FILE: what a trace holds and what the recorded system achieved.
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/json_text.h"
#include "cli/commands.h"
#include "cli/count_text.h"
#include "cli/format_option.h"
#include "cli/trace_warnings.h"
#include "trace/reader.h"
#include "trace/stats.h"

namespace irqshape::cli {

namespace {

using trace::Summary;

std::string human_ns(double ns) {
  if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.1f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.3f} s", ns / 1e9);
}

std::string human_bytes(std::uint64_t b) {
  if (b < 1024) return fmt::format("{} B", b);
  if (b < (1u << 20)) return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024);
  if (b < (1ull << 30)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1 << 20));
  return fmt::format("{:.2f} GiB", static_cast<double>(b) / (1ull << 30));
}

std::string brief(const Summary& s) {
  if (s.count == 0) return "-";
  return fmt::format("{} / {} / {}", human_ns(s.mean), human_ns(static_cast<double>(s.p50)),
                     human_ns(static_cast<double>(s.p99)));
}

// A summary of no samples has no mean, quantiles or extremes: null, not 0 (0 ns would read
// as a measured time).
nlohmann::json to_json(const Summary& s) {
  if (s.count == 0) {
    return {{"count", 0},      {"mean", nullptr}, {"min", nullptr}, {"p50", nullptr},
            {"p90", nullptr},  {"p99", nullptr},  {"max", nullptr}};
  }
  return {{"count", s.count}, {"mean", s.mean}, {"min", s.min}, {"p50", s.p50},
          {"p90", s.p90},     {"p99", s.p99},   {"max", s.max}};
}

// A ratio whose denominator is 0 (no completions, no receive interrupts) is null.
nlohmann::json ratio_json(double value, std::uint64_t denominator) {
  return denominator ? nlohmann::json(value) : nlohmann::json();
}

std::string device_name(const trace::TraceStats& t, trace::DeviceId id) { return t.catalog.devices.at(id).name; }

std::string cpu_shares(const trace::SourceStats& s) {
  std::string out;
  for (auto [cpu, n] : s.per_cpu) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}:{:.0f}%", cpu, 100.0 * static_cast<double>(n) / static_cast<double>(s.entries));
  }
  return out.empty() ? "-" : out;
}

void print_text(const std::string& file, const trace::TraceStats& t) {
  std::string origin;
  for (const auto& [k, v] : t.meta.properties) {
    if (k == "source_format") origin = fmt::format(", converted from {}", v);
  }
  fmt::print("trace: {} ({}{}{})\n", file, to_string(t.meta.format), origin,
             t.meta.clock.empty() ? "" : fmt::format(", clock {}", t.meta.clock));
  for (const auto& [k, v] : t.meta.properties) {
    if (k != "source_format") fmt::print("  {}: {}\n", k, v);
  }
  fmt::print("duration: {}, {} records on {}", human_ns(static_cast<double>(t.duration_ns())), t.records,
             count(t.cpus_with_records, "CPU"));
  if (t.cpus_with_records != t.cpus) fmt::print(" (the highest is CPU {})", t.cpus - 1);
  if (t.skipped_events) fmt::print(", {} events of other kinds skipped", t.skipped_events);
  fmt::print("\n");
  if (t.lost.markers) fmt::print("{}\n", lost_events_warning(t.lost));

  fmt::print("\ninterrupt sources (inter-arrival and handler: mean / p50 / p99)\n");
  // Each column is as wide as its widest cell, so that a long name or a long time does
  // not push the rest of its row out of line.
  struct Row {
    std::string name, rate, inter_arrival, handler, cpus;
  };
  std::vector<Row> rows;
  std::size_t w_name = 20, w_inter = 32, w_handler = 30, w_cpus = 14;
  for (const auto& s : t.sources) {
    const auto& src = t.catalog.sources[s.id];
    // rate/s is entries over the trace's duration. One entry is no rate: 1/duration would
    // only restate how long the trace is (1e9/s for a 1 ns trace), so it is shown as "-"
    // (and as null in the JSON).
    Row r{src.name.empty() ? "(unnamed)" : src.name,
          s.entries < 2 ? std::string("-") : fmt::format("{:.1f}", s.rate_hz), brief(s.inter_arrival_ns),
          brief(s.handler_ns), cpu_shares(s)};
    w_name = std::max(w_name, r.name.size());
    w_inter = std::max(w_inter, r.inter_arrival.size());
    w_handler = std::max(w_handler, r.handler.size());
    w_cpus = std::max(w_cpus, r.cpus.size());
    rows.push_back(std::move(r));
  }
  fmt::print("  {:>5}  {:<{}} {:<6} {:>9} {:>10}  {:<{}} {:<{}} {:<{}} {}\n", "irq", "name", w_name, "kind", "entries",
             "rate/s", "inter-arrival", w_inter, "handler", w_handler, "cpus", w_cpus, "serves");
  for (std::size_t i = 0; i < t.sources.size(); ++i) {
    const auto& s = t.sources[i];
    const auto& src = t.catalog.sources[s.id];
    const Row& r = rows[i];
    fmt::print("  {:>5}  {:<{}} {:<6} {:>9} {:>10}  {:<{}} {:<{}} {:<{}} {}{}\n", src.irq, r.name, w_name,
               to_string(src.kind), s.entries, r.rate, r.inter_arrival, w_inter, r.handler, w_handler, r.cpus, w_cpus,
               s.serves ? device_name(t, *s.serves) : "-",
               s.unhandled ? fmt::format("  ({} unhandled)", s.unhandled) : "");
  }

  if (!t.block.empty()) fmt::print("\nblock devices\n");
  for (const auto& b : t.block) {
    fmt::print("  {}: {} requests issued, {} completions", device_name(t, b.id), b.issued, b.completed);
    if (b.partial_completions) fmt::print(" ({} of them completed part of a request)", b.partial_completions);
    if (b.reissues) fmt::print(" ({} issued again after the driver gave them back)", b.reissues);
    fmt::print("\n    completed: {} reads ({}), {} writes ({}), {} sync, {} flush, {} errors\n", b.reads,
               human_bytes(b.bytes_read), b.writes, human_bytes(b.bytes_written), b.syncs, b.flushes, b.errors);
    if (b.service_ns.count) {
      fmt::print("    service time: mean {}, p50 {}, p90 {}, p99 {}, max {}\n", human_ns(b.service_ns.mean),
                 human_ns(static_cast<double>(b.service_ns.p50)), human_ns(static_cast<double>(b.service_ns.p90)),
                 human_ns(static_cast<double>(b.service_ns.p99)), human_ns(static_cast<double>(b.service_ns.max)));
    } else {
      fmt::print("    service time: - (no request both issued and completed in the trace)\n");
    }
    if (b.read_service_ns.count && b.write_service_ns.count) {
      fmt::print("      reads {}, writes {} (mean / p50 / p99)\n", brief(b.read_service_ns), brief(b.write_service_ns));
    }
    std::uint64_t total = 0;
    for (auto n : b.depth_at_issue) total += n;
    std::string depths;
    for (std::size_t d = 0; d < b.depth_at_issue.size(); ++d) {
      const double pct = total ? 100.0 * static_cast<double>(b.depth_at_issue[d]) / static_cast<double>(total) : 0;
      if (pct >= 1.0) depths += fmt::format(" {}:{:.0f}%", d, pct);
    }
    fmt::print("    queue depth at issue:{}\n", depths.empty() ? " -" : depths);
    fmt::print("    closed loop: {} of {} issues followed a completion, think time {}\n", b.issues_after_completion,
               b.issued, brief(b.think_after_completion_ns));
    fmt::print("    interrupts per completion: {}\n",
               !b.completed  ? fmt::format("- (no completions; {} interrupts)", b.interrupts)
               : b.interrupts ? fmt::format("{:.2f} ({} interrupts)", b.interrupts_per_completion, b.interrupts)
                              : std::string("- (no interrupt source attributed)"));
  }

  if (!t.net.empty()) fmt::print("\nnetwork devices (NAPI)\n");
  for (const auto& n : t.net) {
    fmt::print("  {}: {} polls, {} packets (mean {:.2f}/poll, max {}), {} polls used the whole budget\n",
               device_name(t, n.id), n.polls, n.packets, n.work.mean, n.work.max, n.budget_exhausted);
    fmt::print("    packets per receive interrupt: {}\n",
               is_napi_backlog(t.catalog.devices.at(n.id))
                   ? std::string("- (the kernel's backlog: packets it queued itself, e.g. loopback; no device "
                                 "interrupt leads to these polls)")
               : n.rx_interrupts ? fmt::format("{:.2f} ({} receive interrupts; {} in all, tx completions included)",
                                             n.packets_per_rx_interrupt, n.rx_interrupts, n.interrupts)
                               : std::string("- (no interrupt source attributed)"));
  }
  if (t.unmatched_completions || t.unfinished_requests || t.unmatched_exits) {
    fmt::print("\nunmatched: {} completions without their issue (issued before the trace, or data-less flushes "
               "the kernel completes without issuing), {} requests still in flight at the end, {} handler exits "
               "without their entry (entered before the trace)\n",
               t.unmatched_completions, t.unfinished_requests, t.unmatched_exits);
  }
}

nlohmann::json to_json(const std::string& file, const trace::TraceStats& t) {
  nlohmann::json j;
  j["file"] = file;
  j["format"] = to_string(t.meta.format);
  j["clock"] = t.meta.clock;
  for (const auto& [k, v] : t.meta.properties) j["properties"][k] = v;
  j["first_ts_ns"] = t.first_ts;
  j["duration_ns"] = t.duration_ns();
  j["records"] = t.records;
  j["cpus"] = t.cpus;
  j["cpus_with_records"] = t.cpus_with_records;
  j["skipped_events"] = t.skipped_events;
  j["lost"] = {{"markers", t.lost.markers}, {"events", t.lost.events}, {"uncounted_markers", t.lost.uncounted_markers}};
  j["unmatched"] = {{"completions", t.unmatched_completions},
                    {"requests_in_flight_at_end", t.unfinished_requests},
                    {"handler_exits", t.unmatched_exits}};
  j["sources"] = nlohmann::json::array();
  for (const auto& s : t.sources) {
    const auto& src = t.catalog.sources[s.id];
    nlohmann::json cpus = nlohmann::json::object();
    for (auto [cpu, n] : s.per_cpu) cpus[std::to_string(cpu)] = n;
    j["sources"].push_back({{"id", s.id},
                            {"irq", src.irq},
                            {"name", src.name},
                            {"kind", to_string(src.kind)},
                            {"entries", s.entries},
                            {"unhandled", s.unhandled},
                            {"rate_hz", s.entries < 2 ? nlohmann::json() : nlohmann::json(s.rate_hz)},
                            {"per_cpu", cpus},
                            {"inter_arrival_ns", to_json(s.inter_arrival_ns)},
                            {"handler_ns", to_json(s.handler_ns)},
                            {"serves", s.serves ? nlohmann::json(device_name(t, *s.serves)) : nlohmann::json()}});
  }
  j["block_devices"] = nlohmann::json::array();
  for (const auto& b : t.block) {
    const auto& d = t.catalog.devices[b.id];
    j["block_devices"].push_back({{"name", d.name},
                                  {"major", d.major},
                                  {"minor", d.minor},
                                  {"issued", b.issued},
                                  {"completed", b.completed},
                                  {"requeues", b.requeues},
                                  {"reissues", b.reissues},
                                  {"partial_completions", b.partial_completions},
                                  {"reads", b.reads},
                                  {"writes", b.writes},
                                  {"sync", b.syncs},
                                  {"flush", b.flushes},
                                  {"errors", b.errors},
                                  {"bytes_read", b.bytes_read},
                                  {"bytes_written", b.bytes_written},
                                  {"service_ns", to_json(b.service_ns)},
                                  {"read_service_ns", to_json(b.read_service_ns)},
                                  {"write_service_ns", to_json(b.write_service_ns)},
                                  {"depth_at_issue", b.depth_at_issue},
                                  {"issues_after_completion", b.issues_after_completion},
                                  {"think_after_completion_ns", to_json(b.think_after_completion_ns)},
                                  {"interrupts", b.interrupts},
                                  {"interrupts_per_completion", ratio_json(b.interrupts_per_completion, b.completed)}});
  }
  j["net_devices"] = nlohmann::json::array();
  for (const auto& n : t.net) {
    j["net_devices"].push_back({{"name", device_name(t, n.id)},
                                {"polls", n.polls},
                                {"packets", n.packets},
                                {"budget_exhausted", n.budget_exhausted},
                                {"work", to_json(n.work)},
                                {"interrupts", n.interrupts},
                                {"rx_interrupts", n.rx_interrupts},
                                {"packets_per_rx_interrupt", ratio_json(n.packets_per_rx_interrupt, n.rx_interrupts)}});
  }
  return j;
}

}  // namespace

void add_trace_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "trace-info",
      "Summarize a trace: interrupt sources, rates, inter-arrival and handler times, block service times "
      "and queue depths, NAPI batching, interrupts per completion");
  struct Options {
    std::string file;
    std::string format;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("FILE", opt->file, "Trace file: irqshape native, trace-cmd .dat, ftrace text or perf script "
                                     "('-' reads standard input)")
      ->required();
  add_format_option(cmd, "--format,--from", opt->format);
  cmd->add_flag("--json", opt->json, "Print JSON instead of text");
  cmd->callback([opt]() {
    std::optional<trace::Format> format;
    if (!opt->format.empty()) format = trace::parse_format(opt->format);  // checked by the option
    auto reader = trace::open_trace(opt->file, format);
    if (!reader) {
      fmt::print(stderr, "irqshape trace-info: {}\n", reader.message());
      throw CLI::RuntimeError(1);
    }
    auto stats = trace::compute_stats(**reader);
    if (!stats) {
      fmt::print(stderr, "irqshape trace-info: {}\n", stats.message());
      throw CLI::RuntimeError(1);
    }
    if (opt->json) {
      fmt::print("{}\n", json_text(to_json(opt->file, *stats), 2));
    } else {
      print_text(opt->file, *stats);
    }
  });
}

}  // namespace irqshape::cli
