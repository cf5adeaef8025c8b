#include "sim/policies/cinterrupts_policy.h"

#include <fmt/format.h>

#include <algorithm>

namespace irqshape::sim {

namespace {
constexpr Nanos kUs = 1000;
}

Result<CinterruptsParams> CinterruptsParams::read(ParamReader& r) {
  CinterruptsParams p;
  r.take_uint("thr", p.thr, 0, 65535);
  r.take_uint("delta-us", p.delta_us, 0, 1'000'000);
  r.take_bool("adaptive", p.adaptive);
  r.take_uint("delta-min-us", p.delta_min_us, 1, 1'000'000);
  r.take_uint("delta-max-us", p.delta_max_us, 1, 1'000'000);
  r.take_uint("window", p.window, 1, 1u << 20);
  r.take_uint("percentile", p.percentile, 1, 100);
  r.take_bool("urgent-ooo", p.urgent_ooo);
  r.take_classes("classes", p.classes);
  if (p.delta_min_us > p.delta_max_us) {
    r.fail("delta-min-us", fmt::format("{} is above delta-max-us={}", p.delta_min_us, p.delta_max_us));
  } else if (p.delta_us != 0 && (p.delta_us < p.delta_min_us || p.delta_us > p.delta_max_us)) {
    r.fail("delta-us", fmt::format("{} is outside delta-min-us..delta-max-us = {}..{}", p.delta_us, p.delta_min_us,
                                   p.delta_max_us));
  }
  if (Status s = r.finish(); !s) return s.error();
  return p;
}

bool GapQuantile::record(Nanos gap) {
  gaps_.push_back(gap);
  if (gaps_.size() < window_) return false;
  // Rank of the p-th percentile among n values: ceil(p * n / 100), 1-based.
  const std::size_t n = gaps_.size();
  const std::size_t rank = (std::size_t{percentile_} * n + 99) / 100;
  const auto nth = gaps_.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(gaps_.begin(), nth, gaps_.end());
  value_ = *nth;
  ++recomputations_;
  gaps_.clear();
  return true;
}

std::string CinterruptsPolicy::describe() const {
  return fmt::format("thr={} delta={}us ({}{}) urgent {} on {}", p_.thr, p_.delta_us,
                     p_.adaptive ? "adaptive: p" : "fixed",
                     p_.adaptive ? fmt::format("{} of gaps <= {}us, clamped to {}..{}us, every {} gaps", p_.percentile,
                                               p_.delta_max_us, p_.delta_min_us, p_.delta_max_us, p_.window)
                                 : std::string{},
                     p_.urgent_ooo ? "out of order" : "flushes the batch", p_.classes.str());
}

void CinterruptsPolicy::init(Queue& q, SourceKind cls) const {
  q.coalesced = p_.classes.contains(cls) && p_.thr > 1 && p_.delta_us != 0;
  q.delta = q.coalesced ? Nanos{p_.delta_us} * kUs : 0;
  q.gaps = GapQuantile(p_.window, p_.percentile);
}

CinterruptsPolicy::Queue& CinterruptsPolicy::queue(std::uint32_t source) {
  if (source >= queues_.size()) {
    const std::size_t old = queues_.size();
    queues_.resize(std::size_t{source} + 1);
    for (std::size_t i = old; i < queues_.size(); ++i) init(queues_[i], SourceKind::other);
  }
  return queues_[source];
}

void CinterruptsPolicy::add_source(const SourceInfo& source) {
  held_.add_source(source);
  init(queue(source.id), source.cls);
}

// Every completion of the queue, urgent or not, is a point of its arrival process.
void CinterruptsPolicy::learn(Queue& q, Nanos t) const {
  const bool had = q.seen;
  const Nanos gap = t - q.last_completion;
  q.seen = true;
  q.last_completion = t;
  if (!had || !p_.adaptive || gap > Nanos{p_.delta_max_us} * kUs) return;
  if (q.gaps.record(gap)) {
    q.delta = std::clamp(q.gaps.value(), Nanos{p_.delta_min_us} * kUs, Nanos{p_.delta_max_us} * kUs);
  }
}

void CinterruptsPolicy::on_event(const DeviceEvent& e, InterruptSink& out) {
  held_.fire_due(e.time, out);  // a quiet period that ends now has ended before this completion
  Queue& q = queue(e.source);
  if (!q.coalesced) {
    held_.release_one(e.source, e.time, out);
    return;
  }
  learn(q, e.time);
  if (e.urgent) {
    ++q.urgent;
    if (p_.urgent_ooo) {
      held_.release_one(e.source, e.time, out);
      if (held_.batch(e.source).count != 0) held_.set_deadline(e.source, e.time + q.delta);
      return;
    }
    held_.hold(e.source, e.time);
    held_.release(e.source, e.time, out);
    return;
  }
  held_.hold(e.source, e.time);
  if (held_.batch(e.source).count >= p_.thr) {
    ++q.by_count;
    held_.release(e.source, e.time, out);
    return;
  }
  held_.set_deadline(e.source, e.time + q.delta);
}

std::string CinterruptsPolicy::telemetry_json() const {
  std::string s = "{\"queues\":[";
  bool first = true;
  for (std::size_t id = 0; id < queues_.size(); ++id) {
    const Queue& q = queues_[id];
    if (!q.coalesced) continue;
    s += fmt::format("{}{{\"source\":{},\"delta_ns\":{},\"recomputations\":{},\"urgent\":{},\"by_count\":{}}}",
                     first ? "" : ",", id, q.delta, q.gaps.recomputations(), q.urgent, q.by_count);
    first = false;
  }
  return s + "]}";
}

}  // namespace irqshape::sim
