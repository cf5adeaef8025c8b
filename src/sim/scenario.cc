#include "sim/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "kern/irql.h"

namespace irqshape::sim {

namespace {

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

std::string us(double ns) { return fmt::format("{:g} us", ns / 1e3); }

std::string describe_dist(const Dist& d) {
  switch (d.kind) {
    case Dist::Kind::Fixed: return us(d.mean_ns);
    case Dist::Kind::Exponential: return fmt::format("exp {}", us(d.mean_ns));
    case Dist::Kind::Lognormal: return fmt::format("lognormal {} s={:g}", us(d.mean_ns), d.shape);
    case Dist::Kind::Uniform: return fmt::format("{} +-{:g}%", us(d.mean_ns), d.shape * 100);
  }
  return "?";
}

std::string describe_arrivals(const Arrivals& a, const std::vector<SourceSpec>& sources) {
  return std::visit(Overload{
                        [](const Poisson& p) {
                          std::string s = fmt::format("Poisson {:g}/s", p.rate_per_s);
                          for (const RateChange& c : p.changes)
                            s += fmt::format(", {:g}/s from {:g} ms", c.rate_per_s, static_cast<double>(c.at_ns) / 1e6);
                          return s;
                        },
                        [](const OnOff& o) {
                          return fmt::format("on/off {:g}/s, on {} off {}", o.rate_per_s, us(double(o.on_mean_ns)),
                                             us(double(o.off_mean_ns)));
                        },
                        [](const Periodic& p) {
                          return fmt::format("every {} +{} jitter", us(double(p.period_ns)), us(double(p.jitter_ns)));
                        },
                        [&](const Follow& f) {
                          const std::string leader = f.leader < sources.size()
                                                         ? fmt::format("\"{}\"", sources[f.leader].name)
                                                         : fmt::format("#{}", f.leader);
                          return fmt::format("{} +-{} after source {} (p={:g})", us(double(f.delay_ns)),
                                             us(double(f.jitter_ns)), leader, f.probability);
                        },
                        [](const Recorded& r) { return fmt::format("{} recorded arrivals", r.times.size()); },
                    },
                    a);
}

Status check_arrivals(const Arrivals& a, std::size_t self, const std::string& where) {
  if (const auto* p = std::get_if<Poisson>(&a); p != nullptr) {
    if (!(p->rate_per_s > 0)) return make_error("{}: Poisson rate must be > 0", where);
    for (std::size_t i = 0; i < p->changes.size(); ++i) {
      const RateChange& c = p->changes[i];
      if (!(c.rate_per_s >= 0) || !std::isfinite(c.rate_per_s))
        return make_error("{}: Poisson rate change {}: the rate must be >= 0", where, i + 1);
      if (i > 0 && c.at_ns <= p->changes[i - 1].at_ns)
        return make_error("{}: Poisson rate change {}: times must be strictly increasing", where, i + 1);
    }
  }
  if (const auto* o = std::get_if<OnOff>(&a); o != nullptr && (!(o->rate_per_s > 0) || o->on_mean_ns == 0))
    return make_error("{}: on/off needs a rate > 0 and an on period > 0", where);
  if (const auto* p = std::get_if<Periodic>(&a); p != nullptr && p->period_ns == 0)
    return make_error("{}: period must be > 0", where);
  if (const auto* f = std::get_if<Follow>(&a); f != nullptr) {
    if (f->leader >= self) return make_error("{}: follows source {}, which must come before it", where, f->leader);
    if (f->jitter_ns > f->delay_ns) return make_error("{}: jitter larger than the delay", where);
  }
  if (const auto* r = std::get_if<Recorded>(&a); r != nullptr && !std::is_sorted(r->times.begin(), r->times.end()))
    return make_error("{}: recorded arrival times are not in order", where);
  return {};
}

}  // namespace

std::string_view to_string(DeliveryPath p) { return p == DeliveryPath::Posted ? "posted" : "exit"; }

bool is_request_source(const SourceSpec& s) { return std::holds_alternative<Requests>(s.workload); }

bool is_closed_loop(const SourceSpec& s) {
  const auto* r = std::get_if<Requests>(&s.workload);
  return r != nullptr && !std::holds_alternative<OpenLoopRequests>(r->issue);
}

std::string describe(const Workload& w, const std::vector<SourceSpec>& sources) {
  if (const auto* a = std::get_if<Arrivals>(&w)) return describe_arrivals(*a, sources);
  const auto& r = std::get<Requests>(w);
  std::string servers = r.servers == 0 ? "" : fmt::format(", {} server(s)", r.servers);
  return std::visit(
      Overload{
          [&](const ClosedLoop& c) {
            return fmt::format("closed loop QD {}, service {}, think {}{}", c.queue_depth, describe_dist(r.service),
                               describe_dist(c.think), servers);
          },
          [&](const OpenLoopRequests& o) {
            return fmt::format("requests {}, service {}{}", describe_arrivals(o.arrivals, sources), describe_dist(r.service),
                               servers);
          },
          [&](const RecordedRequests& rr) {
            return fmt::format("closed loop, {} recorded requests{}", rr.requests.size(), servers);
          },
      },
      r.issue);
}

Status Scenario::validate() const {
  if (vcpus == 0 || vcpus > 64) return make_error("scenario \"{}\": vcpus must be 1..64, got {}", name, vcpus);
  if (sources.empty()) return make_error("scenario \"{}\": no interrupt sources", name);
  if (sources.size() > 0xFFFF) return make_error("scenario \"{}\": too many sources", name);
  if (duration_ns == 0 || duration_ns > 4 * 3600 * kSec)
    return make_error("scenario \"{}\": duration must be > 0 and at most 4 hours", name);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const SourceSpec& s = sources[i];
    const std::string where = fmt::format("source {} \"{}\"", i, s.name);
    if (s.name.empty()) return make_error("source {}: empty name", i);
    for (std::size_t j = 0; j < i; ++j)
      if (sources[j].name == s.name) return make_error("{}: name used twice", where);
    if (s.cpu >= vcpus) return make_error("{}: cpu {} but the guest has {} vCPUs", where, s.cpu, vcpus);
    if (!kern::is_device_irql(s.irql)) return make_error("{}: irql must be 3..12, got {}", where, s.irql);
    if (s.wiring == Wiring::IoApicPin && s.isa_irq && s.line > 15) return make_error("{}: ISA IRQ above 15", where);
    if (s.wiring == Wiring::IoApicPin && !s.isa_irq && s.line >= 24)
      return make_error("{}: GSI {} but the I/O APIC has 24 pins", where, s.line);
    if (const auto* a = std::get_if<Arrivals>(&s.workload)) {
      if (Status st = check_arrivals(*a, i, where); !st) return st;
      continue;
    }
    const auto& r = std::get<Requests>(s.workload);
    if (const auto* c = std::get_if<ClosedLoop>(&r.issue); c != nullptr && (c->queue_depth == 0 || c->queue_depth > 4096))
      return make_error("{}: queue depth must be 1..4096, got {}", where, c->queue_depth);
    if (const auto* o = std::get_if<OpenLoopRequests>(&r.issue)) {
      if (std::holds_alternative<Follow>(o->arrivals)) return make_error("{}: requests cannot follow a source", where);
      if (Status st = check_arrivals(o->arrivals, i, where); !st) return st;
    }
    if (r.urgent_fraction < 0 || r.urgent_fraction > 1) return make_error("{}: urgent fraction outside 0..1", where);
  }
  for (std::size_t i = 0; i < load.size(); ++i) {
    if (load[i].busy_fraction < 0 || load[i].busy_fraction > 1)
      return make_error("scenario \"{}\": vCPU {} busy fraction outside 0..1", name, i);
    if (load[i].busy_fraction > 0 && load[i].busy_fraction < 1 && load[i].busy_period_ns == 0)
      return make_error("scenario \"{}\": vCPU {} busy period must be > 0", name, i);
  }
  return {};
}

Scenario demo_scenario(Nanos duration, std::uint64_t seed) {
  Scenario sc;
  sc.name = "demo";
  sc.vcpus = 4;
  sc.duration_ns = duration;
  sc.seed = seed;
  sc.load.assign(4, VcpuLoad{.busy_fraction = 0.25, .busy_period_ns = 200 * kUs});

  // A 4-queue NIC, one MSI-X vector per queue, each queue on its own vCPU. Queues 0-1 carry
  // a steady Poisson stream, queue 2 bursts, queue 3 serves one request/response flow.
  for (unsigned q = 0; q < 4; ++q) {
    SourceSpec s;
    s.name = fmt::format("eth0-rx-{}", q);
    s.cls = SourceKind::net;
    s.cpu = q;
    s.irql = 6;
    s.isr_base_ns = 1'000;
    s.isr_per_event_ns = 350;
    s.event_bytes = 1500;
    if (q < 2) s.workload = Arrivals{Poisson{30'000}};
    if (q == 2) s.workload = Arrivals{OnOff{120'000, 2 * kMs, 6 * kMs}};
    if (q == 3)
      s.workload = Requests{.issue = ClosedLoop{1, Dist::fixed(5'000)}, .service = Dist::lognormal(40'000, 0.3),
                            .bytes = 256};
    sc.sources.push_back(s);
  }
  // An NVMe-like disk driven at queue depth 1 (a latency-bound application) and one at 32
  // (a throughput-bound one); one completion queue each, one MSI-X vector each.
  {
    SourceSpec s;
    s.name = "nvme0q1";
    s.cls = SourceKind::block;
    s.cpu = 1;
    s.irql = 8;
    s.isr_base_ns = 1'200;
    s.isr_per_event_ns = 500;
    s.workload = Requests{.issue = ClosedLoop{1, Dist::exponential(10'000)}, .service = Dist::lognormal(80'000, 0.4)};
    sc.sources.push_back(s);
    s.name = "nvme1q1";
    s.cpu = 2;
    s.workload = Requests{.issue = ClosedLoop{32, Dist::exponential(2'000)}, .service = Dist::lognormal(200'000, 0.5)};
    sc.sources.push_back(s);
  }
  // The periodic tick on ISA IRQ 0, which the interrupt source override sends to GSI 2.
  {
    SourceSpec s;
    s.name = "timer";
    s.cls = SourceKind::timer;
    s.wiring = Wiring::IoApicPin;
    s.isa_irq = true;
    s.line = 0;
    s.cpu = 0;
    s.irql = 12;
    s.isr_base_ns = 800;
    s.isr_per_event_ns = 100;
    s.workload = Arrivals{Periodic{1 * kMs, 2 * kUs, 0}};
    sc.sources.push_back(s);
  }
  // A correlated pair of PCI INTx devices (level-triggered, active low): sensor-b fires
  // 5 ms +- 0.5 ms after 90 % of sensor-a's events.
  {
    SourceSpec s;
    s.name = "sensor-a";
    s.wiring = Wiring::IoApicPin;
    s.line = 16;
    s.wire_active_low = true;
    s.cpu = 3;
    s.irql = 4;
    s.isr_base_ns = 1'500;
    s.isr_per_event_ns = 200;
    s.workload = Arrivals{Poisson{200}};
    sc.sources.push_back(s);
    s.name = "sensor-b";
    s.line = 17;
    s.irql = 5;
    s.workload = Arrivals{Follow{static_cast<std::uint32_t>(sc.sources.size() - 1), 5 * kMs, 500 * kUs, 0.9}};
    sc.sources.push_back(s);
  }
  return sc;
}

}  // namespace irqshape::sim
