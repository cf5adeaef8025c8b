#include "sim/policies/vic_policy.h"

#include <fmt/format.h>

#include <algorithm>

namespace irqshape::sim {

namespace {
constexpr Nanos kUs = 1000, kMs = 1000 * kUs, kS = 1000 * kMs;
}

Result<VicParams> VicParams::read(ParamReader& r) {
  VicParams p;
  r.take_uint("cif-threshold", p.cif_threshold, 1, 65535);
  r.take_uint("iops-threshold", p.iops_threshold, 0, 100'000'000);
  r.take_uint("epoch-ms", p.epoch_ms, 1, 60'000);
  r.take_uint("max-skip", p.max_skip, 1, 1024);
  r.take_uint("max-delay-us", p.max_delay_us, 1, 1'000'000);
  r.take_classes("classes", p.classes);
  if (Status s = r.finish(); !s) return s.error();
  return p;
}

std::string VicPolicy::describe() const {
  return fmt::format("R = 1 below cif-threshold={} or iops-threshold={}/s (epoch {} ms), else max(1/{}, {}/CIF); "
                     "held at most {} us; on {}",
                     p_.cif_threshold, p_.iops_threshold, p_.epoch_ms, p_.max_skip, p_.cif_threshold,
                     p_.max_delay_us, p_.classes.str());
}

std::uint32_t VicPolicy::ratio(std::uint32_t cif) const {
  if (cif < p_.cif_threshold) return kOne;
  // Rounded up, so that k completions at R = 1/k (or 4 of 5 at 4/5) reach a whole credit.
  const std::uint64_t r = (std::uint64_t{p_.cif_threshold} * kOne + cif - 1) / cif;
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(r, kOne / p_.max_skip));
}

VicPolicy::Controller& VicPolicy::controller(std::uint32_t source) {
  if (source >= controllers_.size()) {
    const std::size_t old = controllers_.size();
    controllers_.resize(std::size_t{source} + 1);
    for (std::size_t i = old; i < controllers_.size(); ++i)
      controllers_[i].coalesced = p_.classes.contains(SourceKind::other);
  }
  return controllers_[source];
}

void VicPolicy::add_source(const SourceInfo& source) {
  held_.add_source(source);
  controller(source.id).coalesced = p_.classes.contains(source.cls);
}

// Completions per second of the last full epoch against the threshold. During the first
// epoch (no full one yet) the rate so far: the completions after the first one over the
// time since it. iops-threshold=0 means always above.
bool VicPolicy::rate_above_threshold(Controller& c, Nanos t) const {
  const Nanos epoch = Nanos{p_.epoch_ms} * kMs;
  if (!c.started) {
    c.started = true;
    c.epoch_start = t;
  } else if (t - c.epoch_start >= epoch) {
    const Nanos epochs = (t - c.epoch_start) / epoch;
    c.prev_epoch_count = epochs == 1 ? static_cast<std::int64_t>(c.epoch_count) : 0;
    c.epoch_start += epochs * epoch;
    c.epoch_count = 0;
  }
  ++c.epoch_count;
  if (p_.iops_threshold == 0) return true;
  // count / span >= threshold / 1 s, without overflow: threshold * span <= 10^8 * 6 * 10^10.
  const auto at_least = [&](std::uint64_t count, Nanos span) {
    return count >= (std::uint64_t{p_.iops_threshold} * span + kS - 1) / kS;
  };
  if (c.prev_epoch_count >= 0) return at_least(static_cast<std::uint64_t>(c.prev_epoch_count), epoch);
  const Nanos elapsed = t - c.epoch_start;
  return elapsed != 0 && at_least(c.epoch_count - 1, elapsed);
}

// The backstop delivered a batch: the credit starts afresh.
void VicPolicy::timer_fired(const Interrupt& i) {
  if (i.events == 0) return;
  Controller& c = controller(i.source);
  c.credit = 0;
  ++c.by_timer;
}

void VicPolicy::on_event(const DeviceEvent& e, InterruptSink& out) {
  held_.fire_due(e.time, out, [this](const Interrupt& i) { timer_fired(i); });
  Controller& c = controller(e.source);
  if (!c.coalesced) {
    held_.release_one(e.source, e.time, out);
    return;
  }
  const bool busy = rate_above_threshold(c, e.time);
  const std::uint32_t r = busy ? ratio(e.in_flight) : kOne;
  held_.hold(e.source, e.time);
  if (r == kOne) {  // not coalescing now: deliver, with whatever was held, and start afresh
    c.credit = 0;
    held_.release(e.source, e.time, out);
    return;
  }
  c.credit += r;
  if (c.credit >= kOne) {
    c.credit -= kOne;
    held_.release(e.source, e.time, out);
    return;
  }
  if (held_.batch(e.source).count == 1) held_.set_deadline(e.source, e.time + Nanos{p_.max_delay_us} * kUs);
}

void VicPolicy::on_timer(Nanos now, InterruptSink& out) {
  held_.fire_due(now, out, [this](const Interrupt& i) { timer_fired(i); });
}

void VicPolicy::flush(Nanos now, InterruptSink& out) { held_.flush(now, out); }

std::string VicPolicy::telemetry_json() const {
  std::string s = "{\"controllers\":[";
  bool first = true;
  for (std::size_t id = 0; id < controllers_.size(); ++id) {
    const Controller& c = controllers_[id];
    if (!c.coalesced) continue;
    s += fmt::format("{}{{\"source\":{},\"by_timer\":{}}}", first ? "" : ",", id, c.by_timer);
    first = false;
  }
  return s + "]}";
}

}  // namespace irqshape::sim
