#include "sim/policies/dim_policy.h"

#include <fmt/format.h>

namespace irqshape::sim {

namespace {
constexpr Nanos kUs = 1000;
}

Result<DimParams> DimParams::read(ParamReader& r) {
  DimParams p;
  unsigned mode = 0;
  r.take_choice("mode", mode, {"eqe", "cqe"});
  p.mode = mode == 0 ? dim::PeriodMode::Eqe : dim::PeriodMode::Cqe;
  r.take_uint("default-bytes", p.default_bytes, 1, 1u << 20);
  r.take_classes("classes", p.classes);
  if (Status s = r.finish(); !s) return s.error();
  return p;
}

std::string DimPolicy::describe() const {
  const auto& prof = dim::rx_profiles(p_.mode);
  return fmt::format("net_dim, {} profiles {{{},{}}}..{{{},{}}} usec/pkts, starting at profile {}, on {}",
                     p_.mode == dim::PeriodMode::Eqe ? "EQE" : "CQE", prof.front().usec, prof.front().pkts,
                     prof.back().usec, prof.back().pkts, dim::kDefaultProfile, p_.classes.str());
}

DimPolicy::Queue& DimPolicy::queue(std::uint32_t source) {
  if (source >= queues_.size()) {
    const std::size_t old = queues_.size();
    queues_.resize(std::size_t{source} + 1);
    for (std::size_t i = old; i < queues_.size(); ++i) queues_[i].moderated = p_.classes.contains(SourceKind::other);
  }
  return queues_[source];
}

void DimPolicy::add_source(const SourceInfo& source) {
  held_.add_source(source);
  queue(source.id).moderated = p_.classes.contains(source.cls);
}

// After every interrupt of a moderated queue: the driver's NAPI poll hands DIM its
// counters; a changed profile takes effect for the events that follow.
void DimPolicy::sampled(const Interrupt& i) {
  if (i.events == 0) return;
  Queue& q = queue(i.source);
  ++q.interrupts;
  q.counters.time = i.time;
  q.counters.event_ctr = static_cast<std::uint16_t>(q.counters.event_ctr + 1);
  q.counters.pkt_ctr += i.events;
  q.counters.byte_ctr += static_cast<std::uint32_t>(q.held_bytes);
  q.held_bytes = 0;
  if (q.dim.update(q.counters)) {
    q.applied = q.dim.profile();
    ++q.changes;
    q.dim.applied();
  }
}

void DimPolicy::on_event(const DeviceEvent& e, InterruptSink& out) {
  held_.fire_due(e.time, out, [this](const Interrupt& i) { sampled(i); });
  Queue& q = queue(e.source);
  if (!q.moderated) {
    held_.release_one(e.source, e.time, out);
    return;
  }
  const dim::Moderation m = dim::rx_profiles(p_.mode)[q.applied];
  held_.hold(e.source, e.time);
  q.held_bytes += e.bytes != 0 ? e.bytes : p_.default_bytes;
  const HeldBatches::Batch& b = held_.batch(e.source);
  if (b.count >= m.pkts) {
    sampled(held_.release(e.source, e.time, out));
    return;
  }
  const Nanos period = Nanos{m.usec} * kUs;
  if (p_.mode == dim::PeriodMode::Cqe) {
    held_.set_deadline(e.source, e.time + period);  // the timer restarts at every completion
  } else if (b.count == 1) {
    held_.set_deadline(e.source, e.time + period);
  }
}

void DimPolicy::on_timer(Nanos now, InterruptSink& out) {
  held_.fire_due(now, out, [this](const Interrupt& i) { sampled(i); });
}

void DimPolicy::flush(Nanos now, InterruptSink& out) {
  held_.flush(now, out);  // the run is over: no more samples
}

std::string DimPolicy::telemetry_json() const {
  std::string s = "{\"queues\":[";
  bool first = true;
  for (std::size_t id = 0; id < queues_.size(); ++id) {
    const Queue& q = queues_[id];
    if (!q.moderated) continue;
    const dim::Moderation m = dim::rx_profiles(p_.mode)[q.applied];
    s += fmt::format("{}{{\"source\":{},\"profile\":{},\"usec\":{},\"pkts\":{},\"changes\":{},\"interrupts\":{}}}",
                     first ? "" : ",", id, q.applied, m.usec, m.pkts, q.changes, q.interrupts);
    first = false;
  }
  return s + "]}";
}

}  // namespace irqshape::sim
