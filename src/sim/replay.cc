#include "sim/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "trace/views.h"

namespace irqshape::sim {

namespace {

std::uint8_t irql_of(SourceKind c) {
  switch (c) {
    case SourceKind::block: return 8;
    case SourceKind::net: return 6;
    case SourceKind::timer: return 12;
    case SourceKind::other: return 5;
  }
  return 5;
}

Nanos median(std::vector<Nanos> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

struct PerSource {
  std::vector<Nanos> arrivals;
  std::vector<Nanos> handler_ns;
  std::map<unsigned, std::uint64_t> cpus;  // CPU -> interrupts taken there
};

std::string source_name(const trace::Source& s, std::size_t id) {
  if (!s.name.empty()) return s.name;
  return s.irq >= 0 ? fmt::format("irq {}", s.irq) : fmt::format("source {}", id);
}

// A scenario's sources need distinct names, a trace's need not: two controllers' irqs
// are often both "xhci_hcd", and a device named like a block queue can meet "blk:...".
// Each name used more than once gets its `origin` ("irq 30") appended, then a number if
// that is not enough.
void make_names_unique(std::vector<SourceSpec>& sources, const std::vector<std::string>& origin,
                       std::vector<std::string>& notes) {
  std::map<std::string, unsigned> uses;
  for (const SourceSpec& s : sources) ++uses[s.name];
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (uses[sources[i].name] < 2) continue;
    const std::string before = sources[i].name;
    std::string after = fmt::format("{} ({})", before, origin[i]);
    for (unsigned n = 2; uses.count(after) != 0; ++n) after = fmt::format("{} ({}, {})", before, origin[i], n);
    uses[after] = 1;
    sources[i].name = after;
    notes.push_back(fmt::format("\"{}\" names more than one source; this one is \"{}\"", before, after));
  }
}

}  // namespace

Result<ReplayConversion> scenario_from_trace(const trace::Trace& t, const std::string& name,
                                             const ReplayOptions& options) {
  if (t.records.empty()) return make_error("{}: the trace has no records", name);
  ReplayConversion out;
  Scenario& sc = out.scenario;
  sc.name = name;
  sc.seed = options.seed;
  Nanos t0 = t.records.front().ts, t1 = t0;
  unsigned max_cpu = 0;
  for (const trace::Record& r : t.records) {
    t0 = std::min(t0, r.ts);
    t1 = std::max(t1, r.ts);
    max_cpu = std::max<unsigned>(max_cpu, r.cpu);
  }
  sc.vcpus = options.vcpus != 0 ? options.vcpus : std::min(64u, max_cpu + 1);
  if (sc.vcpus < max_cpu + 1)
    out.notes.push_back(fmt::format("the trace has CPUs 0-{} and the guest {} vCPU{}: a source recorded on CPU c "
                                    "runs on vCPU c mod {}",
                                    max_cpu, sc.vcpus, sc.vcpus == 1 ? "" : "s", sc.vcpus));
  sc.duration_ns = std::max<Nanos>(t1 - t0 + 1, 1);
  if (options.max_duration != 0 && options.max_duration < sc.duration_ns) sc.duration_ns = options.max_duration;

  std::vector<PerSource> per(t.catalog.sources.size());
  for (const trace::Record& r : t.records) {
    if (r.type != trace::RecordType::irq_entry || r.id >= per.size()) continue;
    per[r.id].arrivals.push_back(r.ts - t0);
    ++per[r.id].cpus[r.cpu];
  }
  for (const trace::HandlerSpan& h : trace::handler_spans(t))
    if (h.source < per.size()) per[h.source].handler_ns.push_back(h.duration_ns());

  // Closed loop: block devices with matched requests replace the block interrupt sources.
  std::map<trace::DeviceId, std::vector<trace::BlockRequest>> by_device;
  if (options.closed_loop) {
    for (const trace::BlockRequest& q : trace::match_block_requests(t))
      if (q.issue_ts >= t0) by_device[q.device].push_back(q);
    if (by_device.empty()) out.notes.push_back("--closed-loop: the trace has no matched block requests; replaying open loop");
  }
  const bool replace_block = !by_device.empty();
  std::vector<std::string> origin;  // per scenario source: where it came from, for make_names_unique

  for (std::size_t id = 0; id < per.size(); ++id) {
    const PerSource& p = per[id];
    if (p.arrivals.empty()) continue;
    const trace::Source& ts = t.catalog.sources[id];
    const SourceKind cls = ts.kind;
    if (replace_block && cls == SourceKind::block) {
      out.notes.push_back(fmt::format("{}: block interrupts replaced by the closed-loop requests", source_name(ts, id)));
      out.replaced_sources.push_back(source_name(ts, id));
      continue;
    }
    SourceSpec s;
    s.name = source_name(ts, id);
    s.cls = cls;
    s.cpu = std::max_element(p.cpus.begin(), p.cpus.end(), [](const auto& a, const auto& b) { return a.second < b.second; })
                ->first % sc.vcpus;
    s.irql = irql_of(cls);
    s.isr_base_ns = std::clamp<Nanos>(median(p.handler_ns), 200, 100'000);
    s.isr_per_event_ns = 0;
    std::vector<Nanos> times = p.arrivals;
    std::sort(times.begin(), times.end());
    times.erase(std::upper_bound(times.begin(), times.end(), sc.duration_ns - 1), times.end());
    s.workload = Arrivals{Recorded{std::move(times)}};
    sc.sources.push_back(std::move(s));
    origin.push_back(ts.irq >= 0 ? fmt::format("irq {}", ts.irq) : fmt::format("source {}", id));
  }

  std::size_t requests_in_run = 0;
  for (auto& [device, requests] : by_device) {
    const std::string dev = device < t.catalog.devices.size() ? t.catalog.devices[device].name : std::to_string(device);
    SourceSpec s;
    s.name = "blk:" + dev;
    out.request_sources.push_back(s.name);
    s.cls = SourceKind::block;
    std::map<unsigned, std::uint64_t> cpus;
    for (const auto& q : requests) ++cpus[q.complete_cpu];
    s.cpu = std::max_element(cpus.begin(), cpus.end(), [](const auto& a, const auto& b) { return a.second < b.second; })
                ->first % sc.vcpus;
    s.irql = irql_of(SourceKind::block);
    s.isr_base_ns = 1'200;
    s.isr_per_event_ns = 500;
    RecordedRequests rr;
    rr.first_issue_ns = requests.front().issue_ts - t0;
    for (const auto& q : requests) {
      RecordedRequest r;
      r.service_ns = q.service_ns();
      r.think_ns = q.think_ns;
      r.after_completion = q.after_completion;
      r.bytes = q.bytes;
      rr.requests.push_back(r);
    }
    const auto within = static_cast<std::size_t>(std::count_if(
        requests.begin(), requests.end(), [&](const trace::BlockRequest& q) { return q.issue_ts - t0 < sc.duration_ns; }));
    requests_in_run += within;
    if (within == rr.requests.size()) {
      out.notes.push_back(fmt::format("{}: {} requests replayed closed loop (recorded service and think times)", s.name,
                                      rr.requests.size()));
    } else {  // --max-duration ends the run before the trace: not every request is replayed
      out.notes.push_back(fmt::format("{}: closed loop (recorded service and think times) over the first {:.3f} s: {} of "
                                      "the {} recorded requests were issued in that time in the trace; a policy "
                                      "issues as many as its delays allow (requests.issued in --json)",
                                      s.name, static_cast<double>(sc.duration_ns) * 1e-9, within, rr.requests.size()));
    }
    s.workload = Requests{.issue = std::move(rr), .service = Dist::fixed(0)};
    sc.sources.push_back(std::move(s));
    origin.push_back(fmt::format("device {}", device));
  }
  if (replace_block) {  // what the recorded system took, beside the simulated baseline
    std::uint64_t block_irqs = 0;
    for (std::size_t id = 0; id < per.size(); ++id)
      if (t.catalog.sources[id].kind == SourceKind::block)
        block_irqs += static_cast<std::uint64_t>(std::count_if(per[id].arrivals.begin(), per[id].arrivals.end(),
                                                               [&](Nanos a) { return a < sc.duration_ns; }));
    out.notes.push_back(fmt::format(
        "recorded: {} block interrupts for {} requests in the replayed time ({:.2f} per request, {:.0f}/s); the simulated "
        "devices interrupt once per completion, which is what policy none shows",
        block_irqs, requests_in_run,
        requests_in_run == 0 ? 0.0 : static_cast<double>(block_irqs) / static_cast<double>(requests_in_run),
        static_cast<double>(block_irqs) / (static_cast<double>(sc.duration_ns) * 1e-9)));
  }
  make_names_unique(sc.sources, origin, out.notes);
  if (sc.sources.empty()) return make_error("{}: the trace has no interrupts to replay", name);
  if (sc.sources.size() > 100)
    return make_error("{}: {} interrupt sources; the guest kernel supports at most 100 here", name, sc.sources.size());
  return out;
}

}  // namespace irqshape::sim
