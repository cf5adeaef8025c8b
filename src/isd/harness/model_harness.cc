#include "isd/harness/model_harness.h"

#include <algorithm>
#include <cmath>

namespace irqshape::isd::harness {

ModelHarness::ModelHarness() : unit_(std::make_unique<isu::Isu>(*this)), waiting_(kSources), stats_(kSources) {}

void ModelHarness::interrupt(const Arrival& a) {
  hw::InterruptMessage m;
  m.source = a.source;
  m.vector = a.vector;
  m.destination = a.destination;
  if (a.source < kSources) {
    waiting_[a.source].push_back(a.time);
    ++stats_[a.source].arrivals;
  }
  unit_->receive(m, a.time);
}

void ModelHarness::advance(std::uint64_t now) { unit_->advance(now); }

void ModelHarness::run(SyntheticLoad& load, std::uint64_t until) {
  while (auto a = load.peek()) {
    if (a->time >= until) break;
    interrupt(*load.next());
  }
  advance(until);
}

// Events of a source leave in arrival order (a batch is its oldest held events), so the
// k-th event delivered is the k-th that arrived. Storm-guard drops break that order; the
// scenarios that measure delays do not drop.
void ModelHarness::inject(const isu::VirtualInterrupt& vi) {
  ++interrupts_;
  const std::uint32_t source = vi.message.source;
  if (source >= kSources) return;
  SourceStats& s = stats_[source];
  ++s.interrupts;
  const std::uint32_t count = vi.shaped ? vi.count : 1;
  s.events += count;
  auto& q = waiting_[source];
  for (std::uint32_t i = 0; i < count && !q.empty(); ++i) {
    s.delays.push_back(vi.time - q.front());
    q.pop_front();
  }
}

std::vector<std::uint64_t> ModelHarness::take_delays(std::uint32_t source) {
  std::vector<std::uint64_t> out;
  out.swap(stats_[source % kSources].delays);
  return out;
}

double quantile(std::vector<std::uint64_t> values, double p) {
  if (values.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(std::clamp(p, 0.0, 1.0) * static_cast<double>(values.size())));
  const std::size_t k = rank == 0 ? 0 : rank - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return static_cast<double>(values[k]);
}

}  // namespace irqshape::isd::harness
