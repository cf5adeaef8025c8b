#include "sim/perfetto_writer.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "export/trace_event_writer.h"

namespace irqshape::sim {

namespace {

using json = nlohmann::json;
using exporter::TraceEventWriter;

constexpr std::uint32_t kSourceTid = 1000;  // source tracks: 1000 + source id; vCPU tracks: cpu

// Counter tracks are keyed by name: a source without one (a trace may have them) is named
// by its id, so that two of them never share a track.
std::string source_name(const Scenario& sc, std::uint32_t s) {
  if (s >= sc.sources.size()) return "(no source)";
  return sc.sources[s].name.empty() ? fmt::format("source #{}", s) : sc.sources[s].name;
}

// The adaptive isu's coalescing time per controlled source (its telemetry's adapter
// steps, docs/policies.md): the value in force at the window's start, then each step.
// The telemetry lists the first steps only (steps_omitted counts the rest): past the last
// one listed the values are unknown, so nothing is drawn there and an instant says why.
void adapter_counters(TraceEventWriter& w, const Scenario& sc, const RunResult& r, const TraceWindow& win,
                      std::uint32_t pid) {
  if (r.telemetry_json.find("\"adapter\"") == std::string::npos) return;
  const json t = json::parse(r.telemetry_json, nullptr, false);
  if (t.is_discarded() || !t.contains("adapter")) return;
  const Nanos end = win.start_ns + win.length_ns;
  const json steps = t["adapter"].value("steps", json::array());
  const std::uint64_t omitted = t["adapter"].value("steps_omitted", std::uint64_t{0});
  const Nanos known_until = omitted == 0 ? end : steps.empty() ? 0 : steps.back().value("t_ns", Nanos{0});
  if (known_until < end) {
    w.instant(pid, 0, "adapter steps not listed", std::max(known_until, win.start_ns),
              json{{"steps_omitted", omitted},
                   {"note", "the telemetry lists the adapter's first steps only: its coalescing-time tracks end here"}});
  }
  if (known_until <= win.start_ns) return;
  for (const json& src : t["adapter"].value("sources", json::array())) {
    const auto id = src.value("source", 0u);
    const std::string track = fmt::format("{} coalescing time (us)", source_name(sc, id));
    // In force at the window's start: the last step before it, else the first one's old
    // value, else (no step at all) the final value.
    std::optional<double> before, first_old;
    for (const json& x : steps) {
      if (x.value("source", ~0u) != id) continue;
      if (x.value("t_ns", Nanos{0}) <= win.start_ns) before = x.value("new_time_ns", 0.0);
      else if (!first_old) first_old = x.value("old_time_ns", 0.0);
    }
    w.counter(pid, track, win.start_ns, before.value_or(first_old.value_or(src.value("time_ns", 0.0))) / 1e3);
    for (const json& x : steps) {
      const auto at = x.value("t_ns", Nanos{0});
      if (x.value("source", ~0u) != id || at <= win.start_ns) continue;
      if (at >= end) break;
      w.counter(pid, track, at, x.value("new_time_ns", 0.0) / 1e3);
    }
  }
}

void write_run(TraceEventWriter& w, const Scenario& sc, const PolicyRun& run, std::uint32_t pid) {
  const TraceRecorder& t = *run.trace;
  const RunResult& r = run.result;
  w.process_name(pid, fmt::format("policy {}", run.spec.to_string()));
  w.process_sort_index(pid, static_cast<int>(pid));
  for (unsigned c = 0; c < sc.vcpus; ++c) {
    w.thread_name(pid, c, fmt::format("vCPU {}", c));
    w.thread_sort_index(pid, c, static_cast<int>(c));
  }
  for (std::uint32_t s = 0; s < sc.sources.size(); ++s) {
    w.thread_name(pid, kSourceTid + s, fmt::format("source {}", source_name(sc, s)));
    w.thread_sort_index(pid, kSourceTid + s, static_cast<int>(100 + s));
  }
  const TraceWindow& win = t.window();
  w.instant(pid, 0, "trace window", win.start_ns,
            json{{"start_ns", win.start_ns},
                 {"length_ns", win.length_ns},
                 {"max_events", win.max_events},
                 {"capped", t.capped},
                 {"note", t.capped ? "the event cap was reached: later events in the window are missing"
                                   : "every event inside the window is present"}});
  for (const auto& e : t.isrs)
    w.complete(pid, e.cpu, fmt::format("ISR {}", source_name(sc, e.source)), e.start, e.end - e.start,
               json{{"events", e.events}, {"vector", e.vector}}, "isr");
  for (const auto& e : t.idles) w.complete(pid, e.cpu, "halted", e.start, e.end - e.start, nullptr, "idle");
  for (const auto& e : t.exits)
    w.instant(pid, e.cpu, fmt::format("exit: {}", to_string(e.reason)), e.time,
              json{{"cost_ns", e.cost}, {"source", e.source == ~0u ? json(nullptr) : json(source_name(sc, e.source))}});
  for (const auto& e : t.irqs) {
    if (e.window_start < e.time)
      w.complete(pid, kSourceTid + e.source, "held", e.window_start, e.time - e.window_start,
                 json{{"events", e.events}}, "coalescing");
    w.instant(pid, kSourceTid + e.source, "interrupt", e.time,
              json{{"events", e.events}, {"dropped", e.dropped}, {"vector", e.vector}});
  }
  for (const auto& e : t.depths)
    w.counter(pid, fmt::format("{} outstanding", source_name(sc, e.source)), e.time, e.depth);
  adapter_counters(w, sc, r, win, pid);
  // Interrupt rate per source from the run's series, over the window (the bin the window
  // starts in is stamped at the window's start).
  const Nanos bin = r.series_bin_ns;
  if (bin == 0) return;
  const double per_s = 1e9 / static_cast<double>(bin);
  for (std::uint32_t s = 0; s < r.sources.size(); ++s) {
    const auto& series = r.sources[s].series_interrupts;
    for (std::size_t b = win.start_ns / bin; b < series.size() && b * bin < win.start_ns + win.length_ns; ++b)
      w.counter(pid, fmt::format("{} interrupts/s", source_name(sc, s)), std::max(b * bin, win.start_ns),
                series[b] * per_s);
  }
}

}  // namespace

void write_perfetto(std::ostream& out, const Scenario& sc, const Comparison& c) {
  TraceEventWriter w(out);
  for (std::size_t i = 0; i < c.runs.size(); ++i)
    if (c.runs[i].trace) write_run(w, sc, c.runs[i], static_cast<std::uint32_t>(i + 1));
  w.finish();
}

}  // namespace irqshape::sim
