#include "isd/program.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

#include <fmt/format.h>

namespace irqshape::isd {

namespace regs = isu::regs;

Capabilities Capabilities::isu_v1() {
  return Capabilities{regs::kIdValue,         regs::kVersionMajor,    regs::kVersionMinor,    regs::kSources,
                      regs::kDestinations,    regs::kPatterns,        regs::kMaxSteps,        regs::kRules,
                      regs::kPartials,        regs::kHistoryLog2Min,  regs::kHistoryLog2Max,  regs::kContextLog2Min,
                      regs::kContextLog2Max};
}

std::uint32_t SourceProgram::value(std::uint32_t offset) const {
  for (const Field& f : fields)
    if (f.offset == offset) return f.value;
  return 0;
}

void SourceProgram::set(std::uint32_t offset, std::uint32_t v) {
  for (Field& f : fields)
    if (f.offset == offset) f.value = v;
}

std::uint32_t RuleProgram::value(std::uint32_t offset) const {
  for (const Field& f : fields)
    if (f.offset == offset) return f.value;
  return 0;
}

namespace {

std::string where(const Origin& o, std::string_view context, std::string_view key = {}) {
  if (key.empty()) return fmt::format("{}: {}", o.str(), context);
  return fmt::format("{}: {}: {}", o.str(), context, key);
}

Error fail(const Origin& o, std::string_view context, std::string_view message) {
  return Error{fmt::format("{}: {}: {}", o.str(), context, message)};
}

class Compiler {
 public:
  Compiler(const Config& c, const SourceMap& m, const Capabilities& caps) : config_(c), map_(m), caps_(caps) {}

  Result<Program> run() {
    if (auto s = geometry(); !s) return s.error();
    if (auto s = sources(); !s) return s.error();
    for (const RuleSettings& r : config_.rules)
      if (auto s = rule(r); !s) return s.error();
    return std::move(program_);
  }

 private:
  struct Resolved {
    std::uint32_t id;
    const SourceSettings* settings;  // the [source.X] table, if the file has one
  };

  Status geometry() {
    const UnitSettings& u = config_.unit;
    const std::string ctx = "[unit]";
    auto field = [&](std::uint32_t offset, const auto& opt, std::uint32_t fallback, std::string_view key) {
      const std::uint32_t v = opt ? static_cast<std::uint32_t>(opt->value) : fallback;
      const std::string k = opt ? where(opt->at, ctx, key) : fmt::format("{} {} (default)", ctx, key);
      program_.geometry.fields.push_back(Field{offset, v, k});
      return v;
    };
    // A value outside the probed unit's range: the file's (at its key), or the default
    // (then the file has no key to point at: the error says to set one).
    auto outside = [&](const auto& opt, std::string message, std::string_view key) -> Error {
      if (opt) return fail(opt->at, ctx, message);
      return Error{fmt::format("{}: {} (the default; set {} {})", ctx, message, ctx, key)};
    };
    const std::uint32_t hist = field(regs::HIST_CFG, u.history_log2, regs::hist_cfg::kReset, "history");
    if (hist < caps_.history_log2_min || hist > caps_.history_log2_max)
      return outside(u.history_log2,
                     fmt::format("history: {} entries is outside what this unit offers ({}..{}, CAP_HISTORY)", 1ull << hist,
                                 1ull << caps_.history_log2_min, 1ull << caps_.history_log2_max),
                     "history");
    const std::uint32_t ctxl = field(regs::CTX_CFG, u.context_log2, regs::ctx_cfg::kReset, "context-slots");
    if (ctxl < caps_.context_log2_min || ctxl > caps_.context_log2_max)
      return outside(u.context_log2,
                     fmt::format("context-slots: {} is outside what this unit offers ({}..{}, CAP_CONTEXT)", 1ull << ctxl,
                                 1ull << caps_.context_log2_min, 1ull << caps_.context_log2_max),
                     "context-slots");
    program_.geometry.rate_window_ns = field(regs::RATE_WINDOW, u.rate_window_ns, 1'000'000, "rate-window");
    field(regs::PRED_SHIFT, u.prediction_shift, 3, "prediction-shift");
    return {};
  }

  Result<Resolved> resolve(const Located<std::string>& name, std::string_view ctx) {
    for (const SourceSettings& s : config_.sources)
      if (s.name == name.value) return Resolved{ids_.at(s.name), &s};
    auto id = map_.resolve(name.value);
    if (!id) return fail(name.at, ctx, id.message());
    if (*id >= caps_.sources)
      return fail(name.at, ctx, fmt::format("source \"{}\" is id {}, but the unit has {} sources (CAP_SOURCES)", name.value, *id,
                                            caps_.sources));
    for (const SourceSettings& s : config_.sources)  // named another way than its table ("irq=36" for [source.disk])
      if (ids_.at(s.name) == *id) return Resolved{*id, &s};
    return Resolved{*id, nullptr};
  }

  Status sources() {
    for (const SourceSettings& s : config_.sources) {
      const std::string ctx = fmt::format("source \"{}\"", s.name);
      const Located<std::string> selector = s.match ? *s.match : Located<std::string>{s.name, s.at};
      auto id = map_.resolve(selector.value);
      if (!id) return fail(selector.at, ctx, id.message());
      if (*id >= caps_.sources)
        return fail(selector.at, ctx, fmt::format("id {} is beyond the unit's {} sources (CAP_SOURCES)", *id, caps_.sources));
      for (const auto& [other, other_id] : ids_)
        if (other_id == *id)
          return fail(s.at, ctx, fmt::format("is the same source (id {}) as [source.{}]", *id, other));
      ids_[s.name] = *id;
      auto p = source_program(s, *id, ctx);
      if (!p) return p.error();
      program_.sources.push_back(std::move(*p));
    }
    return {};
  }

  Result<SourceProgram> source_program(const SourceSettings& s, std::uint32_t id, const std::string& ctx) {
    SourceProgram p;
    p.id = id;
    p.name = s.name;
    p.where = where(s.at, ctx);
    auto key = [&](const auto& opt, std::string_view k) { return opt ? where(opt->at, ctx, k) : p.where; };
    const std::uint64_t time = s.time_ns ? s.time_ns->value : 0;
    std::uint32_t ctrl = 0;
    if (s.coalesce ? s.coalesce->value : time > 0) ctrl |= regs::src_ctrl::Coalesce::mask;
    if (s.adaptive && s.adaptive->value) ctrl |= regs::src_ctrl::Adaptive::mask;
    std::uint32_t limit = 0;
    if (s.storm_limit) {
      ctrl |= regs::src_ctrl::StormGuard::mask;
      const auto per = per_window(s.storm_limit->value, program_.geometry.rate_window_ns, false);
      if (!per || *per > regs::kThresholdMax)
        return fail(s.storm_limit->at, ctx, fmt::format("storm-limit: {} is above the unit's maximum of {} per rate window",
                                                        format_rate(s.storm_limit->value), regs::kThresholdMax));
      if (*per == 0)
        return fail(s.storm_limit->at, ctx, fmt::format("storm-limit: {} is less than one event per rate window ({}); "
                                                        "lengthen [unit] rate-window", format_rate(s.storm_limit->value),
                                                        format_duration(program_.geometry.rate_window_ns)));
      limit = static_cast<std::uint32_t>(*per);
      check_rounding(s.storm_limit->value, *per, s.storm_limit->at, ctx, "storm-limit");
    }
    if (s.storm_action && s.storm_action->value == StormAction::drop) ctrl |= regs::src_ctrl::StormDrop::mask;
    const PriorityVectors v = vectors(&s, id);
    const std::uint32_t prio = regs::src_prio::RaiseVector::make(v.raise) | regs::src_prio::LowerVector::make(v.lower);
    const auto ctrl_key = s.adaptive ? key(s.adaptive, "adaptive-rx")
                          : s.coalesce ? key(s.coalesce, "coalesce")
                          : s.storm_action ? key(s.storm_action, "storm-action")
                          : s.time_ns      ? key(s.time_ns, s.time_key)
                                           : key(s.storm_limit, "storm-limit");
    p.fields = {Field{regs::SRC_CTRL, ctrl, ctrl_key},
                Field{regs::SRC_COAL_COUNT, s.frames ? s.frames->value : 0u, key(s.frames, s.frames_key)},
                Field{regs::SRC_COAL_TIME, static_cast<std::uint32_t>(time), key(s.time_ns, s.time_key)},
                Field{regs::SRC_STORM_LIMIT, limit, key(s.storm_limit, "storm-limit")},
                Field{regs::SRC_PRIO, prio, s.raise_vector ? key(s.raise_vector, "raise-vector") : key(s.lower_vector, "lower-vector")}};
    return p;
  }

  // The pattern index for `steps`, sharing identical patterns between rules.
  Result<std::uint32_t> pattern(const RuleSettings& r, const std::vector<std::uint32_t>& ids, const std::string& ctx) {
    const Condition& c = r.condition;
    PatternProgram p;
    p.steps = static_cast<std::uint32_t>(c.steps.size());
    for (std::size_t k = 0; k < c.steps.size(); ++k) {
      p.source[k] = ids[k];
      p.min_ns[k] = k == 0 ? 0 : static_cast<std::uint32_t>(c.steps[k].min_ns);
      p.max_ns[k] = k == 0 ? 0 : static_cast<std::uint32_t>(c.steps[k].max_ns);
    }
    for (const PatternProgram& q : program_.patterns)
      if (q.steps == p.steps && q.source == p.source && q.min_ns == p.min_ns && q.max_ns == p.max_ns) return q.index;
    const std::uint32_t capacity = std::min(caps_.patterns, regs::pat_sel::Index::max + 1);
    if (program_.patterns.size() >= capacity)
      return fail(c.at, ctx, fmt::format("sequence: the pattern table is full: the unit has {} patterns (CAP_PATTERNS)", capacity));
    p.index = static_cast<std::uint32_t>(program_.patterns.size());
    p.text = format_condition(c);
    p.where = where(c.at, ctx, "sequence");
    program_.patterns.push_back(p);
    return p.index;
  }

  // A source's raise / lower vectors: the file's, else the platform's (SourceInfo), else 0.
  // Only a source with a [source] table gets SRC_PRIO programmed.
  struct PriorityVectors {
    std::uint32_t raise = 0, lower = 0;
  };
  PriorityVectors vectors(const SourceSettings* s, std::uint32_t id) const {
    if (s == nullptr) return {};
    const SourceInfo* platform = map_.find(id);
    return {s->raise_vector ? s->raise_vector->value : platform ? platform->raise_vector : 0u,
            s->lower_vector ? s->lower_vector->value : platform ? platform->lower_vector : 0u};
  }

  // Actions that need something of the source they act on.
  Status check_actions(const RuleSettings& r, const Resolved& target, std::string_view name, const std::string& ctx) {
    const SourceSettings* s = target.settings;
    const PriorityVectors v = vectors(s, target.id);
    auto need = [&](std::string_view action, std::string_view what, std::string_view hint) {
      return fail(r.actions_at, ctx, fmt::format("actions: {} needs {} on source \"{}\"{}", action, what, name, hint));
    };
    // The platform may know the vector (the simulator's guest allocates one per source), but
    // only a source with a [source] table is programmed, SRC_PRIO included.
    const SourceInfo* platform = s == nullptr ? map_.find(target.id) : nullptr;
    auto table_hint = [&](std::uint32_t vector, std::string_view otherwise) {
      return vector != 0 ? fmt::format(" (the platform has one, {:#x}, which a [source.\"{}\"] table programs, even "
                                       "an empty one)",
                                       vector, name)
                         : std::string(otherwise);
    };
    if ((r.actions & kRaisePriority) && v.raise == 0)
      return need("raise-priority", "raise-vector",
                  table_hint(platform ? platform->raise_vector : 0,
                             " (without one the unit only delivers at once: that is \"urgent\")"));
    if ((r.actions & kLowerPriority) && v.lower == 0)
      return need("lower-priority", "lower-vector", table_hint(platform ? platform->lower_vector : 0, ""));
    if ((r.actions & kCoalesce) && !(s && s->time_ns && s->time_ns->value > 0))
      return need("coalesce", "a coalescing time (rx-usecs)", ": the unit holds no event without a deadline");
    return {};
  }

  // A rule for every source ("*"): its actions need the same of every source it acts on.
  // Checked against each [source] table; a source without one has no vectors and no
  // coalescing time, so with none at all the requirement is unmet everywhere.
  Status check_wildcard_actions(const RuleSettings& r, const std::string& ctx) {
    const std::uint32_t needs = r.actions & (kRaisePriority | kLowerPriority | kCoalesce);
    if (needs == 0) return {};
    if (program_.sources.empty()) {
      const char* what = (needs & kRaisePriority) ? "raise-priority needs raise-vector"
                         : (needs & kLowerPriority) ? "lower-priority needs lower-vector"
                                                    : "coalesce needs a coalescing time (rx-usecs)";
      return fail(r.actions_at, ctx, fmt::format("actions: {} on every source the rule applies to (\"*\"), and the file "
                                                 "has no [source] table", what));
    }
    for (const SourceProgram& p : program_.sources) {
      const SourceSettings* settings = nullptr;
      for (const SourceSettings& s : config_.sources)
        if (s.name == p.name) settings = &s;
      if (auto st = check_actions(r, Resolved{p.id, settings}, p.name, ctx); !st)
        return Error{st.message() + " (the rule applies to every source: \"*\")"};
    }
    return {};
  }

  // A rate is programmed as whole events per rate window: say so when that is more than
  // 5% off what the file asked for, with a rate window long enough (20 events or more).
  void check_rounding(const Rate& rate, std::uint64_t per, const Origin& at, const std::string& ctx, std::string_view key) {
    const std::uint64_t window = program_.geometry.rate_window_ns;
    if (rate.per_ns == 0 || rate.count == 0 || window == 0) return;
    const double exact = static_cast<double>(rate.count) * static_cast<double>(window) / static_cast<double>(rate.per_ns);
    const double off = std::fabs(static_cast<double>(per) - exact) / exact;
    if (off <= 0.05) return;
    const double need_ns = 20.0 * static_cast<double>(rate.per_ns) / static_cast<double>(rate.count);
    std::uint64_t suggest = 0;  // the next 1-2-5 step at or above need_ns
    for (std::uint64_t decade = 1;; decade *= 10) {
      const std::uint64_t steps[] = {decade, 2 * decade, 5 * decade};
      const auto it = std::find_if(std::begin(steps), std::end(steps), [&](std::uint64_t v) { return static_cast<double>(v) >= need_ns; });
      if (it != std::end(steps)) {
        suggest = *it;
        break;
      }
      if (decade > kMaxTimeNs) break;
    }
    const std::string advice = suggest != 0 && suggest <= kMaxTimeNs
                                   ? fmt::format("a [unit] rate-window of {} or more keeps it within 5%", format_duration(suggest))
                                   : std::string("the rate is too low for any rate window");
    program_.warnings.push_back(fmt::format(
        "{}: {}: {}: {} is programmed as {} per rate window ({}), that is {:.6g}/s ({:.0f}% off); {}", at.str(), ctx, key,
        format_rate(rate), per, format_duration(window), static_cast<double>(per) * 1e9 / static_cast<double>(window),
        off * 100, advice));
  }

  Status rule(const RuleSettings& r) {
    const std::string ctx = fmt::format("rule \"{}\"", r.name);
    const Condition& c = r.condition;
    const std::uint32_t rule_capacity = std::min(caps_.rules, regs::rule_sel::Index::max + 1);
    if (program_.rules.size() >= rule_capacity)
      return fail(r.at, ctx, fmt::format("the rule table is full: the unit has {} rules (CAP_RULES)", rule_capacity));
    RuleProgram p;
    p.index = static_cast<std::uint32_t>(program_.rules.size());
    p.name = r.name;
    p.where = where(r.at, ctx);
    std::uint32_t kind = 0, source = regs::kAnySource, param = 0;
    std::optional<Resolved> target;
    std::string target_name;
    if (c.kind == ConditionKind::sequence) {
      if (c.steps.size() > caps_.steps)
        return fail(c.at, ctx, fmt::format("sequence: {} steps, but the unit's patterns have at most {} (CAP_STEPS)", c.steps.size(), caps_.steps));
      std::vector<std::uint32_t> ids;
      for (const SequenceStep& st : c.steps) {
        auto res = resolve(st.source, ctx + ": sequence");
        if (!res) return res.error();
        ids.push_back(res->id);
        target = *res;
        target_name = st.source.value;
      }
      kind = regs::rule_cond::kPattern;
      source = ids.back();  // a pattern completes on an interrupt of its last step
      if (r.enabled) {
        auto index = pattern(r, ids, ctx);
        if (!index) return index.error();
        param = *index;
      }
    } else {
      if (c.source) {
        auto res = resolve(*c.source, ctx + ": when");
        if (!res) return res.error();
        source = res->id;
        target = *res;
        target_name = c.source->value;
      }
      auto k = condition_param(c, ctx, kind, param);
      if (!k) return k;
    }
    if (target) {
      if (auto s = check_actions(r, *target, target_name, ctx); !s) return s;
    } else if (auto s = check_wildcard_actions(r, ctx); !s) {
      return s;
    }
    const std::string cond_key = where(c.at, ctx, c.kind == ConditionKind::sequence ? "sequence" : "when");
    const std::string action_key = r.actions_at.line != 0 ? where(r.actions_at, ctx, "actions") : p.where;
    const std::uint32_t cond = regs::rule_cond::Kind::make(kind) | regs::rule_cond::Enable::make(r.enabled ? 1 : 0);
    p.fields = {Field{regs::RULE_SOURCE, source, cond_key}, Field{regs::RULE_PARAM, param, cond_key},
                Field{regs::RULE_ACTION, r.actions, action_key}, Field{regs::RULE_COND, cond, cond_key}};
    program_.rules.push_back(std::move(p));
    return {};
  }

  Status condition_param(const Condition& c, const std::string& ctx, std::uint32_t& kind, std::uint32_t& param) {
    switch (c.kind) {
      case ConditionKind::always: kind = regs::rule_cond::kAlways; return {};
      case ConditionKind::periodic:
        kind = regs::rule_cond::kPeriodic;
        param = static_cast<std::uint32_t>(c.ns);
        return {};
      case ConditionKind::off_prediction:
        kind = regs::rule_cond::kOffPrediction;
        param = static_cast<std::uint32_t>(c.ns);
        return {};
      case ConditionKind::rate_above:
      case ConditionKind::rate_below: {
        const bool above = c.kind == ConditionKind::rate_above;
        kind = above ? regs::rule_cond::kRateAbove : regs::rule_cond::kRateBelow;
        const auto per = per_window(c.rate, program_.geometry.rate_window_ns, !above);
        if (!per || *per > regs::kThresholdMax)
          return fail(c.at, ctx, fmt::format("when: {} is above the unit's maximum of {} per rate window (RULE_PARAM)",
                                             format_rate(c.rate), regs::kThresholdMax));
        if (above && *per == 0 && c.rate.count != 0)
          program_.warnings.push_back(fmt::format("{}: {}: when: {} is less than one event per rate window ({}): the rule holds "
                                                  "on every interrupt", c.at.str(), ctx, format_rate(c.rate),
                                                  format_duration(program_.geometry.rate_window_ns)));
        if (*per != 0) check_rounding(c.rate, *per, c.at, ctx, "when");
        param = static_cast<std::uint32_t>(*per);
        return {};
      }
      case ConditionKind::sequence: break;
    }
    return {};
  }

  const Config& config_;
  const SourceMap& map_;
  const Capabilities& caps_;
  Program program_;
  std::map<std::string, std::uint32_t> ids_;  // [source.X] table name -> id
};

}  // namespace

Result<Program> compile(const Config& config, const SourceMap& sources, const Capabilities& caps) {
  return Compiler(config, sources, caps).run();
}

Config default_config(const SourceMap& sources) {
  Config c;
  const Origin builtin{};
  c.comment = {"ISD defaults (isd::default_config): shaping by source kind; see docs/isd.md, \"Defaults\"."};
  c.unit.history_log2 = Located<std::uint32_t>{12, builtin};
  c.unit.context_log2 = Located<std::uint32_t>{6, builtin};
  c.unit.rate_window_ns = Located<std::uint64_t>{1'000'000, builtin};
  c.unit.prediction_shift = Located<std::uint32_t>{3, builtin};
  for (const SourceInfo& info : sources.sources()) {
    SourceSettings s;
    // Matched by name where the name finds this source (a file to start from must not bind
    // to another source when the ids differ: replay --closed-loop renumbers them), else by
    // id (no name, or one that reads as another selector, such as "irq=5").
    s.name = info.name.empty() ? fmt::format("id={}", info.id) : info.name;
    const auto by_name = info.name.empty() ? Result<std::uint32_t>(make_error("no name")) : sources.resolve(info.name);
    if (!info.name.empty() && (!by_name || *by_name != info.id))
      s.match = Located<std::string>{fmt::format("id={}", info.id), builtin};
    switch (info.kind) {
      case SourceKind::net:
        s.time_ns = Located<std::uint64_t>{50 * kNsPerUs, builtin};
        s.frames = Located<std::uint32_t>{64, builtin};
        s.adaptive = Located<bool>{true, builtin};
        s.comment = {fmt::format("{}: network queue: adaptive coalescing, at most 50us or 64 frames", to_string(info.kind))};
        break;
      case SourceKind::block:
        s.time_ns = Located<std::uint64_t>{20 * kNsPerUs, builtin};
        s.frames = Located<std::uint32_t>{16, builtin};
        s.adaptive = Located<bool>{true, builtin};
        s.comment = {"block: completion queue: adaptive coalescing, at most 20us or 16 completions"};
        break;
      case SourceKind::timer: continue;  // nothing to gain from holding a periodic interrupt
      case SourceKind::other:
        s.storm_limit = Located<Rate>{Rate{100'000, kNsPerS}, builtin};
        s.storm_action = Located<StormAction>{StormAction::defer, builtin};
        s.comment = {"other: storm guard only: above 100000/s, one interrupt per rate window"};
        break;
    }
    c.sources.push_back(std::move(s));
  }
  return c;
}

}  // namespace irqshape::isd
