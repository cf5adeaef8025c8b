#include "sim/metrics.h"

#include <algorithm>

namespace irqshape::sim {

std::string_view to_string(ExitReason r) {
  switch (r) {
    case ExitReason::Kick: return "kick";
    case ExitReason::Eoi: return "eoi";
    case ExitReason::IoApicEoi: return "ioapic_eoi";
    case ExitReason::Hlt: return "hlt";
  }
  return "?";
}

std::uint64_t ExitCounts::total() const {
  std::uint64_t n = 0;
  for (std::uint64_t c : by_reason) n += c;
  return n;
}

ExitCounts& ExitCounts::operator+=(const ExitCounts& o) {
  for (unsigned i = 0; i < kExitReasons; ++i) by_reason[i] += o.by_reason[i];
  return *this;
}

namespace {
void add_series(std::vector<std::uint32_t>& into, const std::vector<std::uint32_t>& from) {
  if (into.size() < from.size()) into.resize(from.size(), 0);
  for (std::size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}
}  // namespace

void SourceMetrics::merge(const SourceMetrics& o) {
  events += o.events;
  interrupts += o.interrupts;
  events_carried += o.events_carried;
  dropped += o.dropped;
  lost += o.lost;
  irr_merged += o.irr_merged;
  isr_calls += o.isr_calls;
  isr_empty += o.isr_empty;
  served += o.served;
  kern_dispatches += o.kern_dispatches;
  kern_isr_calls += o.kern_isr_calls;
  wakeups += o.wakeups;
  exits += o.exits;
  irq_ns += o.irq_ns;
  exit_ns += o.exit_ns;
  latency.merge(o.latency);
  requests = requests || o.requests;
  closed_loop = closed_loop || o.closed_loop;
  requests_issued += o.requests_issued;
  requests_completed += o.requests_completed;
  requests_dropped += o.requests_dropped;
  request_latency.merge(o.request_latency);
  add_series(series_interrupts, o.series_interrupts);
  add_series(series_events, o.series_events);
}

Nanos series_bin_for(Nanos duration) {
  static constexpr Nanos kSteps[] = {1, 2, 5};
  for (Nanos scale = 100 * kUs;; scale *= 10) {
    for (Nanos step : kSteps) {
      const Nanos bin = step * scale;
      if ((duration + bin - 1) / bin <= 1000) return bin;
    }
  }
}

}  // namespace irqshape::sim
