#include "isd/telemetry.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "export/prometheus_writer.h"

namespace irqshape::isd {

namespace regs = isu::regs;
using nlohmann::json;

std::uint64_t hold_bucket_ceiling(unsigned k) {
  return k + 1 < regs::kHoldBuckets ? regs::hold_bucket_floor(k + 1) : 0;
}

namespace {

// The estimate capped by the bound, when there is one.
double capped(double v, std::optional<std::uint64_t> bound_ns) {
  return bound_ns ? std::min(v, static_cast<double>(*bound_ns)) : v;
}
// Where the open last bucket (floor `floor`) ends: at the bound above its floor, else at
// twice its floor.
double open_bucket_end(std::uint64_t floor, std::optional<std::uint64_t> bound_ns) {
  return bound_ns && *bound_ns > floor ? static_cast<double>(*bound_ns) : 2.0 * static_cast<double>(floor);
}

}  // namespace

double hold_quantile(const HoldCounts& counts, double q, std::optional<std::uint64_t> bound_ns) {
  std::uint64_t total = 0;
  for (const std::uint64_t c : counts) total += c;
  if (total == 0) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  double before = 0;
  for (unsigned k = 0; k < regs::kHoldBuckets; ++k) {
    const auto c = static_cast<double>(counts[k]);
    if (c == 0 || before + c < rank) {
      before += c;
      continue;
    }
    const double lo = static_cast<double>(regs::hold_bucket_floor(k));
    const std::uint64_t ceiling = hold_bucket_ceiling(k);
    const double hi = ceiling != 0 ? static_cast<double>(ceiling) : open_bucket_end(regs::hold_bucket_floor(k), bound_ns);
    return capped(lo + (hi - lo) * std::clamp((rank - before) / c, 0.0, 1.0), bound_ns);
  }
  return bound_ns ? static_cast<double>(*bound_ns) : 0;
}

double hold_quantile_bound(const HoldCounts& counts, double q, std::optional<std::uint64_t> bound_ns) {
  std::uint64_t total = 0;
  for (const std::uint64_t c : counts) total += c;
  if (total == 0) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  double before = 0;
  for (unsigned k = 0; k < regs::kHoldBuckets; ++k) {
    before += static_cast<double>(counts[k]);
    if (counts[k] == 0 || before < rank) continue;
    const std::uint64_t ceiling = hold_bucket_ceiling(k);
    return capped(ceiling != 0 ? static_cast<double>(ceiling) : open_bucket_end(regs::hold_bucket_floor(k), bound_ns),
                  bound_ns);
  }
  return bound_ns ? static_cast<double>(*bound_ns) : 0;
}

namespace {

std::uint64_t diff64(std::uint64_t cur, std::uint64_t prev) { return counter_delta(cur, prev); }

SourceTelemetry delta_of(const SourceTelemetry& cur, const SourceTelemetry* prev) {
  SourceTelemetry d = cur;  // gauges (rate, pending, pred_*, hold_max) stay as read
  if (prev == nullptr) return d;
  d.in = diff64(cur.in, prev->in);
  d.out = diff64(cur.out, prev->out);
  d.events = diff64(cur.events, prev->events);
  d.coalesced = diff64(cur.coalesced, prev->coalesced);
  d.deferred = diff64(cur.deferred, prev->deferred);
  d.dropped = diff64(cur.dropped, prev->dropped);
  d.raised = diff64(cur.raised, prev->raised);
  d.lowered = diff64(cur.lowered, prev->lowered);
  d.patterns = diff64(cur.patterns, prev->patterns);
  d.hold_sum_ns = diff64(cur.hold_sum_ns, prev->hold_sum_ns);
  // Buckets wrap: modulo 2^32 - unless TEL_IN went down, i.e. the counters were cleared.
  const bool cleared = cur.in < prev->in;
  for (unsigned k = 0; k < regs::kHoldBuckets; ++k) d.hold[k] = cleared ? cur.hold[k] : cur.hold[k] - prev->hold[k];
  return d;
}

double per_second(std::uint64_t count, std::uint64_t ns) {
  return ns == 0 ? 0.0 : static_cast<double>(count) * 1e9 / static_cast<double>(ns);
}

}  // namespace

std::string TelemetryCollector::source_name(std::uint32_t id, const Program& program) const {
  if (names_ != nullptr && names_->find(id) != nullptr) return names_->display(id);
  for (const SourceProgram& s : program.sources)
    if (s.id == id && !s.name.empty()) return s.name;
  return fmt::format("id={}", id);
}

Period TelemetryCollector::sample(Driver& driver) {
  const TelemetrySnapshot snap = driver.read_telemetry();
  if (driver.capabilities().partials != 0) partials_ = driver.capabilities().partials;
  Period p = sample(snap, driver.program());
  for (SourcePeriod& s : p.sources) {
    auto live = driver.read_source(s.id);
    if (!live) continue;
    s.ctrl = live->value(regs::SRC_CTRL);
    s.coal_count = live->value(regs::SRC_COAL_COUNT);
    s.coal_time_ns = live->value(regs::SRC_COAL_TIME);
  }
  return p;
}

Period TelemetryCollector::sample(const TelemetrySnapshot& snap, const Program& program) {
  Period p;
  p.index = periods_++;
  p.end_ns = snap.unit.now;
  p.start_ns = prev_ ? prev_->unit.now : snap.unit.now;
  p.unit = snap.unit;
  if (prev_) {
    p.pm_dropped_delta = counter_delta(snap.unit.pm_dropped, prev_->unit.pm_dropped);
    p.unshaped_delta = counter_delta(snap.unit.unshaped_in, prev_->unit.unshaped_in);
  }
  if (p.pm_dropped_delta != 0)
    p.warnings.push_back(fmt::format("{} partial matches dropped this period (CAP_PARTIALS {} too small for the patterns' "
                                     "first-step rates x windows: narrow the windows)", p.pm_dropped_delta, partials_));
  const std::uint64_t span = p.end_ns - p.start_ns;
  std::map<std::uint32_t, const SourceTelemetry*> before;
  if (prev_)
    for (const SourceTelemetry& t : prev_->sources) before[t.id] = &t;
  std::map<std::uint32_t, HoldCounts> totals;
  std::map<std::uint32_t, std::uint64_t> sums;
  for (const SourceTelemetry& t : snap.sources) {
    SourcePeriod s;
    s.id = t.id;
    s.name = source_name(t.id, program);
    s.total = t;
    const auto it = before.find(t.id);
    s.delta = delta_of(t, it == before.end() ? nullptr : it->second);
    HoldCounts& total = totals[t.id];
    total = hold_totals_.size() > t.id ? hold_totals_[t.id] : HoldCounts{};
    for (unsigned k = 0; k < regs::kHoldBuckets; ++k) {
      s.hold_delta[k] = s.delta.hold[k];
      total[k] += s.delta.hold[k];
    }
    s.hold_total = total;
    const auto sum = hold_sum_totals_.find(t.id);
    s.hold_sum_total = sums[t.id] = (sum == hold_sum_totals_.end() ? 0 : sum->second) + s.delta.hold_sum_ns;
    s.in_per_s = per_second(s.delta.in, span);
    s.out_per_s = per_second(s.delta.out, span);
    s.events_per_interrupt = s.delta.out == 0 ? 0.0 : static_cast<double>(s.delta.events) / static_cast<double>(s.delta.out);
    s.hold_mean_ns = s.delta.events == 0 ? 0.0 : static_cast<double>(s.delta.hold_sum_ns) / static_cast<double>(s.delta.events);
    s.hold_p50_ns = hold_quantile(s.hold_delta, 0.50, t.hold_max_ns);
    s.hold_p99_ns = hold_quantile(s.hold_delta, 0.99, t.hold_max_ns);
    p.sources.push_back(std::move(s));
  }
  for (const auto& [id, sum] : sums) hold_sum_totals_[id] = sum;
  for (const auto& [id, counts] : totals) {
    if (hold_totals_.size() <= id) hold_totals_.resize(id + 1);
    hold_totals_[id] = counts;
  }
  auto find_prev = [](const auto& list, std::uint32_t index) -> std::uint64_t {
    for (const auto& e : list)
      if (e.index == index) return e.matches;
    return 0;
  };
  for (const RuleTelemetry& r : snap.rules) {
    std::string name;
    for (const RuleProgram& rp : program.rules)
      if (rp.index == r.index) name = rp.name;
    p.rules.push_back(NamedCount{r.index, name, r.matches, prev_ ? diff64(r.matches, find_prev(prev_->rules, r.index)) : r.matches, 0});
  }
  for (const PatternTelemetry& t : snap.patterns) {
    std::string name;
    for (const PatternProgram& pp : program.patterns)
      if (pp.index == t.index) name = pp.text;
    p.patterns.push_back(
        NamedCount{t.index, name, t.matches, prev_ ? diff64(t.matches, find_prev(prev_->patterns, t.index)) : t.matches, t.live});
  }
  prev_ = snap;
  return p;
}

json to_json(const Period& p) {
  json sources = json::array();
  for (const SourcePeriod& s : p.sources) {
    const SourceTelemetry& t = s.total;
    const SourceTelemetry& d = s.delta;
    sources.push_back({
        {"id", s.id},
        {"name", s.name},
        {"in", t.in},
        {"out", t.out},
        {"events", t.events},
        {"coalesced", t.coalesced},
        {"deferred", t.deferred},
        {"dropped", t.dropped},
        {"raised", t.raised},
        {"lowered", t.lowered},
        {"patterns", t.patterns},
        {"pending", t.pending},
        {"rate_per_window", t.rate},
        {"pred_mean_ns", t.pred_mean_ns},
        {"pred_dev_ns", t.pred_dev_ns},
        {"hold_max_ns", t.hold_max_ns},
        {"delta",
         {{"in", d.in},
          {"out", d.out},
          {"events", d.events},
          {"coalesced", d.coalesced},
          {"deferred", d.deferred},
          {"dropped", d.dropped},
          {"raised", d.raised},
          {"lowered", d.lowered},
          {"patterns", d.patterns},
          {"hold_sum_ns", d.hold_sum_ns},
          {"hold_hist", s.hold_delta}}},
        {"in_per_s", s.in_per_s},
        {"out_per_s", s.out_per_s},
        {"events_per_interrupt", s.events_per_interrupt},
        {"hold_mean_ns", s.hold_mean_ns},
        {"hold_p50_ns", s.hold_p50_ns},
        {"hold_p99_ns", s.hold_p99_ns},
        {"settings", {{"ctrl", s.ctrl}, {"coal_count", s.coal_count}, {"coal_time_ns", s.coal_time_ns}}},
    });
  }
  json rules = json::array(), patterns = json::array();
  for (const NamedCount& r : p.rules) rules.push_back({{"index", r.index}, {"name", r.name}, {"matches", r.total}, {"delta", r.delta}});
  for (const NamedCount& r : p.patterns)
    patterns.push_back({{"index", r.index}, {"sequence", r.name}, {"matches", r.total}, {"delta", r.delta}, {"live", r.live}});
  return {
      {"period", p.index},
      {"t_ns", p.end_ns},
      {"start_ns", p.start_ns},
      {"unit",
       {{"enabled", p.unit.enabled},
        {"err_status", p.unit.err_status},
        {"unshaped_in", p.unit.unshaped_in},
        {"pm_live", p.unit.pm_live},
        {"pm_dropped", p.unit.pm_dropped},
        {"pm_dropped_delta", p.pm_dropped_delta},
        {"history_count", p.unit.history_count}}},
      {"sources", std::move(sources)},
      {"rules", std::move(rules)},
      {"patterns", std::move(patterns)},
      {"warnings", p.warnings},
  };
}

namespace {

using exporter::Labels;
using exporter::MetricType;
using exporter::PrometheusWriter;

struct SourceMetric {
  const char* name;
  MetricType type;
  const char* help;
  double (*value)(const SourcePeriod&);
};

constexpr double d(std::uint64_t v) { return static_cast<double>(v); }

const SourceMetric kSourceMetrics[] = {
    {"irqshape_isu_interrupts_in_total", MetricType::counter, "Interrupts the unit received from the source (TEL_IN).",
     [](const SourcePeriod& s) { return d(s.total.in); }},
    {"irqshape_isu_interrupts_out_total", MetricType::counter, "Virtual interrupts the unit emitted for the source (TEL_OUT).",
     [](const SourcePeriod& s) { return d(s.total.out); }},
    {"irqshape_isu_events_delivered_total", MetricType::counter, "Events carried by those virtual interrupts (TEL_EVENTS).",
     [](const SourcePeriod& s) { return d(s.total.events); }},
    {"irqshape_isu_events_coalesced_total", MetricType::counter, "Events that rode on another event's interrupt (TEL_COALESCED).",
     [](const SourcePeriod& s) { return d(s.total.coalesced); }},
    {"irqshape_isu_events_deferred_total", MetricType::counter, "Events held by the storm guard (TEL_DEFERRED).",
     [](const SourcePeriod& s) { return d(s.total.deferred); }},
    {"irqshape_isu_events_dropped_total", MetricType::counter, "Events dropped by the storm guard (TEL_DROPPED).",
     [](const SourcePeriod& s) { return d(s.total.dropped); }},
    {"irqshape_isu_interrupts_raised_total", MetricType::counter, "Interrupts delivered on the raise vector (TEL_RAISED).",
     [](const SourcePeriod& s) { return d(s.total.raised); }},
    {"irqshape_isu_interrupts_lowered_total", MetricType::counter, "Interrupts delivered on the lower vector (TEL_LOWERED).",
     [](const SourcePeriod& s) { return d(s.total.lowered); }},
    {"irqshape_isu_pattern_completions_total", MetricType::counter, "Arrivals that completed a pattern (TEL_PATTERNS).",
     [](const SourcePeriod& s) { return d(s.total.patterns); }},
    {"irqshape_isu_pending_events", MetricType::gauge, "Events held now (TEL_PENDING).",
     [](const SourcePeriod& s) { return d(s.total.pending); }},
    {"irqshape_isu_rate_events_per_window", MetricType::gauge, "The unit's rate estimate, events per rate window (TEL_RATE).",
     [](const SourcePeriod& s) { return d(s.total.rate); }},
    {"irqshape_isu_predicted_gap_seconds", MetricType::gauge, "Mean inter-arrival gap the predictor expects (TEL_PRED_MEAN).",
     [](const SourcePeriod& s) { return d(s.total.pred_mean_ns) * 1e-9; }},
    {"irqshape_isu_coalesce_time_seconds", MetricType::gauge, "Coalescing time threshold now programmed (SRC_COAL_TIME).",
     [](const SourcePeriod& s) { return d(s.coal_time_ns) * 1e-9; }},
};

}  // namespace

std::string to_prometheus(const Period& p) {
  PrometheusWriter w;
  auto labels = [](const SourcePeriod& s) { return Labels{{"source", s.name}, {"id", std::to_string(s.id)}}; };
  for (const SourceMetric& m : kSourceMetrics) {
    (void)w.family(m.name, m.type, m.help);
    for (const SourcePeriod& s : p.sources) (void)w.sample(labels(s), m.value(s));
  }
  (void)w.family("irqshape_isu_hold_seconds", MetricType::histogram,
                 "Added delay of delivered events (hold-time histogram TEL_HOLDk: each event of a batch counted at the batch's "
                 "longest hold; _sum is the exact total hold, TEL_HOLD_SUM).");
  // Bucket k holds [floor k, floor k+1) ns; Prometheus' le is inclusive: the largest hold
  // bucket k can count is floor k+1 minus one nanosecond.
  std::vector<double> bounds;
  // (Divided by 1e9, not times 1e-9, which is inexact: le="4.095e-06", not 4.095000000000001e-06.)
  for (unsigned k = 0; k + 1 < regs::kHoldBuckets; ++k) bounds.push_back(static_cast<double>(hold_bucket_ceiling(k) - 1) / 1e9);
  // _sum and _count both run over every period (they survive CLEAR_TELEMETRY together).
  for (const SourcePeriod& s : p.sources)
    (void)w.histogram(labels(s), bounds, s.hold_total, static_cast<double>(s.hold_sum_total) / 1e9);

  (void)w.family("irqshape_isu_rule_matches_total", MetricType::counter, "Times the rule held (TEL_RULE_MATCHES).");
  for (const NamedCount& r : p.rules) (void)w.sample({{"rule", r.name}, {"index", std::to_string(r.index)}}, d(r.total));
  (void)w.family("irqshape_isu_pattern_matches_total", MetricType::counter, "Completions of the pattern (TEL_PAT_MATCHES).");
  for (const NamedCount& r : p.patterns) (void)w.sample({{"pattern", r.name}, {"index", std::to_string(r.index)}}, d(r.total));
  (void)w.family("irqshape_isu_pattern_partials_live", MetricType::gauge, "Live partial matches of the pattern (TEL_PAT_LIVE).");
  for (const NamedCount& r : p.patterns) (void)w.sample({{"pattern", r.name}, {"index", std::to_string(r.index)}}, d(r.live));

  (void)w.family("irqshape_isu_partial_matches_live", MetricType::gauge, "Live partial matches, all patterns (PM_LIVE).");
  (void)w.sample({}, d(p.unit.pm_live));
  (void)w.family("irqshape_isu_partial_matches_dropped_total", MetricType::counter,
                 "Partial matches dropped for lack of space (PM_DROPPED).");
  (void)w.sample({}, d(p.unit.pm_dropped));
  (void)w.family("irqshape_isu_unshaped_total", MetricType::counter, "Inputs passed through unshaped (UNSHAPED_IN).");
  (void)w.sample({}, d(p.unit.unshaped_in));
  (void)w.family("irqshape_isu_history_entries_total", MetricType::counter, "History entries ever recorded (HIST_COUNT).");
  (void)w.sample({}, d(p.unit.history_count));
  (void)w.family("irqshape_isu_error_status", MetricType::gauge, "ERR_STATUS bits (0: no error).");
  (void)w.sample({}, d(p.unit.err_status));
  (void)w.family("irqshape_isu_enabled", MetricType::gauge, "1 while the unit shapes (STATUS.ENABLED).");
  (void)w.sample({}, p.unit.enabled ? 1.0 : 0.0);
  (void)w.family("irqshape_isu_time_seconds", MetricType::gauge, "The unit's notion of time (NOW).");
  (void)w.sample({}, d(p.unit.now) * 1e-9);
  return w.take();
}

std::uint32_t PerfettoCounters::pid_for(const SourcePeriod& s) {
  const std::uint32_t pid = first_pid_ + s.id;
  if (std::find(known_.begin(), known_.end(), s.id) == known_.end()) {
    known_.push_back(s.id);
    out_.process_name(pid, fmt::format("ISU source {}", s.name));
    out_.process_sort_index(pid, static_cast<int>(pid));
  }
  return pid;
}

void PerfettoCounters::add(const Period& p) {
  const std::uint32_t unit_pid = first_pid_ - 1;
  if (!unit_named_) {
    out_.process_name(unit_pid, "ISU");
    out_.process_sort_index(unit_pid, static_cast<int>(unit_pid));
    unit_named_ = true;
  }
  const std::uint64_t t = p.end_ns;
  out_.counter(unit_pid, "partial matches live", t, static_cast<double>(p.unit.pm_live));
  out_.counter(unit_pid, "partial matches dropped", t, static_cast<double>(p.unit.pm_dropped));
  for (const SourcePeriod& s : p.sources) {
    const std::uint32_t pid = pid_for(s);
    out_.counter(pid, "interrupts in/s", t, s.in_per_s);
    out_.counter(pid, "virtual interrupts out/s", t, s.out_per_s);
    out_.counter(pid, "events per interrupt", t, s.events_per_interrupt);
    out_.counter(pid, "hold (us)", t, {{"p50", s.hold_p50_ns / 1000.0}, {"p99", s.hold_p99_ns / 1000.0}});
    out_.counter(pid, "coalescing time (us)", t, static_cast<double>(s.coal_time_ns) / 1000.0);
    out_.counter(pid, "pending events", t, static_cast<double>(s.total.pending));
  }
}

}  // namespace irqshape::isd
