#include "isd/harness/synthetic_load.h"

#include <cmath>
#include <limits>

namespace irqshape::isd::harness {

namespace {
constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
}

SyntheticLoad::SyntheticLoad(std::vector<SyntheticSource> sources, std::uint64_t seed)
    : sources_(std::move(sources)), state_(sources_.size()), rng_(seed) {
  for (std::size_t i = 0; i < sources_.size(); ++i) schedule(i, 0);
}

double SyntheticLoad::rate_at(const SyntheticSource& s, std::uint64_t t) const {
  double rate = 0;
  for (const LoadPhase& p : s.phases)
    if (p.start_ns <= t) rate = p.rate_per_s;
  return rate;
}

std::uint64_t SyntheticLoad::next_phase_start(const SyntheticSource& s, std::uint64_t t) const {
  for (const LoadPhase& p : s.phases)
    if (p.start_ns > t) return p.start_ns;
  return kNever;
}

// Picks source i's next arrival at or after `from`. A gap drawn at one phase's rate is
// cut at the next phase boundary and redrawn there, so rate changes take effect at once.
void SyntheticLoad::schedule(std::size_t i, std::uint64_t from) {
  const SyntheticSource& s = sources_[i];
  State& st = state_[i];
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::uint64_t t = from;;) {
    if (s.shape == LoadShape::bursty && st.burst_left > 0) {
      --st.burst_left;
      st.next = t + s.burst_gap_ns;
      break;
    }
    const double rate = rate_at(s, t);
    const std::uint64_t boundary = next_phase_start(s, t);
    if (rate <= 0) {
      if (boundary == kNever) {
        st.done = true;
        return;
      }
      t = boundary;
      continue;
    }
    const double events_rate = s.shape == LoadShape::bursty ? rate / std::max<std::uint32_t>(1, s.burst_size) : rate;
    const double mean_gap = 1e9 / events_rate;
    double gap = s.shape == LoadShape::periodic ? mean_gap : -std::log(1.0 - unit(rng_)) * mean_gap;
    if (s.shape == LoadShape::periodic && s.jitter_ns != 0) gap += unit(rng_) * static_cast<double>(s.jitter_ns);
    const auto g = static_cast<std::uint64_t>(std::max(1.0, gap));
    if (t + g >= boundary) {
      t = boundary;
      continue;
    }
    st.next = t + g;
    if (s.shape == LoadShape::bursty) st.burst_left = s.burst_size > 0 ? s.burst_size - 1 : 0;
    break;
  }
  queue_.emplace(st.next, i);
}

std::optional<Arrival> SyntheticLoad::peek() const {
  if (queue_.empty()) return std::nullopt;
  const auto [time, i] = queue_.top();
  const SyntheticSource& s = sources_[i];
  return Arrival{time, s.source, s.vector, s.destination};
}

std::optional<Arrival> SyntheticLoad::next() {
  auto a = peek();
  if (!a) return a;
  const std::size_t i = queue_.top().second;
  queue_.pop();
  schedule(i, a->time);
  return a;
}

std::vector<Arrival> SyntheticLoad::take_until(std::uint64_t until) {
  std::vector<Arrival> out;
  while (auto a = peek()) {
    if (a->time >= until) break;
    out.push_back(*next());
  }
  return out;
}

}  // namespace irqshape::isd::harness
