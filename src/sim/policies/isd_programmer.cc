#include "sim/policies/isd_programmer.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <set>

#include "base/json_text.h"
#include "isd/driver.h"
#include "isd/program.h"
#include "isu/regs.h"
#include "sim/policies/params.h"

namespace irqshape::sim {

namespace {

// "irq=36" -> 36.
std::int32_t irq_of(const std::string& name) {
  if (name.rfind("irq=", 0) != 0) return -1;
  const auto v = parse_uint(std::string_view(name).substr(4));
  return v && *v <= 0x7FFF'FFFF ? static_cast<std::int32_t>(*v) : -1;
}

}  // namespace

Result<isd::SourceMap> isd_source_map(const std::vector<SourceInfo>& sources, bool strict) {
  isd::SourceMap map;
  std::set<std::string> names;
  std::set<std::int32_t> irqs;
  for (const SourceInfo& s : sources) {
    if (s.id >= isu::regs::kSources) continue;
    isd::SourceInfo info{s.id, s.name, irq_of(s.name), s.cls, s.raise_vector, s.lower_vector};
    const bool name_taken = !info.name.empty() && names.count(info.name) != 0;
    const bool irq_taken = info.irq >= 0 && irqs.count(info.irq) != 0;
    if (name_taken || irq_taken) {
      if (strict) return make_error("sources: two sources are named \"{}\" (ids up to {}): a rules file cannot tell them "
                                    "apart", s.name, s.id);
      info.name.clear();
      info.irq = -1;
    }
    if (!info.name.empty()) names.insert(info.name);
    if (info.irq >= 0) irqs.insert(info.irq);
    if (Status added = map.add(std::move(info)); !added) return added.error();
  }
  return map;
}

IsdSoftware::IsdSoftware(std::optional<isd::Config> config, std::optional<isd::AdapterOptions> adapt)
    : config_(std::move(config)) {
  if (adapt) adapter_.emplace(std::move(*adapt));
}

Status IsdSoftware::program(hw::RegisterWindow& unit, const std::vector<SourceInfo>& sources) {
  auto map = isd_source_map(sources, config_.has_value());
  if (!map) return map.error();
  map_ = std::move(*map);
  driver_ = std::make_unique<isd::Driver>(unit);
  auto report = driver_->apply(config_ ? *config_ : isd::default_config(map_), map_);
  if (!report) return report.error();
  if (adapter_)
    if (auto baseline = adapter_->step(*driver_, 0); !baseline) return baseline.error();
  return {};
}

namespace {

// Why a source's time stayed where it was (the adapter reports only what it changed).
std::string kept_because(double p99, const isd::AdapterOptions& o) {
  const double budget = static_cast<double>(o.budget_ns), aim = o.target * budget;
  if (p99 > budget) return "over budget, at the minimum time";
  if (p99 < (1 - o.band) * aim) return "slack, at the maximum time";
  return "in band";
}

}  // namespace

Status IsdSoftware::tick(Nanos boundary) {
  if (!adapter_) return {};
  std::vector<std::uint64_t> before;
  for (const isd::AdapterSource& s : adapter_->sources()) before.push_back(s.time_ns);
  auto actions = adapter_->step(*driver_, boundary);
  if (!actions) return actions.error();
  ++periods_;
  for (std::size_t i = 0; i < adapter_->sources().size(); ++i) {
    const isd::AdapterSource& s = adapter_->sources()[i];
    if (!s.decided) continue;  // too few events in the period for a decision
    if (steps_.size() == kMaxSteps) {
      ++steps_omitted_;
      continue;
    }
    AdaptStep step{boundary, s.id, before[i], s.time_ns, s.p99_ns, s.events, s.interrupts, {}};
    for (const isd::AdapterAction& a : *actions)
      if (a.source == s.id) step.reason = a.reason;
    if (step.reason.empty()) step.reason = kept_because(s.p99_ns, adapter_->options());
    steps_.push_back(std::move(step));
  }
  return {};
}

std::string IsdSoftware::telemetry_members() const {
  if (!adapter_) return {};
  using json = nlohmann::ordered_json;  // fields in the documented order
  const isd::AdapterOptions& o = adapter_->options();
  json sources = json::array(), steps = json::array();
  for (const isd::AdapterSource& a : adapter_->sources())
    sources.push_back({{"source", a.id}, {"name", map_.display(a.id)}, {"time_ns", a.time_ns}, {"changes", a.changes}});
  for (const AdaptStep& x : steps_)
    steps.push_back({{"t_ns", x.t_ns}, {"source", x.source}, {"old_time_ns", x.old_time_ns}, {"new_time_ns", x.new_time_ns},
                     {"p99_ns", std::round(x.p99_ns)}, {"events", x.events}, {"interrupts", x.interrupts},
                     {"reason", x.reason}});
  const json adapter{{"budget_ns", o.budget_ns}, {"period_ns", o.period_ns}, {"periods", periods_},
                     {"sources", std::move(sources)}, {"steps", std::move(steps)}, {"steps_omitted", steps_omitted_}};
  return "\"adapter\":" + json_text(adapter);
}

}  // namespace irqshape::sim
