#include "isd/miner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

#include <fmt/format.h>

namespace irqshape::isd {

namespace {

using Times = std::vector<std::uint64_t>;
using Window = std::pair<std::uint64_t, std::uint64_t>;

// Log-spaced delay bins: [0, res), then res * 10^(k / per_decade).
class Bins {
 public:
  Bins(std::uint64_t resolution, unsigned per_decade, std::uint64_t horizon) : per_decade_(per_decade) {
    edges_.push_back(0);
    edges_.push_back(std::max<std::uint64_t>(1, resolution));
    for (unsigned k = 1; edges_.back() < horizon; ++k) {
      const auto e = static_cast<std::uint64_t>(std::ceil(static_cast<double>(resolution) * std::pow(10.0, k / double(per_decade))));
      edges_.push_back(std::max(e, edges_.back() + 1));
    }
  }
  [[nodiscard]] std::size_t size() const { return edges_.size() - 1; }
  [[nodiscard]] std::uint64_t lo(std::size_t i) const { return edges_[i]; }
  [[nodiscard]] std::uint64_t hi(std::size_t i) const { return edges_[i + 1]; }
  [[nodiscard]] std::size_t of(std::uint64_t d) const {
    // A guess from the logarithm, corrected against the edges (rounding of pow/log10).
    std::size_t i = d < edges_[1] ? 0 : std::min(edges_.size() - 2, 1 + static_cast<std::size_t>(per_decade_ * std::log10(
                                                                          static_cast<double>(d) / static_cast<double>(edges_[1]))));
    while (i > 0 && d < edges_[i]) --i;
    while (i + 2 < edges_.size() && d >= edges_[i + 1]) ++i;
    return i;
  }

 private:
  double per_decade_;
  std::vector<std::uint64_t> edges_;
};

// The first time in `t` at or after `from` that is at most `to`, if any.
const std::uint64_t* first_in(const Times& t, std::uint64_t from, std::uint64_t to) {
  const auto it = std::lower_bound(t.begin(), t.end(), from);
  return it != t.end() && *it <= to ? &*it : nullptr;
}

struct Step {
  const Times* times;
  Window window;
};

// Follows the chain from a start at time `a`, each step on the first event of its source
// inside its window after the previous step; the time of the last step, if all happened.
std::optional<std::uint64_t> follow_chain(std::uint64_t a, const std::vector<Step>& steps) {
  std::uint64_t t = a;
  for (const Step& s : steps) {
    const std::uint64_t* next = first_in(*s.times, t + s.window.first + (s.window.first == 0 ? 1 : 0), t + s.window.second);
    if (next == nullptr) return std::nullopt;
    t = *next;
  }
  return t;
}

// Starts followed by the whole chain.
std::uint64_t chain_support(const Times& starts, const std::vector<Step>& steps) {
  std::uint64_t n = 0;
  for (const std::uint64_t a : starts) n += follow_chain(a, steps).has_value() ? 1 : 0;
  return n;
}

class Miner {
 public:
  Miner(std::span<const Event> events, const MinerOptions& o)
      : opt_(o), bins_(o.resolution_ns, std::max(1u, o.bins_per_decade), o.horizon_ns) {
    result_.events = events.size();
    if (events.empty()) return;
    result_.start_ns = events.front().time;
    result_.end_ns = events.back().time;
    span_ = std::max<std::uint64_t>(1, result_.end_ns - result_.start_ns);
    std::map<std::uint32_t, Times> by_source;
    for (const Event& e : events) by_source[e.source].push_back(e.time);
    for (auto& [id, t] : by_source) {
      std::sort(t.begin(), t.end());
      if (t.size() >= std::max<std::uint32_t>(2, o.min_events)) {
        ids_.push_back(id);
        times_.push_back(std::move(t));
      }
    }
    order_by_count();
  }

  MiningResult run() {
    for (std::size_t i = 0; i < ids_.size(); ++i) result_.sources.push_back(profile(i));
    std::vector<SequenceFinding> pairs;
    std::vector<std::pair<std::size_t, std::size_t>> pair_index;
    for (std::size_t a = 0; a < ids_.size(); ++a)
      for (std::size_t b = 0; b < ids_.size(); ++b) {
        if (a == b) continue;
        ++result_.pairs_tested;
        if (auto f = mine_pair(a, b)) {
          pairs.push_back(std::move(*f));
          pair_index.emplace_back(a, b);
        }
      }
    std::vector<SequenceFinding> all = pairs;
    std::vector<std::vector<std::size_t>> chains;  // dense indices of each kept finding of the last length
    for (const auto& [a, b] : pair_index) chains.push_back({a, b});
    std::vector<SequenceFinding> last = pairs;
    for (unsigned len = 3; len <= opt_.max_steps; ++len) {
      std::vector<SequenceFinding> next;
      std::vector<std::vector<std::size_t>> next_chains;
      for (std::size_t c = 0; c < last.size(); ++c)
        for (std::size_t p = 0; p < pairs.size(); ++p) {
          if (pair_index[p].first != chains[c].back()) continue;
          const std::size_t tail = pair_index[p].second;
          if (std::find(chains[c].begin(), chains[c].end(), tail) != chains[c].end()) continue;
          if (auto f = extend(chains[c], last[c], tail, pairs[p])) {
            next.push_back(std::move(*f));
            next_chains.push_back(chains[c]);
            next_chains.back().push_back(tail);
          }
        }
      all.insert(all.end(), next.begin(), next.end());
      last = std::move(next);
      chains = std::move(next_chains);
    }
    std::stable_sort(all.begin(), all.end(), [](const SequenceFinding& x, const SequenceFinding& y) {
      return static_cast<double>(x.support) * x.confidence > static_cast<double>(y.support) * y.confidence;
    });
    // A window the unit cannot hold (PAT_MAXk is 32 bits of ns) is no rule: report it.
    for (SequenceFinding& f : all) {
      const bool fits = std::all_of(f.windows.begin(), f.windows.end(), [](const auto& w) { return w.second <= kMaxTimeNs; });
      (fits ? result_.sequences : result_.unprogrammable).push_back(std::move(f));
    }
    result_.rejected = std::move(rejected_);
    std::stable_sort(result_.rejected.begin(), result_.rejected.end(),
                     [](const SequenceFinding& x, const SequenceFinding& y) { return x.z > y.z; });
    return std::move(result_);
  }

 private:
  void order_by_count() {
    std::vector<std::size_t> idx(ids_.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t x, std::size_t y) { return times_[x].size() > times_[y].size(); });
    if (idx.size() > opt_.max_sources) idx.resize(opt_.max_sources);
    std::vector<std::uint32_t> ids;
    std::vector<Times> times;
    for (const std::size_t i : idx) {
      ids.push_back(ids_[i]);
      times.push_back(std::move(times_[i]));
    }
    ids_ = std::move(ids);
    times_ = std::move(times);
  }

  SourceProfile profile(std::size_t i) const {
    const Times& t = times_[i];
    SourceProfile p;
    p.source = ids_[i];
    p.events = t.size();
    p.rate_per_s = static_cast<double>(t.size()) * 1e9 / static_cast<double>(span_);
    std::vector<double> gaps;
    for (std::size_t k = 1; k < t.size(); ++k) gaps.push_back(static_cast<double>(t[k] - t[k - 1]));
    if (gaps.empty()) return p;
    const double mean = std::accumulate(gaps.begin(), gaps.end(), 0.0) / static_cast<double>(gaps.size());
    double var = 0, mad = 0;
    for (const double g : gaps) {
      var += (g - mean) * (g - mean);
      mad += std::fabs(g - mean);
    }
    p.gap_mean_ns = mean;
    p.gap_cv = mean > 0 ? std::sqrt(var / static_cast<double>(gaps.size())) / mean : 0;
    std::vector<double> sorted = gaps;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
    const double median = sorted[sorted.size() / 2];
    const auto near = std::count_if(gaps.begin(), gaps.end(), [&](double g) { return std::fabs(g - median) <= 0.1 * median; });
    p.periodic = gaps.size() >= 16 && static_cast<double>(near) >= 0.9 * static_cast<double>(gaps.size());
    if (p.periodic) {
      p.period_ns = static_cast<std::uint64_t>(median);
      p.jitter_ns = static_cast<std::uint64_t>(mad / static_cast<double>(gaps.size()));
    }
    return p;
  }

  // B's timeline rotated by `offset` (< span) within the trace span, still sorted: the
  // events pushed past the end wrap to the front, in order.
  Times shifted(const Times& t, std::uint64_t offset) const {
    Times out;
    out.reserve(t.size());
    const std::uint64_t start = result_.start_ns;
    const auto cut = std::lower_bound(t.begin(), t.end(), start + (span_ - offset));
    for (auto it = cut; it != t.end(); ++it) out.push_back(*it + offset - span_);
    for (auto it = t.begin(); it != cut; ++it) out.push_back(*it + offset);
    return out;
  }

  std::uint64_t shift_offset(unsigned r) const {
    constexpr double kGolden = 0.6180339887498949;
    const double frac = std::fmod(r * kGolden, 1.0);
    const std::uint64_t h = opt_.horizon_ns;
    if (span_ > 4 * h) return h + static_cast<std::uint64_t>(frac * static_cast<double>(span_ - 2 * h));
    return static_cast<std::uint64_t>(frac * static_cast<double>(span_));
  }

  // Support of the chain with its last step's source replaced by shifted copies.
  void null_of(const Times& starts, std::vector<Step> steps, double& mean, double& sd) const {
    const Times& last = *steps.back().times;
    std::vector<double> counts;
    for (unsigned r = 1; r <= opt_.shifts; ++r) {
      const Times moved = shifted(last, shift_offset(r));
      steps.back().times = &moved;
      counts.push_back(static_cast<double>(chain_support(starts, steps)));
    }
    mean = counts.empty() ? 0 : std::accumulate(counts.begin(), counts.end(), 0.0) / static_cast<double>(counts.size());
    double var = 0;
    for (const double c : counts) var += (c - mean) * (c - mean);
    sd = counts.size() > 1 ? std::sqrt(var / static_cast<double>(counts.size() - 1)) : 0;
  }

  // rare: too few occurrences (support or confidence) to be tested further; rejected: the
  // statistics are filled, but lift, excess or z is below its threshold.
  enum class Verdict { rare, rejected, kept };

  // Fills the statistics of `f` (its windows set) and says whether it passes.
  Verdict judge(SequenceFinding& f, const Times& starts, const std::vector<Step>& steps) const {
    f.starts = starts.size();
    f.support = chain_support(starts, steps);
    f.confidence = starts.empty() ? 0 : static_cast<double>(f.support) / static_cast<double>(starts.size());
    if (f.support < opt_.min_support || f.confidence < opt_.min_confidence) return Verdict::rare;
    null_of(starts, steps, f.null_mean, f.null_sd);
    f.lift = static_cast<double>(f.support) / std::max(f.null_mean, 0.5);
    const double sd = std::max({f.null_sd, std::sqrt(std::max(f.null_mean, 1.0))});
    f.z = (static_cast<double>(f.support) - f.null_mean) / sd;
    f.excess = (static_cast<double>(f.support) - f.null_mean) / static_cast<double>(starts.size());
    return f.lift >= opt_.min_lift && f.excess >= opt_.min_excess && f.z >= opt_.min_z ? Verdict::kept : Verdict::rejected;
  }

  std::optional<SequenceFinding> mine_pair(std::size_t a, std::size_t b) {
    const Times& A = times_[a];
    const Times& B = times_[b];
    const double rate_b = static_cast<double>(B.size()) / static_cast<double>(span_);  // per ns
    const auto horizon = static_cast<std::uint64_t>(
        std::min(static_cast<double>(opt_.horizon_ns), opt_.max_pairs_per_event / std::max(rate_b, 1e-18)));
    if (horizon < 2) return std::nullopt;
    // 1. cross-correlogram against independent arrivals
    std::size_t nbins = 0;
    while (nbins < bins_.size() && bins_.lo(nbins) < horizon) ++nbins;
    std::vector<double> obs(nbins, 0.0);
    std::size_t first = 0;
    for (const std::uint64_t t : A) {
      while (first < B.size() && B[first] <= t) ++first;
      for (std::size_t j = first; j < B.size() && B[j] - t < horizon; ++j) obs[bins_.of(B[j] - t)] += 1;
    }
    // 2. the run of bins with the largest excess over twice the independent expectation
    double best = 0, run = 0;
    std::size_t best_lo = 0, best_hi = 0, run_lo = 0;
    for (std::size_t i = 0; i < nbins; ++i) {
      const double width = static_cast<double>(std::min(bins_.hi(i), horizon) - bins_.lo(i));
      const double expected = static_cast<double>(A.size()) * rate_b * width;
      const double score = obs[i] - 2.0 * expected;
      if (run <= 0) {
        run = 0;
        run_lo = i;
      }
      run += score;
      if (run > best) best = run, best_lo = run_lo, best_hi = i;
    }
    if (best < opt_.min_support / 2.0) return std::nullopt;
    const std::uint64_t lo = bins_.lo(best_lo), hi = std::min(bins_.hi(best_hi), horizon) - 1;
    // tighten to the delays seen, then widen by the margin
    std::vector<std::uint64_t> delays;
    for (const std::uint64_t t : A)
      if (const std::uint64_t* n = first_in(B, t + std::max<std::uint64_t>(lo, 1), t + hi)) delays.push_back(*n - t);
    if (delays.size() < opt_.min_support) return std::nullopt;
    std::sort(delays.begin(), delays.end());
    const std::size_t n = delays.size();
    const std::uint64_t seen_lo = delays[static_cast<std::size_t>(0.005 * static_cast<double>(n))];
    const std::uint64_t seen_hi = delays[std::min(n - 1, static_cast<std::size_t>(std::ceil(0.995 * static_cast<double>(n))) - 1)];
    const auto pad = static_cast<std::uint64_t>(opt_.margin * static_cast<double>(seen_hi - seen_lo)) + opt_.slack_ns;
    SequenceFinding f;
    f.sources = {ids_[a], ids_[b]};
    f.seen = {{seen_lo, seen_hi}};
    // The margin never takes a window past what the unit can hold; delays seen beyond it
    // leave the window there too, and the finding is reported as unprogrammable.
    const std::uint64_t top = seen_hi <= kMaxTimeNs ? std::min(seen_hi + pad, kMaxTimeNs) : seen_hi + pad;
    f.windows = {{seen_lo > pad ? seen_lo - pad : 0, top}};
    switch (judge(f, A, {Step{&B, f.windows[0]}})) {
      case Verdict::kept: return f;
      case Verdict::rejected: rejected_.push_back(std::move(f)); return std::nullopt;
      case Verdict::rare: return std::nullopt;
    }
    return std::nullopt;
  }

  std::optional<SequenceFinding> extend(const std::vector<std::size_t>& chain, const SequenceFinding& head, std::size_t tail,
                                        const SequenceFinding& pair) const {
    SequenceFinding f = head;
    f.sources.push_back(ids_[tail]);
    f.windows.push_back(pair.windows[0]);
    f.seen.push_back(pair.seen[0]);
    std::vector<Step> steps;
    for (std::size_t k = 1; k < chain.size(); ++k) steps.push_back(Step{&times_[chain[k]], f.windows[k - 1]});
    steps.push_back(Step{&times_[tail], f.windows.back()});
    if (judge(f, times_[chain[0]], steps) != Verdict::kept) return std::nullopt;
    return f;
  }

  const MinerOptions& opt_;
  Bins bins_;
  MiningResult result_;
  std::uint64_t span_ = 1;
  std::vector<std::uint32_t> ids_;
  std::vector<Times> times_;
  std::vector<SequenceFinding> rejected_;  // pairs judged and rejected (mine_pair)
};

}  // namespace

MiningResult mine(std::span<const Event> events, const MinerOptions& options) { return Miner(events, options).run(); }

std::uint64_t count_matches(std::span<const Event> events, const std::vector<std::uint32_t>& sources,
                            const std::vector<std::pair<std::uint64_t, std::uint64_t>>& windows) {
  if (sources.size() < 2 || windows.size() + 1 != sources.size()) return 0;
  std::map<std::uint32_t, Times> by_source;
  for (const Event& e : events) by_source[e.source].push_back(e.time);
  for (auto& [id, t] : by_source) std::sort(t.begin(), t.end());
  std::vector<Step> steps;
  for (std::size_t k = 1; k < sources.size(); ++k) steps.push_back(Step{&by_source[sources[k]], windows[k - 1]});
  std::vector<std::uint64_t> completions;
  for (const std::uint64_t a : by_source[sources[0]])
    if (const auto t = follow_chain(a, steps)) completions.push_back(*t);
  std::sort(completions.begin(), completions.end());
  return static_cast<std::uint64_t>(std::unique(completions.begin(), completions.end()) - completions.begin());
}

std::string rule_source_name(const SourceMap& names, std::uint32_t id) {
  const SourceInfo* s = names.find(id);
  if (s != nullptr && !s->name.empty() &&
      s->name.find_first_of(" \t\"'(),*") == std::string::npos && s->name.find("->") == std::string::npos)
    return s->name;
  if (s != nullptr && s->irq >= 0) return fmt::format("irq={}", s->irq);
  return fmt::format("id={}", id);
}

namespace {

std::string rule_name_part(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return s;
}

std::string unique_name(std::string base, const Config& c) {
  std::string name = base;
  for (int k = 2;; ++k) {
    const bool taken = std::any_of(c.rules.begin(), c.rules.end(), [&](const RuleSettings& r) { return r.name == name; });
    if (!taken) return name;
    name = fmt::format("{}-{}", base, k);
  }
}

std::string describe(const SourceProfile& p) {
  if (p.periodic) return fmt::format("periodic every {}, jitter {}", format_duration(p.period_ns), format_duration(p.jitter_ns));
  if (p.gap_cv > 1.5) return fmt::format("bursty (gap CV {:.2f})", p.gap_cv);
  if (p.gap_cv > 0.7) return fmt::format("random, Poisson-like (gap CV {:.2f})", p.gap_cv);
  return fmt::format("regular (gap CV {:.2f})", p.gap_cv);
}

RuleSettings sequence_rule(const SequenceFinding& f, const MiningResult& r, const SourceMap& names, const ProposalOptions& o,
                           const Config& c) {
  RuleSettings rule;
  std::string base;
  for (std::size_t k = 0; k < f.sources.size(); ++k)
    base += (k == 0 ? "" : "-then-") + rule_name_part(rule_source_name(names, f.sources[k]));
  rule.name = unique_name(base, c);
  rule.condition.kind = ConditionKind::sequence;
  for (std::size_t k = 0; k < f.sources.size(); ++k) {
    SequenceStep st;
    st.source.value = rule_source_name(names, f.sources[k]);
    if (k > 0) st.min_ns = f.windows[k - 1].first, st.max_ns = f.windows[k - 1].second;
    rule.condition.steps.push_back(st);
  }
  rule.actions = kAugment;
  rule.comment.push_back(fmt::format("{} of {} {} interrupts were followed by this sequence (confidence {:.2f});",
                                     f.support, f.starts, rule_source_name(names, f.sources[0]), f.confidence));
  rule.comment.push_back(fmt::format("independent arrivals give {:.1f} (lift {:.1f}, z {:.1f}).", f.null_mean, f.lift, f.z));
  std::string seen;
  for (std::size_t k = 0; k < f.seen.size(); ++k)
    seen += fmt::format("{}{}..{}", k == 0 ? "" : ", then ", format_duration(f.seen[k].first), format_duration(f.seen[k].second));
  rule.comment.push_back(fmt::format("Delays seen: {} (windows widened by the margin).", seen));
  std::size_t periodic_steps = 0;
  for (const SourceProfile& p : r.sources)
    if (p.periodic && std::find(f.sources.begin(), f.sources.end(), p.source) != f.sources.end()) ++periodic_steps;
  if (periodic_steps == f.sources.size())
    rule.comment.push_back("Every step is a periodic source: this may be phase-locking of timers rather than one causing the other.");
  for (const SourceProfile& p : r.sources) {
    if (p.source != f.sources[0]) continue;
    const double live = p.rate_per_s * static_cast<double>(f.windows[0].second) * 1e-9;
    if (live > o.partials / 4.0)
      rule.comment.push_back(fmt::format("Sizing: about {:.0f} partial matches live at once ({:.0f}/s x {}) of the unit's {}: "
                                         "narrow the first window or expect PM_DROPPED.",
                                         live, p.rate_per_s, format_duration(f.windows[0].second), o.partials));
  }
  rule.comment.push_back("Actions: augment tells the guest when the sequence started; raise-priority needs raise-vector on the last source.");
  return rule;
}

}  // namespace

Config propose_rules(const MiningResult& r, const SourceMap& names, const ProposalOptions& o) {
  Config c;
  const double seconds = static_cast<double>(r.end_ns - r.start_ns) * 1e-9;
  c.comment.push_back(fmt::format("Rules proposed by `irqshape learn`{}.", o.input.empty() ? "" : " from " + o.input));
  c.comment.push_back(fmt::format("{} interrupts of {} sources over {:.3f} s; {} sequences found. Method: docs/isd.md, \"Learning\".",
                                  r.events, r.sources.size(), seconds, r.sequences.size()));
  c.comment.push_back("Edit freely, then check: irqshape isd-check <this file> --trace <the trace>");
  c.comment.push_back("");
  c.comment.push_back("Sources, busiest first:");
  std::vector<std::string> suggestions;
  for (const SourceProfile& p : r.sources) {
    const std::string name = rule_source_name(names, p.source);
    c.comment.push_back(fmt::format("  {:<24} {:>10.1f}/s  {}", name, p.rate_per_s, describe(p)));
    if (p.rate_per_s < o.coalesce_above_per_s || p.periodic) continue;
    if (const auto why = o.not_coalescing.find(p.source); why != o.not_coalescing.end()) {
      suggestions.push_back(fmt::format("# {}: not a candidate: {}", name, why->second));
    } else {
      suggestions.push_back(fmt::format("[source.\"{}\"]", name));
      suggestions.push_back(fmt::format("rx-usecs = 50       # {:.0f}/s: about {:.1f} events per 50 us", p.rate_per_s,
                                        p.rate_per_s * 50e-6));
      suggestions.push_back("adaptive-rx = true  # deliver at once when the source is quiet");
    }
  }
  if (!suggestions.empty()) {
    c.comment.push_back("");
    c.comment.push_back("Coalescing candidates (uncomment to use; irqshape isd-telemetry --max-added-p99 tunes rx-usecs online):");
    c.comment.insert(c.comment.end(), suggestions.begin(), suggestions.end());
  }
  // Longer chains first: they say more; then the pairs they do not already contain.
  std::vector<const SequenceFinding*> order;
  for (const SequenceFinding& f : r.sequences) order.push_back(&f);
  std::stable_sort(order.begin(), order.end(), [](const auto* x, const auto* y) { return x->sources.size() > y->sources.size(); });
  std::vector<const SequenceFinding*> chosen;
  for (const SequenceFinding* f : order) {
    if (chosen.size() >= o.max_rules) break;
    const bool inside = f->sources.size() == 2 && std::any_of(chosen.begin(), chosen.end(), [&](const SequenceFinding* g) {
      for (std::size_t k = 0; k + 1 < g->sources.size(); ++k)
        if (g->sources[k] == f->sources[0] && g->sources[k + 1] == f->sources[1]) return true;
      return false;
    });
    if (!inside) chosen.push_back(f);
  }
  for (const SequenceFinding* f : chosen) c.rules.push_back(sequence_rule(*f, r, names, o, c));
  for (const SourceProfile& p : r.sources) {
    if (!p.periodic || c.rules.size() >= o.max_rules) continue;
    RuleSettings rule;
    const std::string name = rule_source_name(names, p.source);
    rule.name = unique_name(rule_name_part(name) + "-periodic", c);
    rule.condition.kind = ConditionKind::periodic;
    rule.condition.source = Located<std::string>{name, {}};
    rule.condition.ns = std::clamp<std::uint64_t>(3 * p.jitter_ns, kNsPerUs, kMaxTimeNs);  // RULE_PARAM is 32 bits of ns
    rule.comment.push_back(fmt::format("{} is periodic: every {} (jitter {}). This rule only counts; add \"lower-priority\"",
                                       name, format_duration(p.period_ns), format_duration(p.jitter_ns)));
    rule.comment.push_back("with a lower-vector on the source to deliver it at a lower priority.");
    c.rules.push_back(std::move(rule));
  }
  return c;
}

}  // namespace irqshape::isd
