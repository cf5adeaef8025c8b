#include "isd/adapter.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "isd/telemetry.h"

namespace irqshape::isd {

namespace regs = isu::regs;

Status validate(const AdapterOptions& o) {
  if (Status s = check_adapt_budget(o.budget_ns); !s) return make_error("adapter: budget {}", s.message());
  if (Status s = check_adapt_period(o.period_ns); !s) return make_error("adapter: period {}", s.message());
  if (!(o.target > 0 && o.target <= 1)) return make_error("adapter: target {} is outside (0, 1]", o.target);
  if (!(o.band >= 0 && o.band < 1)) return make_error("adapter: band {} is outside [0, 1)", o.band);
  const std::uint64_t max = o.max_time_ns != 0 ? o.max_time_ns : o.budget_ns;
  if (o.min_time_ns == 0 || o.min_time_ns > max || max > kMaxTimeNs)
    return make_error("adapter: coalescing time range {}..{} is empty or beyond the unit", format_duration(o.min_time_ns),
                      format_duration(max));
  return {};
}

AdapterOptions adapter_options(const AdaptSettings& settings) {
  AdapterOptions o;
  o.budget_ns = settings.max_added_p99_ns.value;
  if (settings.period_ns) o.period_ns = settings.period_ns->value;
  return o;
}

Status Adapter::start(Driver& driver) {
  if (auto s = validate(opt_); !s) return s;
  std::vector<std::uint32_t> ids = opt_.sources;
  if (ids.empty())
    for (const SourceProgram& s : driver.program().sources) ids.push_back(s.id);
  const std::uint32_t coalescing = regs::src_ctrl::Coalesce::mask | regs::src_ctrl::Adaptive::mask;
  for (const std::uint32_t id : ids) {
    auto live = driver.read_source(id);
    if (!live) return live.error();
    const bool coalesces = (live->value(regs::SRC_CTRL) & coalescing) != 0 && live->value(regs::SRC_COAL_TIME) != 0;
    if (!coalesces) {
      if (!opt_.sources.empty())
        return make_error("adapter: source id {} does not coalesce (SRC_CTRL has neither COALESCE nor ADAPTIVE, or "
                          "SRC_COAL_TIME is 0): nothing to adapt", id);
      continue;  // picked automatically: only sources that coalesce
    }
    AdapterSource s;
    s.id = id;
    s.time_ns = live->value(regs::SRC_COAL_TIME);
    s.last = driver.read_source_telemetry(id);
    sources_.push_back(s);
  }
  started_ = true;
  return {};
}

Result<std::vector<AdapterAction>> Adapter::step(Driver& driver, std::uint64_t now) {
  std::vector<AdapterAction> actions;
  if (!started_) {
    if (auto s = start(driver); !s) return s.error();
    return actions;
  }
  const double budget = static_cast<double>(opt_.budget_ns);
  const double aim = opt_.target * budget;
  for (AdapterSource& s : sources_) {
    const SourceTelemetry t = driver.read_source_telemetry(s.id);
    HoldCounts hold{};
    std::uint64_t n = 0;
    const bool cleared = t.in < s.last.in;  // CLEAR_TELEMETRY: every counter restarted
    for (unsigned k = 0; k < regs::kHoldBuckets; ++k) {
      hold[k] = cleared ? t.hold[k] : static_cast<std::uint32_t>(t.hold[k] - s.last.hold[k]);  // wrapping: modulo 2^32
      n += hold[k];
    }
    const std::uint64_t deferred = counter_delta(t.deferred, s.last.deferred);  // went down: cleared
    s.events = counter_delta(t.events, s.last.events);
    s.interrupts = counter_delta(t.out, s.last.out);
    s.last = t;
    // No event coalesced this period waited longer than T: a longer T was only ever
    // replaced by a shorter one after the unit delivered what it held
    // (Driver::update_source), and batches started under a shorter T keep its deadline.
    const std::uint64_t t_bound = s.time_ns;
    std::uint64_t bound = t.hold_max_ns;  // 0 when nothing waited
    if (deferred == 0) bound = std::min<std::uint64_t>(bound, t_bound);
    s.decided = n >= opt_.min_events;
    if (!s.decided) continue;
    const double p99 = hold_quantile_bound(hold, 0.99, bound);
    s.p99_ns = p99;

    const auto old = static_cast<double>(s.time_ns);
    double next = old;
    std::string reason;
    if (p99 > budget) {
      if (deferred != 0 && t_bound <= opt_.budget_ns) {
        actions.push_back({now, s.id, s.time_ns, s.time_ns, p99, "storm deferral over budget (coalescing time kept)"});
        continue;
      }
      next = deferred != 0 ? std::min(old, aim) : old * aim / p99;
      reason = "over budget";
    } else if (p99 < (1 - opt_.band) * aim) {
      next = old * std::min(2.0, std::sqrt(aim / std::max(p99, 1.0)));
      reason = "slack";
    }
    const auto clamped = static_cast<std::uint64_t>(
        std::clamp(std::floor(next), static_cast<double>(opt_.min_time_ns), static_cast<double>(max_time())));
    if (clamped == s.time_ns) continue;
    auto live = driver.read_source(s.id);
    if (!live) return live.error();
    live->set(regs::SRC_COAL_TIME, static_cast<std::uint32_t>(clamped));
    if (auto st = driver.update_source(*live); !st)
      return make_error("adapter: source id {}: {}", s.id, st.message());
    actions.push_back({now, s.id, s.time_ns, clamped, p99, reason});
    s.time_ns = clamped;
    ++s.changes;
  }
  // Shortening a coalescing time may have had the unit deliver held events (see
  // Driver::update_source): their holds belong to the period just judged, not to the
  // next one, so the next period starts from the counters as they are now.
  if (!actions.empty())
    for (AdapterSource& s : sources_) s.last = driver.read_source_telemetry(s.id);
  return actions;
}

}  // namespace irqshape::isd
