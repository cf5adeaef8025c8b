#include "sim/policies/static_policy.h"

#include <fmt/format.h>

namespace irqshape::sim {

namespace {
constexpr Nanos kUs = 1000;
constexpr Nanos kNvmeTimeUnit = 100 * kUs;  // Aggregation Time granularity
}  // namespace

Result<StaticParams> StaticParams::read(ParamReader& r) {
  StaticParams p;
  r.take_uint("rx-frames", p.rx_frames, 0, 65535);  // ethtool's u32, but NICs count in 16 bits
  r.take_uint("rx-usecs", p.rx_usecs, 0, 1'000'000);
  r.take_uint("nvme-thr", p.nvme_thr, 0, 255);      // 8-bit field of Feature 08h
  r.take_uint("nvme-time", p.nvme_time, 0, 255);    // 8-bit field, 100 us units
  r.take_classes("classes", p.classes);
  if (p.rx_usecs == 0 && p.rx_frames > 1) {
    r.fail("rx-frames", fmt::format("{} with rx-usecs=0 would hold events without a deadline (count-only "
                                    "coalescing); give rx-usecs > 0, or rx-frames 0 or 1 for no coalescing",
                                    p.rx_frames));
  }
  if (Status s = r.finish(); !s) return s.error();
  return p;
}

bool is_nvme_admin_queue(std::string_view name) {
  // nvme<digits>q0
  if (name.substr(0, 4) != "nvme") return false;
  std::size_t i = 4;
  const std::size_t digits = i;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
  return i > digits && name.substr(i) == "q0";
}

Coalescing StaticPolicy::coalescing_for(SourceKind cls, std::string_view name) const {
  if (!p_.classes.contains(cls)) return {};
  if (cls == SourceKind::block) {
    if (is_nvme_admin_queue(name) || p_.nvme_thr == 0 || p_.nvme_time == 0) return {};
    return {p_.nvme_thr + 1, p_.nvme_time * kNvmeTimeUnit};
  }
  return {p_.rx_frames, Nanos{p_.rx_usecs} * kUs};
}

std::string StaticPolicy::describe() const {
  return fmt::format("rx-frames={} rx-usecs={} nvme-thr={} ({} entries) nvme-time={} ({} us) on {}", p_.rx_frames,
                     p_.rx_usecs, p_.nvme_thr, p_.nvme_thr + 1, p_.nvme_time, p_.nvme_time * 100, p_.classes.str());
}

void StaticPolicy::add_source(const SourceInfo& source) {
  held_.add_source(source);
  if (per_source_.size() <= source.id) per_source_.resize(std::size_t{source.id} + 1, coalescing_for(SourceKind::other, {}));
  per_source_[source.id] = coalescing_for(source.cls, source.name);
}

void StaticPolicy::on_event(const DeviceEvent& e, InterruptSink& out) {
  held_.fire_due(e.time, out);  // a deadline at this very time goes out before the event joins
  if (e.source >= per_source_.size()) per_source_.resize(std::size_t{e.source} + 1, coalescing_for(SourceKind::other, {}));
  const Coalescing& c = per_source_[e.source];
  if (!c.active()) {
    held_.release_one(e.source, e.time, out);
    return;
  }
  held_.hold(e.source, e.time);
  const HeldBatches::Batch& b = held_.batch(e.source);
  if (c.frames != 0 && b.count >= c.frames) {
    held_.release(e.source, e.time, out);
    return;
  }
  if (b.count == 1) held_.set_deadline(e.source, e.time + c.time_ns);
}

}  // namespace irqshape::sim
