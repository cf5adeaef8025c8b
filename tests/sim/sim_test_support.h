// Small scenarios and test-only policies for the simulator's tests. The real baselines
// live in src/sim/policies (another branch); these exist to give the machine shaping
// behaviour with hand-computable outcomes.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/machine.h"
#include "sim/policies/registry.h"
#include "sim/policy.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace irqshape::sim::testing {

// The fields of one CSV line (RFC 4180 quoting; a trailing line break is dropped), and
// their number.
inline std::vector<std::string> csv_split(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (ch == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (ch == ',' && !quoted) {
      fields.emplace_back();
    } else if (!(ch == '\n' && !quoted && i + 1 == line.size())) {
      fields.back() += ch;
    }
  }
  return fields;
}
inline int csv_fields(const std::string& line) { return static_cast<int>(csv_split(line).size()); }

// Costs that make latencies easy to compute by hand.
inline Costs simple_costs(DeliveryPath path = DeliveryPath::Posted) {
  Costs c;
  c.path = path;
  c.posted_delivery_ns = 100;
  c.kick_exit_ns = 1'000;
  c.eoi_exit_ns = 700;
  c.wakeup_ns = 5'000;
  c.guest_dispatch_ns = 300;
  return c;
}

inline SourceSpec msi_source(std::string name, unsigned cpu, Workload w, std::uint8_t irql = 6) {
  SourceSpec s;
  s.name = std::move(name);
  s.cls = SourceKind::net;
  s.cpu = cpu;
  s.irql = irql;
  s.isr_base_ns = 1'000;
  s.isr_per_event_ns = 200;
  s.workload = std::move(w);
  return s;
}

inline SourceSpec pin_source(std::string name, unsigned cpu, std::uint32_t gsi, Workload w, bool level,
                             std::uint8_t irql = 5) {
  SourceSpec s = msi_source(std::move(name), cpu, std::move(w), irql);
  s.cls = SourceKind::other;
  s.wiring = Wiring::IoApicPin;
  s.line = gsi;
  s.trigger = level ? hw::TriggerMode::Level : hw::TriggerMode::Edge;
  s.polarity = level ? hw::Polarity::ActiveLow : hw::Polarity::ActiveHigh;
  s.wire_active_low = level;
  return s;
}

inline Scenario one_cpu(std::vector<SourceSpec> sources, Nanos duration, bool busy = false) {
  Scenario sc;
  sc.name = "test";
  sc.vcpus = 1;
  sc.costs = simple_costs();
  sc.duration_ns = duration;
  sc.sources = std::move(sources);
  if (busy) sc.load = {VcpuLoad{1.0, 0}};
  return sc;
}

// The mixed scenario every policy must conserve events on: MSI and pin sources, edge
// and level, open and closed loop, on 2 vCPUs.
inline Scenario mixed_scenario(Nanos duration = 50 * kMs, std::uint64_t seed = 7) {
  Scenario sc;
  sc.name = "mixed";
  sc.vcpus = 2;
  sc.seed = seed;
  sc.duration_ns = duration;
  sc.load = {VcpuLoad{0.3, 100 * kUs}, VcpuLoad{0.0, 0}};
  sc.sources.push_back(msi_source("net", 0, Arrivals{OnOff{200'000, 500 * kUs, 500 * kUs}}));
  SourceSpec blk = msi_source("blk", 1, Requests{.issue = ClosedLoop{8, Dist::exponential(5'000)},
                                                 .service = Dist::lognormal(60'000, 0.5), .urgent_fraction = 0.2});
  blk.cls = SourceKind::block;
  blk.irql = 8;
  sc.sources.push_back(blk);
  SourceSpec tick = pin_source("tick", 0, 0, Arrivals{Periodic{250 * kUs, 10 * kUs, 0}}, false, 12);
  tick.isa_irq = true;
  tick.trigger.reset();
  tick.polarity.reset();
  tick.wire_active_low = false;
  tick.cls = SourceKind::timer;
  sc.sources.push_back(tick);
  sc.sources.push_back(pin_source("lvl-a", 1, 16, Arrivals{Poisson{2'000}}, true, 4));
  sc.sources.push_back(pin_source("lvl-b", 1, 17, Arrivals{Follow{3, 300 * kUs, 100 * kUs, 0.8}}, true, 5));
  return sc;
}

// Holds each source's events until `count` are held or `timeout` has passed since the
// first: rx-frames / rx-usecs in their simplest form.
class CountCoalescer final : public Policy {
 public:
  CountCoalescer(std::uint32_t count, Nanos timeout) : count_(count), timeout_(timeout) {}
  std::string_view name() const override { return "test-coalesce"; }
  std::string describe() const override { return "test: fixed count/timeout coalescer"; }
  void add_source(const SourceInfo& s) override {
    if (state_.size() <= s.id) state_.resize(s.id + 1);
    state_[s.id].message = s.message;
  }
  void on_event(const DeviceEvent& e, InterruptSink& out) override {
    State& s = state_[e.source];
    if (s.held == 0) s.first = e.time;
    if (++s.held >= count_) emit(e.source, e.time, out);
  }
  void on_timer(Nanos now, InterruptSink& out) override {
    for (std::uint32_t id = 0; id < state_.size(); ++id)
      if (state_[id].held > 0 && state_[id].first + timeout_ <= now) emit(id, now, out);
  }
  Nanos next_deadline() const override {
    Nanos d = kNoDeadline;
    for (const State& s : state_)
      if (s.held > 0) d = std::min(d, s.first + timeout_);
    return d;
  }
  void flush(Nanos now, InterruptSink& out) override {
    for (std::uint32_t id = 0; id < state_.size(); ++id)
      if (state_[id].held > 0) emit(id, now, out);
  }

 private:
  struct State {
    hw::InterruptMessage message;
    std::uint32_t held = 0;
    Nanos first = 0;
  };
  void emit(std::uint32_t id, Nanos now, InterruptSink& out) {
    Interrupt i;
    i.time = now;
    i.source = id;
    i.events = state_[id].held;
    i.message = state_[id].message;
    state_[id].held = 0;
    out.deliver(i);
  }
  std::uint32_t count_;
  Nanos timeout_;
  std::vector<State> state_;
};

// One interrupt per event, with a configurable misbehaviour or feature.
class TestPolicy final : public Policy {
 public:
  enum class Mode {
    Defer,        // each interrupt stamped `delay` after its event (the deferred-delivery path)
    DropEveryK,   // every k-th event of an edge-triggered source dropped (reported at once)
    Raise,        // delivered on SourceInfo::raise_vector
    BadVector,    // delivered on a vector no driver connected: the run must fail
    Forget,       // every k-th event never delivered: the run must fail
    Overcarry,    // claims one more event than it got: the run must fail
    Payload,      // attaches a payload (the event id)
  };
  TestPolicy(Mode mode, Nanos delay = 0, unsigned k = 3) : mode_(mode), delay_(delay), k_(k) {}
  std::string_view name() const override { return "test-policy"; }
  std::string describe() const override { return "test"; }
  void add_source(const SourceInfo& s) override {
    if (info_.size() <= s.id) info_.resize(s.id + 1);
    info_[s.id] = s;
  }
  void on_event(const DeviceEvent& e, InterruptSink& out) override {
    ++n_;
    // (A dropped level-triggered event would leave its line waiting for an EOI.)
    const bool edge = info_[e.source].message.trigger_mode == hw::TriggerMode::Edge;
    if (mode_ == Mode::DropEveryK && edge && n_ % k_ == 0) {
      out.drop(e);
      return;
    }
    if (mode_ == Mode::Forget && n_ % k_ == 0) return;
    Interrupt i;
    i.time = e.time + (mode_ == Mode::Defer ? delay_ : 0);
    i.source = e.source;
    i.events = mode_ == Mode::Overcarry ? 2 : 1;
    i.message = info_[e.source].message;
    // (Level lines keep their vector: the I/O APIC matches the EOI's vector to the entry.)
    if (mode_ == Mode::Raise && i.message.trigger_mode == hw::TriggerMode::Edge && info_[e.source].raise_vector != 0) {
      i.message.vector = info_[e.source].raise_vector;
    }
    if (mode_ == Mode::BadVector) i.message.vector = 0x99;
    if (mode_ == Mode::Payload) {
      i.payload = e.id;
      i.has_payload = true;
    }
    out.deliver(i);
  }
  void on_timer(Nanos, InterruptSink&) override {}
  Nanos next_deadline() const override { return kNoDeadline; }
  void flush(Nanos, InterruptSink&) override {}
  std::string telemetry_json() const override { return "{\"events\": " + std::to_string(n_) + "}"; }

 private:
  Mode mode_;
  Nanos delay_;
  unsigned k_;
  std::uint64_t n_ = 0;
  std::vector<SourceInfo> info_;
};

// A registry for tests: the real one, plus "test-coalesce:count=N,timeout-us=T".
inline Result<std::unique_ptr<Policy>> test_factory(const PolicySpec& spec) {
  if (spec.name == "test-coalesce") {
    std::uint32_t count = 1;
    Nanos timeout = 0;
    for (const auto& [k, v] : spec.params) {
      if (k == "count") count = static_cast<std::uint32_t>(std::stoul(v));
      else if (k == "timeout-us") timeout = std::stoull(v) * kUs;
      else return make_error("policy \"test-coalesce\": unknown parameter \"{}\"", k);
    }
    if (count == 0) return make_error("policy \"test-coalesce\": count must be >= 1");
    return std::unique_ptr<Policy>(std::make_unique<CountCoalescer>(count, timeout));
  }
  return make_policy(spec);
}

inline RunResult run_ok(const Scenario& sc, Policy& p, const RunOptions& o = {}) {
  auto r = simulate(sc, p, o);
  EXPECT_TRUE(r) << (r ? std::string() : r.message());
  if (!r) return RunResult{};
  return std::move(*r);
}

inline RunResult run_ok(const Scenario& sc, const std::string& spec) {
  auto p = test_factory(*parse_policy_spec(spec));
  EXPECT_TRUE(p) << (p ? std::string() : p.message());
  return run_ok(sc, **p);
}

}  // namespace irqshape::sim::testing
