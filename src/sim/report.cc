#include "sim/report.h"

#include <fmt/format.h>

#include <algorithm>

namespace irqshape::sim {

namespace {

using json = nlohmann::ordered_json;

double per_s(std::uint64_t n, Nanos duration) { return static_cast<double>(n) / to_seconds(duration); }

double ratio(std::uint64_t a, std::uint64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

std::optional<double> diff(const LatencyHistogram& h, const LatencyHistogram* ref, double q) {
  if (ref == nullptr || h.count() == 0 || ref->count() == 0) return std::nullopt;
  return static_cast<double>(h.quantile(q)) - static_cast<double>(ref->quantile(q));
}

json latency_json(const LatencyHistogram& h) {
  json cdf = json::array();
  for (double q : cdf_quantiles()) cdf.push_back(h.quantile(q));
  return json{{"count", h.count()},   {"mean", h.mean()},          {"min", h.min()},
              {"p50", h.quantile(0.5)}, {"p90", h.quantile(0.9)},  {"p99", h.quantile(0.99)},
              {"p999", h.quantile(0.999)}, {"p9999", h.quantile(0.9999)}, {"max", h.max()},
              {"cdf", std::move(cdf)}};
}

json added_json(const LatencyHistogram& h, const LatencyHistogram* ref) {
  if (ref == nullptr || h.count() == 0 || ref->count() == 0) return nullptr;
  return json{{"mean", h.mean() - ref->mean()},
              {"p50", *diff(h, ref, 0.5)},
              {"p99", *diff(h, ref, 0.99)},
              {"p999", *diff(h, ref, 0.999)}};
}

json exits_json(const ExitCounts& e) {
  json j;
  for (unsigned r = 0; r < kExitReasons; ++r) j[std::string(to_string(static_cast<ExitReason>(r)))] = e.by_reason[r];
  j["total"] = e.total();
  return j;
}

json metrics_json(const RunResult& r, const SourceMetrics& m, const SourceMetrics* ref, bool total, unsigned vcpus,
                  Nanos window_end) {
  const Summary s = summarize(r, m, ref, total, vcpus, window_end);
  json j{{"events", m.events},
         {"interrupts", m.interrupts},
         {"events_per_interrupt", s.events_per_interrupt},
         {"interrupts_per_s", s.interrupts_per_s},
         {"events_per_s", s.events_per_s},
         {"dropped", m.dropped},
         {"lost", m.lost},
         {"irr_merged", m.irr_merged},
         {"isr_calls", m.isr_calls},
         {"isr_empty", m.isr_empty},
         {"kern_dispatches", m.kern_dispatches},
         {"wakeups", m.wakeups},
         {"exits", exits_json(m.exits)},
         {"exits_per_s", s.exits_per_s},
         {"irq_cpu_ns", m.irq_ns},
         {"irq_cpu_fraction", s.irq_cpu_fraction},
         {"exit_ns", m.exit_ns},
         {"latency_ns", latency_json(m.latency)},
         {"added_latency_ns", added_json(m.latency, ref != nullptr ? &ref->latency : nullptr)}};
  if (!m.requests) {
    j["requests"] = nullptr;
    return j;
  }
  j["requests"] = json{{"closed_loop", m.closed_loop},
                       {"issued", m.requests_issued},
                       {"completed", m.requests_completed},
                       {"dropped", m.requests_dropped},
                       {"throughput_per_s", throughput_per_s(r, m)},
                       {"latency_ns", latency_json(m.request_latency)},
                       {"added_latency_ns", added_json(m.request_latency, ref != nullptr ? &ref->request_latency : nullptr)}};
  return j;
}

// Every series of the document has `bins` entries (runs drain at different times).
json series_json(const RunResult& r, bool interrupts, std::size_t bins) {
  auto pick = [&](const SourceMetrics& m) {
    std::vector<std::uint32_t> v = interrupts ? m.series_interrupts : m.series_events;
    v.resize(bins, 0);
    return v;
  };
  json by_source = json::array();
  for (const SourceMetrics& m : r.sources) by_source.push_back(pick(m));
  return json{{"total", pick(r.total)}, {"by_source", std::move(by_source)}};
}

// The policy's own counters (Policy::telemetry_json), embedded as JSON; a string that
// does not parse is kept as a string rather than dropped.
json telemetry_json(const std::string& text) {
  if (text.empty()) return nullptr;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(text) : j;
}

// When the run had drained: the time its vCPUs' own fractions are shares of.
Nanos run_end_ns(const RunResult& r) { return std::max(r.end_ns, r.duration_ns); }

json vcpus_json(const RunResult& r) {
  json a = json::array();
  for (std::size_t c = 0; c < r.vcpus.size(); ++c) {
    const VcpuMetrics& v = r.vcpus[c];
    const double end = static_cast<double>(run_end_ns(r));
    a.push_back(json{{"id", c},
                     {"dispatches", v.dispatches},
                     {"unexpected", v.unexpected},
                     {"preemptions", v.preemptions},
                     {"wakeups", v.wakeups},
                     {"exits", exits_json(v.exits)},
                     {"irq_ns", v.irq_ns},
                     {"irq_fraction", static_cast<double>(v.irq_ns) / end},
                     {"halted_ns", v.halted_ns},
                     {"halted_fraction", static_cast<double>(v.halted_ns) / end}});
  }
  return a;
}

std::string wiring_name(const SourceSpec& s) { return s.wiring == Wiring::Msi ? "msi" : "ioapic"; }

std::string us(double ns) { return fmt::format("{:.2f}", ns / 1e3); }

std::string signed_us(const std::optional<double>& ns) { return ns ? fmt::format("{:+.2f}", *ns / 1e3) : "-"; }

std::string thousands(double v) {
  std::string digits = fmt::format("{:.0f}", v);
  std::string out;
  const std::size_t lead = digits[0] == '-' ? 1 : 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > lead && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

const std::vector<double>& cdf_quantiles() {
  static const std::vector<double> q = [] {
    std::vector<double> v{0.0};
    for (int i = 1; i <= 99; ++i) v.push_back(i / 100.0);
    for (double x : {0.995, 0.999, 0.9995, 0.9999, 1.0}) v.push_back(x);
    return v;
  }();
  return q;
}

double throughput_per_s(const RunResult& r, const SourceMetrics& m) { return per_s(m.requests_completed, r.duration_ns); }

Nanos common_window_end_ns(const std::vector<const RunResult*>& runs) {
  Nanos end = 0;
  for (const RunResult* r : runs) end = std::max(end, run_end_ns(*r));
  return end;
}

Nanos common_window_end_ns(const Comparison& c) {
  std::vector<const RunResult*> runs;
  for (const PolicyRun& run : c.runs) runs.push_back(&run.result);
  return common_window_end_ns(runs);
}

Summary summarize(const RunResult& r, const SourceMetrics& m, const SourceMetrics* reference, bool total,
                  unsigned vcpus, Nanos window_end_ns) {
  Summary s;
  s.events = m.events;
  s.interrupts = m.interrupts;
  s.exits = m.exits.total();
  s.interrupts_per_s = per_s(m.interrupts, r.duration_ns);
  s.events_per_s = per_s(m.events, r.duration_ns);
  s.events_per_interrupt = ratio(m.events_carried, m.interrupts);
  s.p50_ns = static_cast<double>(m.latency.quantile(0.5));
  s.p99_ns = static_cast<double>(m.latency.quantile(0.99));
  s.p999_ns = static_cast<double>(m.latency.quantile(0.999));
  s.max_ns = static_cast<double>(m.latency.max());
  s.mean_ns = m.latency.mean();
  const LatencyHistogram* ref = reference != nullptr ? &reference->latency : nullptr;
  s.added_p50_ns = diff(m.latency, ref, 0.5);
  s.added_p99_ns = diff(m.latency, ref, 0.99);
  s.added_p999_ns = diff(m.latency, ref, 0.999);
  const double cpu_time = static_cast<double>(std::max(window_end_ns, run_end_ns(r))) * (total ? vcpus : 1);
  s.irq_cpu_fraction = static_cast<double>(m.irq_ns) / cpu_time;
  s.exits_per_s = per_s(s.exits, r.duration_ns);
  return s;
}

std::string format_table(const Scenario& sc, const Comparison& c, const TableOptions& options) {
  std::string out;
  out += fmt::format("{}: {} vCPUs, {:.3f} s simulated, seed {}, {} delivery{}\n", sc.name, sc.vcpus,
                     to_seconds(sc.duration_ns), sc.seed,
                     sc.costs.path == DeliveryPath::Posted ? "posted-interrupt" : "exit-based",
                     sc.x2apic ? ", x2APIC" : ", xAPIC");
  std::vector<std::size_t> closed;
  for (std::size_t i = 0; i < sc.sources.size(); ++i)
    if (is_closed_loop(sc.sources[i])) closed.push_back(i);
  // The policy column is as wide as the longest spec: cut, two specs that differ only in
  // their last parameter would look the same.
  std::size_t policy_width = 28;
  for (const PolicyRun& run : c.runs) policy_width = std::max(policy_width, run.spec.to_string().size());
  auto throughput_label = [&](std::size_t i) {
    return sc.sources[i].name + (sc.sources[i].cls == SourceKind::block ? " IOPS" : " req/s");
  };
  std::string header = fmt::format("{:<{}} {:>9} {:>7} {:>8} {:>8} {:>9} {:>8} {:>8} {:>9}", "policy", policy_width,
                                   "irq/s", "ev/irq", "p50 us", "p99 us", "p99.9 us", "+p99 us", "irq CPU", "exits/s");
  for (std::size_t i : closed) {
    const std::string label = throughput_label(i);
    header += fmt::format(" {:>{}}", label, std::max<std::size_t>(12, label.size()));
  }
  out += "\n" + header + "\n";
  const PolicyRun* ref = c.reference_run();
  const Nanos window = common_window_end_ns(c);
  for (const PolicyRun& run : c.runs) {
    const RunResult& r = run.result;
    const Summary s = summarize(r, r.total, ref != nullptr ? &ref->result.total : nullptr, true, sc.vcpus, window);
    std::string line = fmt::format("{:<{}} {:>9} {:>7.2f} {:>8} {:>8} {:>9} {:>8} {:>7.1f}% {:>9}",
                                   run.spec.to_string(), policy_width, thousands(s.interrupts_per_s), s.events_per_interrupt, us(s.p50_ns), us(s.p99_ns),
                                   us(s.p999_ns), &run == ref ? std::string("ref") : signed_us(s.added_p99_ns),
                                   100.0 * s.irq_cpu_fraction, thousands(s.exits_per_s));
    for (std::size_t i : closed)
      line += fmt::format(" {:>{}}", thousands(throughput_per_s(r, r.sources[i])),
                          std::max<std::size_t>(12, throughput_label(i).size()));
    out += line + "\n";
  }
  out += "\nlatency: device event -> end of the ISR that served it, all sources; +p99: vs none on the same input;\n"
         "irq CPU: guest vCPU time in interrupt context (exits inside it included) over all vCPUs.\n";
  if (options.per_source) {
    for (std::size_t i = 0; i < sc.sources.size(); ++i) {
      out += fmt::format("\n{} ({}, {}, vCPU {}): {}\n", sc.sources[i].name, to_string(sc.sources[i].cls),
                         wiring_name(sc.sources[i]), sc.sources[i].cpu, describe(sc.sources[i].workload, sc.sources));
      out += fmt::format("  {:<{}} {:>9} {:>7} {:>8} {:>8} {:>9} {:>8} {:>8}\n", "policy", policy_width - 2, "irq/s",
                         "ev/irq", "p50 us", "p99 us", "p99.9 us", "+p99 us", "irq CPU");
      for (const PolicyRun& run : c.runs) {
        const RunResult& r = run.result;
        const Summary s =
            summarize(r, r.sources[i], ref != nullptr ? &ref->result.sources[i] : nullptr, false, sc.vcpus, window);
        out += fmt::format("  {:<{}} {:>9} {:>7.2f} {:>8} {:>8} {:>9} {:>8} {:>7.1f}%\n", run.spec.to_string(),
                           policy_width - 2, thousands(s.interrupts_per_s), s.events_per_interrupt, us(s.p50_ns), us(s.p99_ns),
                           us(s.p999_ns), &run == ref ? std::string("ref") : signed_us(s.added_p99_ns),
                           100.0 * s.irq_cpu_fraction);
      }
    }
  }
  for (const PolicyRun& run : c.runs)
    for (const std::string& n : run.result.notes) out += fmt::format("note ({}): {}\n", run.spec.to_string(), n);
  return out;
}

json scenario_json(const Scenario& sc) {
  json sources = json::array();
  for (std::size_t i = 0; i < sc.sources.size(); ++i) {
    const SourceSpec& s = sc.sources[i];
    json line = nullptr;
    if (s.wiring == Wiring::IoApicPin)
      line = json{{"isa_irq", s.isa_irq}, {"number", s.line}, {"wire_active_low", s.wire_active_low}};
    sources.push_back(json{{"id", i},
                           {"name", s.name},
                           {"class", to_string(s.cls)},
                           {"wiring", wiring_name(s)},
                           {"line", std::move(line)},
                           {"cpu", s.cpu},
                           {"irql", s.irql},
                           {"isr_base_ns", s.isr_base_ns},
                           {"isr_per_event_ns", s.isr_per_event_ns},
                           {"workload", describe(s.workload, sc.sources)},
                           {"requests", is_request_source(s)},
                           {"closed_loop", is_closed_loop(s)}});
  }
  json load = json::array();
  for (unsigned c = 0; c < sc.vcpus; ++c) {
    const VcpuLoad l = c < sc.load.size() ? sc.load[c] : VcpuLoad{};
    load.push_back(json{{"busy_fraction", l.busy_fraction}, {"busy_period_ns", l.busy_period_ns}});
  }
  const Costs& k = sc.costs;
  return json{{"name", sc.name},
              {"duration_ns", sc.duration_ns},
              {"seed", sc.seed},
              {"vcpus", sc.vcpus},
              {"apic_mode", sc.x2apic ? "x2apic" : "xapic"},
              {"directed_eoi", sc.directed_eoi},
              {"delivery_path", to_string(k.path)},
              {"costs",
               json{{"posted_delivery_ns", k.posted_delivery_ns},
                    {"kick_exit_ns", k.kick_exit_ns},
                    {"eoi_exit_ns", k.eoi_exit_ns},
                    {"wakeup_ns", k.wakeup_ns},
                    {"guest_dispatch_ns", k.guest_dispatch_ns},
                    {"hlt_exits", k.hlt_exits}}},
              {"vcpu_load", std::move(load)},
              {"sources", std::move(sources)}};
}

json to_json(const Scenario& sc, const Comparison& c, const ReportContext& ctx) {
  const PolicyRun* ref = c.reference_run();
  const Nanos window = common_window_end_ns(c);
  json policies = json::array();
  Nanos bin = 0;
  std::size_t bins = 0;
  for (const PolicyRun& run : c.runs) {
    bin = run.result.series_bin_ns;
    bins = std::max({bins, run.result.total.series_interrupts.size(), run.result.total.series_events.size()});
  }
  for (const PolicyRun& run : c.runs) {
    const RunResult& r = run.result;
    const SourceMetrics* ref_total = ref != nullptr && &run != ref ? &ref->result.total : nullptr;
    json sources = json::array();
    for (std::size_t i = 0; i < r.sources.size(); ++i) {
      json s{{"id", i}, {"name", r.source_names[i]}};
      const SourceMetrics* rs = ref != nullptr && &run != ref ? &ref->result.sources[i] : nullptr;
      s.update(metrics_json(r, r.sources[i], rs, false, sc.vcpus, window));
      sources.push_back(std::move(s));
    }
    policies.push_back(json{{"name", r.policy},
                            {"spec", run.spec.to_string()},
                            {"description", r.description},
                            {"reference_only", run.reference_only},
                            {"end_ns", r.end_ns},
                            {"engine_events", r.engine_events},
                            {"total", metrics_json(r, r.total, ref_total, true, sc.vcpus, window)},
                            {"sources", std::move(sources)},
                            {"vcpus", vcpus_json(r)},
                            {"series", json{{"interrupts", series_json(r, true, bins)}, {"events", series_json(r, false, bins)}}},
                            {"telemetry", telemetry_json(r.telemetry_json)},
                            {"notes", r.notes}});
  }
  return json{{"schema_version", kJsonSchemaVersion},
              {"generator", ctx.generator},
              {"command", ctx.command},
              {"input", ctx.input.empty() ? json(nullptr) : json(ctx.input)},
              {"scenario", scenario_json(sc)},
              {"reference_policy", ref != nullptr ? json(ref->spec.to_string()) : json(nullptr)},
              {"latency_quantiles", cdf_quantiles()},
              {"latency_relative_error", LatencyHistogram::kRelativeError},
              {"series_bin_ns", bin},
              {"series_bins", bins},
              {"policies", std::move(policies)}};
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string q = "\"";
  for (char ch : text) {
    if (ch == '"') q += '"';
    q += ch;
  }
  return q + "\"";
}

std::string to_csv(const Scenario& sc, const Comparison& c) {
  std::string out =
      "policy,spec,source,class,events,interrupts,events_per_interrupt,interrupts_per_s,dropped,"
      "lat_p50_ns,lat_p99_ns,lat_p999_ns,lat_max_ns,lat_mean_ns,added_p50_ns,added_p99_ns,added_p999_ns,"
      "irq_cpu_ns,irq_cpu_fraction,exits,exits_per_s,exits_kick,exits_eoi,exits_ioapic_eoi,exits_hlt,wakeups,"
      "requests_completed,throughput_per_s,req_p50_ns,req_p99_ns\n";
  const PolicyRun* ref = c.reference_run();
  const Nanos window = common_window_end_ns(c);
  auto cell = [](const std::optional<double>& v) { return v ? fmt::format("{:.0f}", *v) : std::string(); };
  for (const PolicyRun& run : c.runs) {
    const RunResult& r = run.result;
    for (std::size_t i = 0; i <= r.sources.size(); ++i) {
      const bool total = i == r.sources.size();
      const SourceMetrics& m = total ? r.total : r.sources[i];
      // The reference run has no "added" latency: its cells stay empty, as in the JSON.
      const SourceMetrics* rm =
          ref == nullptr || &run == ref ? nullptr : total ? &ref->result.total : &ref->result.sources[i];
      const Summary s = summarize(r, m, rm, total, sc.vcpus, window);
      out += fmt::format("{},{},{},{},{},{},{:.4f},{:.1f},{},{:.0f},{:.0f},{:.0f},{:.0f},{:.1f},{},{},{},{},{:.6f},{},{:.1f}",
                         csv_field(r.policy), csv_field(run.spec.to_string()), total ? "total" : csv_field(r.source_names[i]),
                         total ? "" : std::string(to_string(sc.sources[i].cls)), m.events, m.interrupts,
                         s.events_per_interrupt, s.interrupts_per_s, m.dropped, s.p50_ns, s.p99_ns, s.p999_ns, s.max_ns,
                         s.mean_ns, cell(s.added_p50_ns), cell(s.added_p99_ns), cell(s.added_p999_ns), m.irq_ns,
                         s.irq_cpu_fraction, s.exits, s.exits_per_s);
      out += fmt::format(",{},{},{},{},{}", m.exits[ExitReason::Kick], m.exits[ExitReason::Eoi],
                         m.exits[ExitReason::IoApicEoi], m.exits[ExitReason::Hlt], m.wakeups);
      if (m.requests)
        out += fmt::format(",{},{:.1f},{},{}\n", m.requests_completed, throughput_per_s(r, m),
                           m.request_latency.quantile(0.5), m.request_latency.quantile(0.99));
      else
        out += ",,,,\n";
    }
  }
  return out;
}

}  // namespace irqshape::sim
