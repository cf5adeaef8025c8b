// TOML configuration reader (toml++). Every error names file:line:column, the table
// ("source \"nic0\"", "rule \"disk-then-nic\"") and the key; positions inside a
// `sequence`/`when` string point at the token at fault when the string has no escapes.
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <bit>

#include <fmt/format.h>

#include "isd/condition_syntax.h"
#include "isd/config.h"
#include "isd/toml_guard.h"
#include "isd/toml_order.h"

namespace irqshape::isd {

std::string Origin::str() const {
  if (file.empty() && line == 0) return "<built-in>";
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file.empty() ? "<config>" : file, line, column);
}

namespace {

class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}

  Origin at(const toml::source_region& r) const { return Origin{file_, r.begin.line, r.begin.column}; }
  Origin at(const toml::node& n) const { return at(n.source()); }
  Origin at(const toml::key& k) const { return at(k.source()); }

  // Where character `offset` of string node `n` is, when that can be known exactly.
  StringLocator locator(const toml::node& n) const {
    const toml::source_region& r = n.source();
    const auto* s = n.as_string();
    const bool plain = s != nullptr && r.begin.line == r.end.line &&
                       r.end.column - r.begin.column == s->get().size() + 2;  // no escapes, one line
    return StringLocator{at(r), plain};
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

Error error_at(const Origin& o, std::string_view context, std::string_view message) {
  if (context.empty()) return Error{fmt::format("{}: {}", o.str(), message)};
  return Error{fmt::format("{}: {}: {}", o.str(), context, message)};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

template <std::size_t N>
std::string unknown_key(std::string_view key, const std::array<std::string_view, N>& valid) {
  std::string_view best;
  std::size_t best_d = 3;
  for (std::string_view v : valid) {
    const std::size_t d = edit_distance(key, v);
    if (d < best_d) best = v, best_d = d;
  }
  if (!best.empty()) return fmt::format("unknown key \"{}\" (did you mean \"{}\"?)", key, best);
  std::string list;
  for (std::string_view v : valid) list += fmt::format("{}{}", list.empty() ? "" : ", ", v);
  return fmt::format("unknown key \"{}\" (valid keys: {})", key, list);
}

std::string_view type_of(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "a date/time";
  }
}

// ---- typed value readers ----

Result<std::int64_t> integer(const Reader& r, const toml::node& n, std::string_view ctx, std::string_view key) {
  if (const auto* v = n.as_integer()) return v->get();
  return error_at(r.at(n), ctx, fmt::format("{}: expected an integer, found {}", key, type_of(n)));
}

Result<std::uint32_t> integer_in(const Reader& r, const toml::node& n, std::string_view ctx, std::string_view key,
                                 std::int64_t lo, std::int64_t hi, std::string_view what) {
  auto v = integer(r, n, ctx, key);
  if (!v) return v.error();
  if (*v < lo || *v > hi)
    return error_at(r.at(n), ctx, fmt::format("{}: {} is out of range ({}..{}{})", key, *v, lo, hi, what));
  return static_cast<std::uint32_t>(*v);
}

Result<bool> boolean(const Reader& r, const toml::node& n, std::string_view ctx, std::string_view key) {
  if (const auto* v = n.as_boolean()) return v->get();
  return error_at(r.at(n), ctx, fmt::format("{}: expected true or false, found {}", key, type_of(n)));
}

Result<std::string> string(const Reader& r, const toml::node& n, std::string_view ctx, std::string_view key) {
  if (const auto* v = n.as_string()) return v->get();
  return error_at(r.at(n), ctx, fmt::format("{}: expected a string, found {}", key, type_of(n)));
}

Result<std::uint64_t> duration(const Reader& r, const toml::node& n, std::string_view ctx, std::string_view key) {
  const auto* s = n.as_string();
  if (s == nullptr)
    return error_at(r.at(n), ctx, fmt::format("{}: expected a duration string such as \"1ms\", found {}", key, type_of(n)));
  auto d = parse_duration(s->get());
  if (!d) return error_at(r.at(n), ctx, fmt::format("{}: {}", key, d.message()));
  return *d;
}

// An integer in `unit_ns` units (rx-usecs: microseconds; aggregation-time: 100 us, as
// NVMe's Interrupt Coalescing feature), or a duration string.
Result<std::uint64_t> time_value(const Reader& r, const toml::node& n, std::string_view ctx, std::string_view key,
                                 std::uint64_t unit_ns) {
  std::uint64_t ns = 0;
  if (const auto* i = n.as_integer()) {
    if (i->get() < 0) return error_at(r.at(n), ctx, fmt::format("{}: must not be negative", key));
    const auto v = static_cast<std::uint64_t>(i->get());
    if (v > ~std::uint64_t{0} / unit_ns) return error_at(r.at(n), ctx, fmt::format("{}: {} is too large", key, v));
    ns = v * unit_ns;
  } else {
    auto d = duration(r, n, ctx, key);
    if (!d) return d.error();
    ns = *d;
  }
  if (ns > kMaxTimeNs)
    return error_at(r.at(n), ctx, fmt::format("{}: {} is above the unit's maximum of {} ns (SRC_COAL_TIME)", key,
                                              format_duration(ns), kMaxTimeNs));
  return ns;
}

template <typename T>
Located<T> located(T v, Origin o) {
  return Located<T>{std::move(v), std::move(o)};
}

// ---- [unit] ----

Status parse_unit(const Reader& r, const toml::table& t, UnitSettings& u) {
  static constexpr std::array<std::string_view, 4> kKeys{"history", "context-slots", "rate-window", "prediction-shift"};
  const std::string_view ctx = "[unit]";
  for (const auto& [key_ptr, node_ptr] : in_file_order(t)) {
    const toml::key& key = *key_ptr;
    const toml::node& node = *node_ptr;
    const std::string_view k = key.str();
    if (k == "history" || k == "context-slots") {
      const bool hist = k == "history";
      const std::int64_t lo = hist ? 256 : 16, hi = hist ? 8192 : 256;
      auto v = integer_in(r, node, ctx, k, lo, hi, ", a power of two");
      if (!v) return v.error();
      if ((*v & (*v - 1)) != 0)
        return error_at(r.at(node), ctx, fmt::format("{}: {} is not a power of two", k, *v));
      const auto log2 = static_cast<std::uint32_t>(std::countr_zero(*v));
      (hist ? u.history_log2 : u.context_log2) = located(log2, r.at(node));
    } else if (k == "rate-window") {
      auto d = duration(r, node, ctx, k);
      if (!d) return d.error();
      if (*d < 1000 || *d > 0xFFFF'FFFFull)
        return error_at(r.at(node), ctx, fmt::format("rate-window: {} is out of range (1us..4.294967295s, RATE_WINDOW)",
                                                     format_duration(*d)));
      u.rate_window_ns = located(*d, r.at(node));
    } else if (k == "prediction-shift") {
      auto v = integer_in(r, node, ctx, k, 1, 8, ", PRED_SHIFT");
      if (!v) return v.error();
      u.prediction_shift = located(*v, r.at(node));
    } else {
      return error_at(r.at(key), ctx, unknown_key(k, kKeys));
    }
  }
  return {};
}

// ---- [adapt] ----

Result<AdaptSettings> parse_adapt(const Reader& r, const toml::key& name, const toml::table& t) {
  static constexpr std::array<std::string_view, 2> kKeys{"max-added-p99", "period"};
  const std::string_view ctx = "[adapt]";
  AdaptSettings a;
  a.at = r.at(name);
  bool has_budget = false;
  for (const auto& [key_ptr, node_ptr] : in_file_order(t)) {
    const std::string_view k = key_ptr->str();
    if (k != "max-added-p99" && k != "period") return error_at(r.at(*key_ptr), ctx, unknown_key(k, kKeys));
    auto d = duration(r, *node_ptr, ctx, k);
    if (!d) return d.error();
    const bool budget = k == "max-added-p99";
    if (Status s = budget ? check_adapt_budget(*d) : check_adapt_period(*d); !s)
      return error_at(r.at(*node_ptr), ctx, fmt::format("{}: {}", k, s.message()));
    if (budget) {
      a.max_added_p99_ns = located(*d, r.at(*node_ptr));
      has_budget = true;
    } else {
      a.period_ns = located(*d, r.at(*node_ptr));
    }
  }
  if (!has_budget)
    return error_at(a.at, ctx, "max-added-p99 is required: the budget on each source's added delay at the 99th "
                               "percentile, e.g. max-added-p99 = \"50us\"");
  return a;
}

// ---- [source.NAME] ----

constexpr std::array<std::string_view, 12> kSourceKeys{
    "match",      "rx-frames",   "rx-usecs",     "aggregation-threshold", "aggregation-time", "coalesce",
    "adaptive-rx", "storm-limit", "storm-action", "raise-vector",          "lower-vector",     "comment"};

Status source_key(const Reader& r, std::string_view k, const toml::node& node, const std::string& ctx,
                  SourceSettings& s, const toml::key& key) {
  auto conflict = [&](const auto& existing, std::string_view other) -> Status {
    if (!existing) return {};
    return error_at(r.at(node), ctx, fmt::format("{}: conflicts with {} (line {}): both set the same register", k,
                                                 other, existing->at.line));
  };
  if (k == "match") {
    auto v = string(r, node, ctx, k);
    if (!v) return v.error();
    if (v->empty()) return error_at(r.at(node), ctx, "match: must not be empty");
    s.match = located(*v, r.at(node));
  } else if (k == "rx-frames" || k == "aggregation-threshold") {
    if (auto c = conflict(s.frames, k == "rx-frames" ? "aggregation-threshold" : "rx-frames"); !c) return c;
    auto v = integer_in(r, node, ctx, k, 0, kMaxFrames, ", SRC_COAL_COUNT");
    if (!v) return v.error();
    s.frames = located(*v, r.at(node));
    s.frames_key = std::string(k);
  } else if (k == "rx-usecs" || k == "aggregation-time") {
    if (auto c = conflict(s.time_ns, k == "rx-usecs" ? "aggregation-time" : "rx-usecs"); !c) return c;
    auto v = time_value(r, node, ctx, k, k == "rx-usecs" ? kNsPerUs : 100 * kNsPerUs);
    if (!v) return v.error();
    s.time_ns = located(*v, r.at(node));
    s.time_key = std::string(k);
  } else if (k == "coalesce" || k == "adaptive-rx") {
    auto v = boolean(r, node, ctx, k);
    if (!v) return v.error();
    (k == "coalesce" ? s.coalesce : s.adaptive) = located(*v, r.at(node));
  } else if (k == "storm-limit") {
    // A count per rate window has the same range however it is written (42, "42",
    // "42/window"); a rate per unit of time is checked against the window by compile().
    auto out_of_range = [&](auto count) {
      return error_at(r.at(node), ctx, fmt::format("storm-limit: {} is out of range (1..2147483647 events per rate window; "
                                                   "omit the key to disable the guard)", count));
    };
    Rate rate;
    if (const auto* i = node.as_integer()) {
      if (i->get() < 1 || i->get() > 0x7FFF'FFFF) return out_of_range(i->get());
      rate = Rate{static_cast<std::uint64_t>(i->get()), 0};
    } else if (const auto* str = node.as_string()) {
      auto p = parse_rate(str->get());
      if (!p) return error_at(r.at(node), ctx, fmt::format("storm-limit: {}", p.message()));
      if (p->count == 0) return error_at(r.at(node), ctx, "storm-limit: must be at least 1 (omit the key to disable the guard)");
      if (p->per_ns == 0 && p->count > 0x7FFF'FFFF) return out_of_range(p->count);
      rate = *p;
    } else {
      return error_at(r.at(node), ctx, fmt::format("storm-limit: expected events per rate window (an integer) or a rate "
                                                   "such as \"50000/s\", found {}", type_of(node)));
    }
    s.storm_limit = located(rate, r.at(node));
  } else if (k == "storm-action") {
    auto v = string(r, node, ctx, k);
    if (!v) return v.error();
    if (*v != "defer" && *v != "drop")
      return error_at(r.at(node), ctx, fmt::format("storm-action: \"{}\" is not \"defer\" or \"drop\"", *v));
    s.storm_action = located(*v == "drop" ? StormAction::drop : StormAction::defer, r.at(node));
  } else if (k == "raise-vector" || k == "lower-vector") {
    auto v = integer_in(r, node, ctx, k, kMinVector, kMaxVector, ", SRC_PRIO: vectors below 32 are the CPU's exceptions");
    if (!v) return v.error();
    (k == "raise-vector" ? s.raise_vector : s.lower_vector) = located(*v, r.at(node));
  } else {
    return error_at(r.at(key), ctx, unknown_key(k, kSourceKeys));
  }
  return {};
}

// Checks across keys of one source: what the unit would refuse at COMMIT.
Status check_source(const SourceSettings& s, const std::string& ctx) {
  const bool has_time = s.time_ns && s.time_ns->value > 0;
  auto needs_time = [&](const Origin& o, std::string_view key) {
    return error_at(o, ctx, fmt::format("{} needs a coalescing time (rx-usecs or aggregation-time): the unit holds no "
                                        "event without a deadline (COMMIT_STATUS BAD_COALESCING)", key));
  };
  if (s.adaptive && s.adaptive->value && !has_time) return needs_time(s.adaptive->at, "adaptive-rx");
  if (s.coalesce && s.coalesce->value && !has_time) return needs_time(s.coalesce->at, "coalesce");
  if (s.frames && s.frames->value != 0 && !has_time) return needs_time(s.frames->at, s.frames_key);
  if (s.storm_action && !s.storm_limit)
    return error_at(s.storm_action->at, ctx, "storm-action needs storm-limit (COMMIT_STATUS BAD_STORM)");
  return {};
}

Result<SourceSettings> parse_source(const Reader& r, const toml::key& name, const toml::node& node) {
  SourceSettings s;
  s.name = std::string(name.str());
  s.at = r.at(name);
  const std::string ctx = fmt::format("source \"{}\"", s.name);
  if (s.name.empty()) return error_at(s.at, "[source]", "a source needs a name");
  const auto* t = node.as_table();
  if (t == nullptr)
    return error_at(r.at(node), ctx, fmt::format("expected a table ([source.{}]), found {}", s.name, type_of(node)));
  for (const auto& [key, value] : in_file_order(*t)) {
    if (key->str() == "comment") continue;  // free text for people; ignored
    if (auto st = source_key(r, key->str(), *value, ctx, s, *key); !st) return st.error();
  }
  if (auto st = check_source(s, ctx); !st) return st.error();
  return s;
}

// ---- [[rule]] ----

Result<std::uint32_t> parse_actions(const Reader& r, const toml::node& node, const std::string& ctx) {
  const auto* arr = node.as_array();
  if (arr == nullptr)
    return error_at(r.at(node), ctx, fmt::format("actions: expected a list such as [\"raise-priority\", \"augment\"], found {}",
                                                 type_of(node)));
  std::uint32_t actions = 0;
  for (const toml::node& e : *arr) {
    auto name = string(r, e, ctx, "actions");
    if (!name) return name.error();
    const auto a = parse_action(*name);
    if (!a)
      return error_at(r.at(e), ctx, fmt::format("actions: unknown action \"{}\" (valid: raise-priority, lower-priority, "
                                                "augment, coalesce, urgent)", *name));
    if ((actions & *a) != 0) return error_at(r.at(e), ctx, fmt::format("actions: \"{}\" is listed twice", *name));
    actions |= *a;
  }
  if ((actions & kRaisePriority) && (actions & kLowerPriority))
    return error_at(r.at(node), ctx, "actions: raise-priority and lower-priority conflict (COMMIT_STATUS BAD_ACTION)");
  if ((actions & kCoalesce) && (actions & kUrgent))
    return error_at(r.at(node), ctx, "actions: coalesce and urgent conflict (COMMIT_STATUS BAD_ACTION)");
  return actions;
}

Result<RuleSettings> parse_rule(const Reader& r, const toml::node& node, std::size_t index) {
  static constexpr std::array<std::string_view, 6> kKeys{"name", "sequence", "when", "actions", "enabled", "comment"};
  RuleSettings rule;
  rule.at = r.at(node);
  rule.name = fmt::format("rule-{}", index + 1);
  const auto* t = node.as_table();
  if (t == nullptr) return error_at(r.at(node), "[[rule]]", fmt::format("expected a table, found {}", type_of(node)));
  if (const toml::node* n = t->get("name")) {
    auto v = string(r, *n, fmt::format("rule {}", index + 1), "name");
    if (!v) return v.error();
    if (v->empty()) return error_at(r.at(*n), fmt::format("rule {}", index + 1), "name: must not be empty");
    rule.name = *v;
  }
  const std::string ctx = fmt::format("rule \"{}\"", rule.name);
  const toml::node* condition = nullptr;
  std::string_view condition_key;
  for (const auto& [key_ptr, value_ptr] : in_file_order(*t)) {
    const toml::key& key = *key_ptr;
    const toml::node& value = *value_ptr;
    const std::string_view k = key.str();
    if (k == "name" || k == "comment") continue;
    if (k == "sequence" || k == "when") {
      if (condition != nullptr)
        return error_at(r.at(key), ctx, fmt::format("{}: a rule has one condition, and this one already has `{}`", k, condition_key));
      condition = &value;
      condition_key = k;
    } else if (k == "actions") {
      auto a = parse_actions(r, value, ctx);
      if (!a) return a.error();
      rule.actions = *a;
      rule.actions_at = r.at(value);
    } else if (k == "enabled") {
      auto v = boolean(r, value, ctx, k);
      if (!v) return v.error();
      rule.enabled = *v;
    } else {
      return error_at(r.at(key), ctx, unknown_key(k, kKeys));
    }
  }
  if (condition == nullptr)
    return error_at(rule.at, ctx, "needs a condition: sequence = \"a -> b within 5ms\" or when = \"rate(a) > 1000/s\"");
  auto text = string(r, *condition, ctx, condition_key);
  if (!text) return text.error();
  const StringLocator loc = r.locator(*condition);
  ConditionParse c = condition_key == "sequence" ? parse_sequence(*text, loc) : parse_when(*text, loc);
  if (!c.ok) return error_at(c.at, ctx, fmt::format("{}: {}", condition_key, c.message));
  rule.condition = std::move(c.condition);
  return rule;
}

Result<Config> parse_root(const Reader& r, const toml::table& root) {
  static constexpr std::array<std::string_view, 4> kKeys{"unit", "source", "rule", "adapt"};
  Config config;
  config.file = r.file();
  for (const auto& [key_ptr, node_ptr] : in_file_order(root)) {
    const toml::key& key = *key_ptr;
    const toml::node& node = *node_ptr;
    const std::string_view k = key.str();
    if (k == "unit") {
      const auto* t = node.as_table();
      if (t == nullptr) return error_at(r.at(node), "", fmt::format("unit: expected a table ([unit]), found {}", type_of(node)));
      if (auto s = parse_unit(r, *t, config.unit); !s) return s.error();
    } else if (k == "adapt") {
      const auto* t = node.as_table();
      if (t == nullptr) return error_at(r.at(node), "", fmt::format("adapt: expected a table ([adapt]), found {}", type_of(node)));
      auto a = parse_adapt(r, key, *t);
      if (!a) return a.error();
      config.adapt = std::move(*a);
    } else if (k == "source") {
      const auto* t = node.as_table();
      if (t == nullptr)
        return error_at(r.at(node), "", fmt::format("source: expected tables ([source.NAME]), found {}", type_of(node)));
      for (const auto& [name, value] : in_file_order(*t)) {
        auto s = parse_source(r, *name, *value);
        if (!s) return s.error();
        config.sources.push_back(std::move(*s));
      }
    } else if (k == "rule") {
      const auto* arr = node.as_array();
      if (arr == nullptr)
        return error_at(r.at(node), "", fmt::format("rule: expected an array of tables ([[rule]]), found {}", type_of(node)));
      for (std::size_t i = 0; i < arr->size(); ++i) {
        auto rule = parse_rule(r, *arr->get(i), i);
        if (!rule) return rule.error();
        for (const RuleSettings& other : config.rules)
          if (other.name == rule->name)
            return error_at(rule->at, fmt::format("rule \"{}\"", rule->name),
                            fmt::format("name: already used by the rule at line {}", other.at.line));
        config.rules.push_back(std::move(*rule));
      }
    } else {
      return error_at(r.at(key), "", unknown_key(k, kKeys));
    }
  }
  return config;
}

}  // namespace

Status check_adapt_budget(std::uint64_t ns) {
  if (ns < kMinAdaptBudgetNs || ns > kMaxTimeNs)
    return make_error("{} is outside {}..4.294967295s (a coalescing time the unit can hold, SRC_COAL_TIME)",
                      format_duration(ns), format_duration(kMinAdaptBudgetNs));
  return {};
}

Status check_adapt_period(std::uint64_t ns) {
  if (ns < kMinAdaptPeriodNs || ns > kMaxAdaptPeriodNs)
    return make_error("{} is outside {}..{}", format_duration(ns), format_duration(kMinAdaptPeriodNs),
                      format_duration(kMaxAdaptPeriodNs));
  return {};
}

Result<Config> parse_config(std::string_view text, std::string_view filename) {
  const Reader r(filename);
  if (auto guard = guard_toml_text(text, filename); !guard) return guard.error();
  toml::parse_result parsed = toml::parse(text, std::string_view(filename));
  if (!parsed) {
    const auto& e = parsed.error();
    return error_at(r.at(e.source()), "", fmt::format("TOML syntax: {}", e.description()));
  }
  return parse_root(r, parsed.table());
}

Result<Config> load_config(const std::string& path) {
  constexpr std::size_t kMaxConfigBytes = 16u << 20;
  auto text = read_toml_file(path, kMaxConfigBytes);
  if (!text) return text.error();
  return parse_config(*text, path);
}

}  // namespace irqshape::isd
