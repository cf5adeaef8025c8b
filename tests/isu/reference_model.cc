#include "reference_model.h"

#include <algorithm>
#include <optional>

namespace irqshape::isu::testing {

using namespace regs;

std::uint64_t scaled_rate_by_definition(const std::vector<std::uint64_t>& arrivals, std::uint64_t t,
                                        std::uint32_t window) {
  const std::uint64_t start = t - t % window;
  std::uint64_t cur = 0, prev = 0;
  for (auto it = arrivals.rbegin(); it != arrivals.rend(); ++it) {
    const std::uint64_t a = *it;
    if (a > t) continue;
    if (a >= start) {
      ++cur;
    } else if (a + window >= start) {
      ++prev;
    } else {
      break;
    }
  }
  return cur * window + prev * (window - (t - start));
}

namespace {

struct Arrival {
  unsigned source;
  std::uint64_t time;
};

// For every arrival index: the patterns it completes, and for each the latest time of
// the previous step among the sequences completing there. A sequence starting at i
// takes, for each later step, the first arrival of that step's source whose delay from
// the previous step is inside the window.
struct Completions {
  std::vector<std::uint64_t> mask;
  std::vector<std::map<unsigned, std::uint64_t>> prev;
};

Completions find_completions(const RefConfig& config, const std::vector<Arrival>& arrivals) {
  Completions c{std::vector<std::uint64_t>(arrivals.size(), 0), std::vector<std::map<unsigned, std::uint64_t>>(arrivals.size())};
  for (const auto& [p, def] : config.patterns) {
    if (!def.enabled) continue;
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
      if (arrivals[i].source != def.step[0].source) continue;
      std::size_t j = i, before_last = i;
      bool complete = true;
      for (unsigned k = 1; k < def.steps && complete; ++k) {
        std::optional<std::size_t> next;
        for (std::size_t m = j + 1; m < arrivals.size(); ++m) {
          const std::uint64_t delay = arrivals[m].time - arrivals[j].time;
          if (delay > def.step[k].max_delay) break;
          if (arrivals[m].source == def.step[k].source && delay >= def.step[k].min_delay) {
            next = m;
            break;
          }
        }
        if (!next) complete = false;
        else {
          before_last = j;
          j = *next;
        }
      }
      if (!complete) continue;
      c.mask[j] |= std::uint64_t{1} << p;
      auto& prev = c.prev[j][p];
      prev = std::max(prev, arrivals[before_last].time);
    }
  }
  return c;
}

struct Predictor {  // the same recurrence as the unit: it is the definition
  std::uint64_t last = 0, mean = 0, dev = 0;
  std::uint32_t gaps = 0;
  bool seen = false;
  void record(std::uint64_t t, unsigned shift) {
    if (seen) {
      const std::uint64_t gap = t - last;
      if (gaps == 0) {
        mean = gap;
        dev = gap / 2;
      } else {
        const std::int64_t err = static_cast<std::int64_t>(gap) - static_cast<std::int64_t>(mean);
        mean = static_cast<std::uint64_t>(static_cast<std::int64_t>(mean) + (err >> shift));
        const std::int64_t abs_err = err < 0 ? -err : err;
        dev = static_cast<std::uint64_t>(static_cast<std::int64_t>(dev) + ((abs_err - static_cast<std::int64_t>(dev)) >> shift));
      }
      ++gaps;
    }
    seen = true;
    last = t;
  }
  std::uint64_t predicted() const { return gaps == 0 ? 0 : last + mean; }
};

struct Batch {
  hw::InterruptMessage message;
  std::vector<std::uint64_t> times;
  std::optional<std::uint64_t> deadline;
  std::uint64_t prev_step = 0, patterns = 0;
  std::uint8_t rule = ctx::kNoRule;
  bool augment = false, lower = false, deferred = false;
};

struct Source {
  std::vector<std::uint64_t> arrivals;
  Predictor predictor;
  Batch batch;
  std::uint32_t dropped_since_record = 0;
};

class Reference {
 public:
  explicit Reference(const RefConfig& config) : config_(config) {}

  RefResult run(const std::vector<RefInput>& inputs) {
    std::vector<Arrival> arrivals;
    for (const RefInput& in : inputs)
      if (!in.advance) arrivals.push_back({in.message.source, in.time});
    completions_ = find_completions(config_, arrivals);
    std::size_t n = 0;
    for (const RefInput& in : inputs) {
      fire_timers(in.time);
      if (!in.advance) arrive(in.message, in.time, n++);
    }
    return RefResult{out_, hold_};
  }

 private:
  SourceConfig config_of(unsigned s) const {
    auto it = config_.sources.find(s);
    return it == config_.sources.end() ? SourceConfig{} : it->second;
  }

  void fire_timers(std::uint64_t now) {
    for (;;) {
      std::optional<unsigned> best;
      for (auto& [s, src] : sources_) {
        if (src.batch.times.empty() || !src.batch.deadline || *src.batch.deadline > now) continue;
        if (!best || *src.batch.deadline < *sources_[*best].batch.deadline) best = s;  // map order: lowest id wins ties
      }
      if (!best) return;
      emit(*best, *sources_[*best].batch.deadline, ctx_flag::kTimer, false);
    }
  }

  struct Decision {
    bool raise = false, lower = false, augment = false, coalesce = false, urgent = false;
    std::uint8_t first_rule = ctx::kNoRule;
  };

  Decision evaluate(unsigned s, std::uint64_t t, std::uint64_t completed, const Predictor& before) {
    Decision d;
    bool priority_decided = false;
    for (const auto& [i, r] : config_.rules) {
      if (!r.enabled || (r.source != kAnySource && r.source != s)) continue;
      bool holds = false;
      const std::uint64_t scaled = scaled_rate_by_definition(sources_[s].arrivals, t, config_.rate_window);
      const bool confident = before.gaps >= 8;
      switch (r.kind) {
        case rule_cond::kAlways: holds = true; break;
        case rule_cond::kPattern: holds = (completed >> r.param) & 1; break;
        case rule_cond::kRateAbove: holds = scaled > std::uint64_t{r.param} * config_.rate_window; break;
        case rule_cond::kRateBelow: holds = scaled < std::uint64_t{r.param} * config_.rate_window; break;
        case rule_cond::kPeriodic: holds = confident && before.dev <= r.param; break;
        case rule_cond::kOffPrediction: {
          const std::uint64_t p = before.predicted();
          holds = confident && (t > p ? t - p : p - t) > r.param;
          break;
        }
        default: break;
      }
      if (!holds) continue;
      if (d.first_rule == ctx::kNoRule) d.first_rule = static_cast<std::uint8_t>(i);
      if (!priority_decided && (r.actions & 3) != 0) {
        d.raise = r.actions & rule_action::Raise::mask;
        d.lower = r.actions & rule_action::Lower::mask;
        priority_decided = true;
      }
      d.augment |= (r.actions & rule_action::Augment::mask) != 0;
      d.coalesce |= (r.actions & rule_action::Coalesce::mask) != 0;
      d.urgent |= (r.actions & rule_action::Urgent::mask) != 0;
    }
    return d;
  }

  void add(unsigned s, const hw::InterruptMessage& m, std::uint64_t t, const Decision& d, std::size_t n) {
    Batch& b = sources_[s].batch;
    if (b.times.empty()) {
      b = Batch{};
      b.message = m;
    }
    b.times.push_back(t);
    b.patterns |= completions_.mask[n];
    for (const auto& [p, prev] : completions_.prev[n]) b.prev_step = std::max(b.prev_step, prev);
    if (d.first_rule != ctx::kNoRule) b.rule = d.first_rule;
    b.augment |= d.augment;
    b.lower |= d.lower;
  }

  std::uint32_t frame_limit(const SourceConfig& c, const Predictor& p) const {
    if (!(c.ctrl & src_ctrl::Adaptive::mask)) return c.frames;
    if (p.gaps < 2) return 1;
    const std::uint64_t cap = c.frames ? c.frames : 256;
    if (p.mean == 0) return static_cast<std::uint32_t>(cap);  // the highest rate
    return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(c.time / p.mean, 1, cap));
  }

  void arrive(const hw::InterruptMessage& m, std::uint64_t t, std::size_t n) {
    const unsigned s = m.source;
    Source& src = sources_[s];
    const SourceConfig c = config_of(s);
    const Predictor before = src.predictor;
    src.arrivals.push_back(t);
    src.predictor.record(t, config_.pred_shift);
    const Decision d = evaluate(s, t, completions_.mask[n], before);
    const bool edge = m.trigger_mode == hw::TriggerMode::Edge;
    Batch& b = src.batch;
    const bool retargeted = !b.times.empty() && (b.message.destination != m.destination ||
                                                 b.message.vector != m.vector ||
                                                 b.message.destination_mode != m.destination_mode ||
                                                 b.message.delivery_mode != m.delivery_mode ||
                                                 b.message.trigger_mode != m.trigger_mode);

    const std::uint64_t scaled = scaled_rate_by_definition(src.arrivals, t, config_.rate_window);
    if (edge && (c.ctrl & src_ctrl::StormGuard::mask) && scaled > std::uint64_t{c.storm_limit} * config_.rate_window) {
      if (c.ctrl & src_ctrl::StormDrop::mask) {
        ++src.dropped_since_record;
        return;
      }
      if (retargeted) emit(s, t, 0, false);
      add(s, m, t, d, n);
      b.deferred = true;
      // The window's end, or the end of the clock when the window would pass it.
      const std::uint64_t start = t - t % config_.rate_window;
      const std::uint64_t window_end =
          start > ~std::uint64_t{0} - config_.rate_window ? ~std::uint64_t{0} : start + config_.rate_window;
      if (!b.deadline || *b.deadline < window_end) b.deadline = window_end;
      return;
    }
    if (retargeted) emit(s, t, 0, false);
    add(s, m, t, d, n);
    const bool coalescing =
        edge && !d.urgent && !d.raise && c.time != 0 && ((c.ctrl & src_ctrl::Coalesce::mask) || d.coalesce);
    if (coalescing && b.times.front() + c.time <= t) {  // the deadline passed: deliver now
      emit(s, t, ctx_flag::kTimer, false);
      return;
    }
    if (coalescing) {
      const std::uint32_t limit = frame_limit(c, src.predictor);
      if (limit == 0 || b.times.size() < limit) {
        const std::uint64_t by_time = b.times.front() + c.time;
        if (!b.deadline || by_time < *b.deadline) b.deadline = by_time;
        return;
      }
    }
    emit(s, t, d.urgent ? ctx_flag::kUrgent : 0, d.raise);
  }

  void emit(unsigned s, std::uint64_t t, std::uint32_t flags, bool raise) {
    Source& src = sources_[s];
    Batch& b = src.batch;
    const SourceConfig c = config_of(s);
    RefOutput o;
    o.time = t;
    o.message = b.message;
    o.count = static_cast<std::uint32_t>(b.times.size());
    o.first = b.times.front();
    o.last = b.times.back();
    if (raise && c.raise_vector) {
      o.message.vector = c.raise_vector;
      flags |= ctx_flag::kRaised;
    } else if (b.lower && c.lower_vector) {
      o.message.vector = c.lower_vector;
      flags |= ctx_flag::kLowered;
    }
    if (o.count > 1) flags |= ctx_flag::kCoalesced;
    if (b.deferred) flags |= ctx_flag::kDeferred;
    if (b.patterns) flags |= ctx_flag::kPattern;
    o.flags = flags;
    const std::uint32_t dest = o.message.destination;
    if (b.augment && o.message.destination_mode == hw::DestinationMode::Physical && dest < kDestinations) {
      const std::uint32_t seq = ctx_seq_[dest] == ctx::kLastSequence ? 1 : ctx_seq_[dest] + 1;
      ctx_seq_[dest] = seq;
      o.has_context = true;
      o.slot = static_cast<std::uint16_t>((seq - 1) % (1u << config_.ctx_log2));
      o.record = ContextRecord{seq, static_cast<std::uint16_t>(s), o.message.vector, b.rule, o.count, flags,
                               o.first, o.last, b.prev_step, src.predictor.predicted(), b.patterns,
                               src.dropped_since_record, 0};
      src.dropped_since_record = 0;
    }
    RefHold& h = hold_[s];
    for (std::uint64_t e : b.times) h.sum += t - e;
    h.max = std::max(h.max, t - b.times.front());
    const std::uint64_t longest_us = (t - b.times.front()) / 1024;
    unsigned bucket = 0;
    while (bucket < 15 && longest_us >= (std::uint64_t{1} << bucket)) ++bucket;
    h.buckets[bucket] += o.count;
    b = Batch{};
    out_.push_back(o);
  }

  const RefConfig& config_;
  Completions completions_;
  std::map<unsigned, Source> sources_;
  std::map<std::uint32_t, std::uint32_t> ctx_seq_;
  std::vector<RefOutput> out_;
  std::map<unsigned, RefHold> hold_;
};

}  // namespace

RefResult run_reference(const RefConfig& config, const std::vector<RefInput>& inputs) {
  return Reference(config).run(inputs);
}

}  // namespace irqshape::isu::testing
