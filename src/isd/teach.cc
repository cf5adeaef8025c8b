#include "isd/teach.h"

#include "isd/toml_guard.h"
#include "isd/toml_order.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace irqshape::isd {

namespace {

constexpr std::size_t kMaxExampleEvents = 1024;
constexpr std::size_t kMaxAlignCandidates = 256;  // per step, for the quadratic alignment

Error at_error(const Origin& o, std::string_view ctx, std::string_view msg) {
  return Error{fmt::format("{}: {}: {}", o.str(), ctx, msg)};
}

Origin origin(std::string_view file, const toml::node& n) {
  return Origin{std::string(file), n.source().begin.line, n.source().begin.column};
}

Result<std::uint64_t> label_time(std::string_view file, const toml::node& n, std::string_view ctx, std::string_view key,
                                 bool& relative) {
  if (const auto* i = n.as_integer()) {
    if (i->get() < 0) return at_error(origin(file, n), ctx, fmt::format("{}: a trace time is not negative", key));
    relative = false;
    return static_cast<std::uint64_t>(i->get());
  }
  if (const auto* s = n.as_string()) {
    auto d = parse_duration(s->get());
    if (!d) return at_error(origin(file, n), ctx, fmt::format("{}: {}", key, d.message()));
    return *d;
  }
  return at_error(origin(file, n), ctx,
                  fmt::format("{}: expected a duration from the trace's start (\"12.5ms\") or a trace time in ns", key));
}

Result<Label> parse_example(std::string_view file, const toml::node& node, std::size_t index) {
  Label l;
  l.at = origin(file, node);
  const auto* t = node.as_table();
  if (t == nullptr) return at_error(l.at, "[[example]]", "expected a table");
  const std::string ctx0 = fmt::format("example {}", index + 1);
  const toml::node* name = t->get("name");
  if (name == nullptr || name->as_string() == nullptr || name->as_string()->get().empty())
    return at_error(l.at, ctx0, "needs a name (examples with one name teach one pattern)");
  l.name = name->as_string()->get();
  const std::string ctx = fmt::format("example \"{}\"", l.name);
  bool rel_from = true, rel_to = true;
  for (const auto& [key_ptr, value_ptr] : in_file_order(*t)) {  // the first error in the file is reported
    const toml::key& key = *key_ptr;
    const toml::node& value = *value_ptr;
    const std::string_view k = key.str();
    if (k == "name") continue;
    if (k == "from" || k == "to") {
      bool& rel = k == "from" ? rel_from : rel_to;
      auto v = label_time(file, value, ctx, k, rel);
      if (!v) return v.error();
      (k == "from" ? l.from : l.to) = Located<std::uint64_t>{*v, origin(file, value)};
    } else if (k == "events" || k == "sources" || k == "actions") {
      const auto* arr = value.as_array();
      if (arr == nullptr) return at_error(origin(file, value), ctx, fmt::format("{}: expected a list", k));
      if (k == "actions") l.actions = 0;  // given: exactly these (an empty list only counts matches)
      for (const toml::node& e : *arr) {
        if (k == "events") {
          const auto* i = e.as_integer();
          if (i == nullptr || i->get() < 0)
            return at_error(origin(file, e), ctx, "events: expected indices (integers >= 0) into the trace's interrupts");
          l.events.push_back(Located<std::uint64_t>{static_cast<std::uint64_t>(i->get()), origin(file, e)});
        } else {
          const auto* s = e.as_string();
          if (s == nullptr) return at_error(origin(file, e), ctx, fmt::format("{}: expected strings", k));
          if (k == "sources") {
            l.sources.push_back(Located<std::string>{s->get(), origin(file, e)});
          } else {
            const auto a = parse_action(s->get());
            if (!a) return at_error(origin(file, e), ctx, fmt::format("actions: unknown action \"{}\"", s->get()));
            l.actions |= *a;
          }
        }
      }
    } else {
      return at_error(Origin{std::string(file), key.source().begin.line, key.source().begin.column}, ctx,
                      fmt::format("unknown key \"{}\" (valid: name, from, to, events, sources, actions)", k));
    }
  }
  if ((l.actions & kRaisePriority) && (l.actions & kLowerPriority))
    return at_error(l.at, ctx, "actions: raise-priority and lower-priority conflict");
  if ((l.actions & kCoalesce) && (l.actions & kUrgent)) return at_error(l.at, ctx, "actions: coalesce and urgent conflict");
  const bool range = l.from || l.to;
  if (range && !l.events.empty()) return at_error(l.at, ctx, "give either from/to or events, not both");
  if (!range && l.events.empty()) return at_error(l.at, ctx, "needs from and to (a time range) or events (indices)");
  if (range && (!l.from || !l.to)) return at_error(l.at, ctx, fmt::format("needs both from and to"));
  if (range && rel_from != rel_to) return at_error(l.to->at, ctx, "from and to must both be durations or both trace times");
  l.relative = rel_from;
  if (range && l.from->value > l.to->value) return at_error(l.to->at, ctx, "to: before from");
  return l;
}

// Longest common subsequence of two source sequences.
std::vector<std::uint32_t> lcs(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::uint16_t> dp((n + 1) * (m + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> std::uint16_t& { return dp[i * (m + 1) + j]; };
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      at(i, j) = a[i] == b[j] ? static_cast<std::uint16_t>(at(i + 1, j + 1) + 1) : std::max(at(i + 1, j), at(i, j + 1));
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0, j = 0; i < n && j < m;) {
    if (a[i] == b[j]) {
      out.push_back(a[i]);
      ++i, ++j;
    } else if (at(i + 1, j) >= at(i, j + 1)) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

struct Example {
  const Label* label;
  std::vector<Event> events;
};

Result<Example> gather(std::span<const Event> events, const Label& l, const SourceMap& names) {
  Example ex{&l, {}};
  const std::string ctx = fmt::format("example \"{}\"", l.name);
  std::vector<std::uint32_t> only;
  for (const auto& s : l.sources) {
    auto id = names.resolve(s.value);
    if (!id) return at_error(s.at, ctx, fmt::format("sources: {}", id.message()));
    only.push_back(*id);
  }
  auto keep = [&](const Event& e) { return only.empty() || std::find(only.begin(), only.end(), e.source) != only.end(); };
  if (!l.events.empty()) {
    std::vector<Located<std::uint64_t>> idx = l.events;
    std::sort(idx.begin(), idx.end(), [](const auto& x, const auto& y) { return x.value < y.value; });
    for (const auto& i : idx) {
      if (i.value >= events.size())
        return at_error(i.at, ctx, fmt::format("events: index {} is beyond the trace's {} interrupts", i.value, events.size()));
      if (keep(events[i.value])) ex.events.push_back(events[i.value]);
    }
  } else {
    const std::uint64_t base = l.relative && !events.empty() ? events.front().time : 0;
    const std::uint64_t from = base + l.from->value, to = base + l.to->value;
    auto it = std::lower_bound(events.begin(), events.end(), from, [](const Event& e, std::uint64_t t) { return e.time < t; });
    for (; it != events.end() && it->time <= to; ++it)
      if (keep(*it)) {
        ex.events.push_back(*it);
        if (ex.events.size() > kMaxExampleEvents)
          return at_error(l.at, ctx, fmt::format("more than {} interrupts in {}..{}: narrow the range or list `sources`",
                                                 kMaxExampleEvents, format_duration(l.from->value), format_duration(l.to->value)));
      }
  }
  if (ex.events.size() < 2)
    return at_error(l.at, ctx, fmt::format("holds {} interrupt{}; a sequence needs at least 2", ex.events.size(),
                                           ex.events.size() == 1 ? "" : "s"));
  return ex;
}

// P(X >= k) for X ~ Binomial(n, p).
double binomial_tail(std::size_t n, std::size_t k, double p) {
  double total = 0;
  for (std::size_t x = k; x <= n; ++x) {
    double term = 1;  // C(n, x) p^x (1-p)^(n-x), in logs for large n
    term = std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(x) + 1) -
           std::lgamma(static_cast<double>(n - x) + 1) + static_cast<double>(x) * std::log(std::max(p, 1e-300)) +
           static_cast<double>(n - x) * std::log(std::max(1 - p, 1e-300));
    total += std::exp(term);
  }
  return total;
}

// Sources that belong to the labelled sequence: in at least 80% of the examples, and
// more often than their rate explains (binomial test of presence, p < 0.05). A busy
// source that is in every window by chance is dropped. Only for time-range examples
// without an explicit `sources` list; index examples name their events exactly.
std::vector<std::uint32_t> sequence_sources(std::span<const Event> trace, const std::vector<Example>& exs) {
  std::map<std::uint32_t, std::size_t> total, present;
  for (const Event& e : trace) ++total[e.source];
  const double span = trace.size() > 1 ? static_cast<double>(trace.back().time - trace.front().time) : 1.0;
  std::map<std::uint32_t, double> p0_sum;
  for (const Example& ex : exs) {
    std::vector<std::uint32_t> seen;
    for (const Event& e : ex.events)
      if (std::find(seen.begin(), seen.end(), e.source) == seen.end()) seen.push_back(e.source);
    for (const std::uint32_t s : seen) ++present[s];
    const double len = static_cast<double>(ex.events.back().time - ex.events.front().time) + 1;
    for (const auto& [s, n] : total) p0_sum[s] += 1 - std::exp(-static_cast<double>(n) / std::max(span, 1.0) * len);
  }
  std::vector<std::uint32_t> keep;
  for (const auto& [s, c] : present) {
    const double p0 = p0_sum[s] / static_cast<double>(exs.size());
    if (static_cast<double>(c) >= 0.8 * static_cast<double>(exs.size()) && binomial_tail(exs.size(), c, p0) < 0.05)
      keep.push_back(s);
  }
  return keep;
}

double step_cost(std::uint64_t d, double median) {
  return std::fabs(std::log((static_cast<double>(d) + 1.0) / (median + 1.0)));
}

// Positions of `pattern` in `events` whose delays are closest (in log ratio) to the
// consensus `medians` (index k: delay before step k); without medians, the earliest
// embedding. Dynamic programming over the occurrences of each step's source.
std::vector<std::size_t> align(const std::vector<Event>& events, const std::vector<std::uint32_t>& pattern,
                               const std::vector<double>& medians) {
  const std::size_t L = pattern.size();
  // The earliest embedding: always exists, since `pattern` is a common subsequence.
  std::vector<std::size_t> greedy(L);
  for (std::size_t k = 0, i = 0; k < L; ++k, ++i) {
    while (i < events.size() && events[i].source != pattern[k]) ++i;
    greedy[k] = std::min(i, events.size() - 1);
  }
  if (medians.empty()) return greedy;
  std::vector<std::vector<std::size_t>> cand(L);
  for (std::size_t i = 0; i < events.size(); ++i)
    for (std::size_t k = 0; k < L; ++k)
      if (events[i].source == pattern[k]) cand[k].push_back(i);
  for (const auto& c : cand)
    if (c.empty() || c.size() > kMaxAlignCandidates) return greedy;
  constexpr double kInf = 1e300;
  std::vector<std::vector<double>> cost(L);
  std::vector<std::vector<std::size_t>> from(L);
  cost[0].assign(cand[0].size(), 0.0);
  from[0].assign(cand[0].size(), 0);
  for (std::size_t k = 1; k < L; ++k) {
    cost[k].assign(cand[k].size(), kInf);
    from[k].assign(cand[k].size(), 0);
    for (std::size_t j = 0; j < cand[k].size(); ++j)
      for (std::size_t i = 0; i < cand[k - 1].size(); ++i) {
        if (cand[k - 1][i] >= cand[k][j] || cost[k - 1][i] >= kInf) continue;
        const double c = cost[k - 1][i] + step_cost(events[cand[k][j]].time - events[cand[k - 1][i]].time, medians[k]);
        if (c < cost[k][j]) cost[k][j] = c, from[k][j] = i;
      }
  }
  std::size_t best = 0;
  for (std::size_t j = 1; j < cost[L - 1].size(); ++j)
    if (cost[L - 1][j] < cost[L - 1][best]) best = j;
  if (cost[L - 1][best] >= kInf) return greedy;
  std::vector<std::size_t> pos(L);
  for (std::size_t k = L; k-- > 0;) {
    pos[k] = cand[k][best];
    best = from[k][best];
  }
  return pos;
}

}  // namespace

Result<std::vector<Label>> parse_labels(std::string_view text, std::string_view filename) {
  if (auto guard = guard_toml_text(text, filename); !guard) return guard.error();
  toml::parse_result parsed = toml::parse(text, std::string_view(filename));
  if (!parsed) {
    const auto& e = parsed.error();
    return Error{fmt::format("{}: TOML syntax: {}", Origin{std::string(filename), e.source().begin.line, e.source().begin.column}.str(),
                             e.description())};
  }
  std::vector<Label> labels;
  for (auto&& [key, node] : parsed.table()) {
    if (key.str() != "example")
      return Error{fmt::format("{}: unknown key \"{}\" (a labels file is a list of [[example]] tables)",
                               Origin{std::string(filename), key.source().begin.line, key.source().begin.column}.str(), key.str())};
    const auto* arr = node.as_array();
    if (arr == nullptr) return at_error(origin(filename, node), "example", "expected [[example]] tables");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      auto l = parse_example(filename, *arr->get(i), i);
      if (!l) return l.error();
      labels.push_back(std::move(*l));
    }
  }
  if (labels.empty()) return Error{fmt::format("{}: no [[example]] in the file", filename)};
  return labels;
}

Result<std::vector<Label>> load_labels(const std::string& path) {
  constexpr std::size_t kMaxLabelBytes = 16u << 20;
  auto text = read_toml_file(path, kMaxLabelBytes);
  if (!text) return text.error();
  return parse_labels(*text, path);
}

Result<std::vector<TaughtPattern>> teach(std::span<const Event> events, const std::vector<Label>& labels,
                                         const SourceMap& names, const TeachOptions& o) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<Example>> groups;
  for (const Label& l : labels) {
    auto ex = gather(events, l, names);
    if (!ex) return ex.error();
    if (!groups.count(l.name)) order.push_back(l.name);
    groups[l.name].push_back(std::move(*ex));
  }
  std::vector<TaughtPattern> out;
  for (const std::string& name : order) {
    const Label& first = *groups[name].front().label;
    const std::string ctx = fmt::format("example \"{}\"", name);
    std::vector<Example> exs = groups[name];
    const bool listed = std::any_of(exs.begin(), exs.end(), [](const Example& e) {
      return !e.label->sources.empty() || !e.label->events.empty();
    });
    if (!listed) {  // time ranges: keep the sources that belong to the sequence
      const std::vector<std::uint32_t> keep = sequence_sources(events, exs);
      for (Example& ex : exs)
        std::erase_if(ex.events, [&](const Event& e) { return std::find(keep.begin(), keep.end(), e.source) == keep.end(); });
    }
    std::vector<std::uint32_t> common;
    for (const Event& e : exs.front().events) common.push_back(e.source);
    for (std::size_t i = 1; i < exs.size(); ++i) {
      std::vector<std::uint32_t> seq;
      for (const Event& e : exs[i].events) seq.push_back(e.source);
      common = lcs(common, seq);
    }
    if (common.size() < 2)
      return at_error(first.at, ctx, fmt::format("the {} examples share no sequence of two or more sources", exs.size()));
    if (common.size() > 8)
      return at_error(first.at, ctx, fmt::format("the examples share a sequence of {} interrupts, but a pattern has at most 8 "
                                                 "steps: narrow the ranges or list `sources`", common.size()));
    TaughtPattern p;
    p.name = name;
    p.at = first.at;
    p.sources = common;
    p.examples = exs.size();
    p.actions = first.actions;
    // Align every example to the pattern, then re-align to the consensus (median) delays
    // until it settles: an extra interrupt of a step's source inside a range does not
    // stretch the window.
    std::vector<std::vector<std::uint64_t>> delays(exs.size());
    std::vector<double> medians;
    for (int round = 0; round < 4; ++round) {
      for (std::size_t e = 0; e < exs.size(); ++e) {
        const std::vector<std::size_t> pos = align(exs[e].events, common, medians);
        delays[e].assign(common.size(), 0);
        for (std::size_t k = 1; k < common.size(); ++k) delays[e][k] = exs[e].events[pos[k]].time - exs[e].events[pos[k - 1]].time;
      }
      medians.assign(common.size(), 0.0);
      for (std::size_t k = 1; k < common.size(); ++k) {
        std::vector<std::uint64_t> d;
        for (const auto& v : delays) d.push_back(v[k]);
        std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
        medians[k] = static_cast<double>(d[d.size() / 2]);
      }
    }
    std::vector<std::uint64_t> lo(common.size(), ~std::uint64_t{0}), hi(common.size(), 0);
    for (const auto& v : delays)
      for (std::size_t k = 1; k < common.size(); ++k) lo[k] = std::min(lo[k], v[k]), hi[k] = std::max(hi[k], v[k]);
    for (std::size_t k = 1; k < common.size(); ++k)
      if (hi[k] > kMaxTimeNs)  // the examples themselves wait longer than a pattern step can
        return at_error(first.at, ctx, fmt::format("the examples wait up to {} before step {}, above the unit's maximum delay "
                                                   "of {} (PAT_MAXk)", format_duration(hi[k]), k + 1,
                                                   format_duration(kMaxTimeNs)));
    for (std::size_t k = 1; k < common.size(); ++k) {
      // 10% of the window's width, but at least 5% of the delay itself (one example
      // has no width), plus the slack.
      const double width = static_cast<double>(hi[k] - lo[k]);
      const auto pad = static_cast<std::uint64_t>(std::max(o.margin * width, o.margin / 2 * static_cast<double>(hi[k]))) + o.slack_ns;
      p.seen.emplace_back(lo[k], hi[k]);
      p.windows.emplace_back(lo[k] > pad ? lo[k] - pad : 0, std::min<std::uint64_t>(hi[k] + pad, kMaxTimeNs));
    }
    p.matches_in_trace = count_matches(events, p.sources, p.windows);
    out.push_back(std::move(p));
  }
  return out;
}

Config taught_rules(const std::vector<TaughtPattern>& taught, const SourceMap& names, std::string_view labels_file) {
  Config c;
  c.comment.push_back(fmt::format("Patterns taught from the labelled examples of {} (irqshape learn --labels).", labels_file));
  c.comment.push_back("Windows span the delays seen in the examples, widened by a margin (docs/isd.md, \"Teaching\").");
  for (const TaughtPattern& p : taught) {
    RuleSettings r;
    r.name = p.name;
    r.condition.kind = ConditionKind::sequence;
    for (std::size_t k = 0; k < p.sources.size(); ++k) {
      SequenceStep st;
      st.source.value = rule_source_name(names, p.sources[k]);
      if (k > 0) st.min_ns = p.windows[k - 1].first, st.max_ns = p.windows[k - 1].second;
      r.condition.steps.push_back(st);
    }
    r.actions = p.actions;
    std::string seen;
    for (std::size_t k = 0; k < p.seen.size(); ++k)
      seen += fmt::format("{}{}..{}", k == 0 ? "" : ", then ", format_duration(p.seen[k].first), format_duration(p.seen[k].second));
    r.comment.push_back(fmt::format("Taught from {} example{} ({}); delays seen: {}.", p.examples, p.examples == 1 ? "" : "s",
                                    p.at.str(), seen));
    r.comment.push_back(fmt::format("The pattern completes {} times in the whole trace ({} labelled).", p.matches_in_trace,
                                    p.examples));
    if (p.actions & (kRaisePriority | kLowerPriority))
      r.comment.push_back("raise-/lower-priority need raise-vector/lower-vector on the last source ([source.NAME]).");
    c.rules.push_back(std::move(r));
  }
  return c;
}

}  // namespace irqshape::isd
