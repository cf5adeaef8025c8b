// Driving a policy the way the simulator does (policy.h): events in time order, on_timer
// at every next_deadline() that falls before the next event, the remaining deadlines
// after the last event, then flush(). Hand-computed tests compare the collected
// interrupts with what they wrote down.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "sim/policies/registry.h"
#include "sim/policy.h"

namespace irqshape::sim::testing {

inline constexpr Nanos us = 1000;
inline constexpr Nanos ms = 1000 * us;

struct Collect final : InterruptSink {
  void deliver(const Interrupt& i) override { got.push_back(i); }
  void drop(const DeviceEvent& e) override { dropped.push_back(e); }
  std::vector<Interrupt> got;
  std::vector<DeviceEvent> dropped;
};

// What a hand-computed case expects of one interrupt.
struct Expect {
  Nanos time;
  std::uint32_t events;
  std::uint32_t source = 0;
  friend bool operator==(const Expect&, const Expect&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Expect& e) {
    return os << "{t=" << e.time << "ns events=" << e.events << " source=" << e.source << "}";
  }
};

inline std::vector<Expect> summary(const std::vector<Interrupt>& got) {
  std::vector<Expect> v;
  for (const Interrupt& i : got) v.push_back({i.time, i.events, i.source});
  return v;
}

// When a deadline equals an event's time, the simulator may call either first; a policy
// must give the same output both ways.
enum class Ties { TimerFirst, EventFirst };

class Driver {
 public:
  explicit Driver(Policy& p, Ties ties = Ties::TimerFirst) : p_(p), ties_(ties) {}

  void event(const DeviceEvent& e) {
    timers_until(e.time);
    p_.on_event(e, out_);
  }
  // Event ids count from 0 in the order given.
  void event(Nanos t, std::uint32_t source = 0) { event(DeviceEvent{.time = t, .source = source, .id = next_id_++}); }
  // Every deadline before `t` (and at `t` when timers go first).
  void timers_until(Nanos t) {
    for (Nanos d = p_.next_deadline(); d != kNoDeadline && (d < t || (d == t && ties_ == Ties::TimerFirst));
         d = p_.next_deadline()) {
      p_.on_timer(d, out_);
    }
  }
  // Runs every remaining deadline, then flushes at `end`.
  void finish(Nanos end) {
    timers_until(end);
    p_.flush(end, out_);
  }
  [[nodiscard]] const std::vector<Interrupt>& got() const { return out_.got; }
  [[nodiscard]] std::vector<Expect> summary() const { return testing::summary(out_.got); }
  // The times of the events the policy dropped, in the order it reported them.
  [[nodiscard]] std::vector<Nanos> dropped_times() const {
    std::vector<Nanos> v;
    for (const DeviceEvent& e : out_.dropped) v.push_back(e.time);
    return v;
  }

 private:
  Policy& p_;
  Ties ties_;
  Collect out_;
  std::uint64_t next_id_ = 0;
};

inline std::unique_ptr<Policy> make(const std::string& spec) {
  auto parsed = parse_policy_spec(spec);
  EXPECT_TRUE(parsed) << parsed.message();
  if (!parsed) return nullptr;
  auto p = make_policy(*parsed);
  EXPECT_TRUE(p) << p.message();
  if (!p) return nullptr;
  return std::move(*p);
}

inline DeviceEvent ev(Nanos t, std::uint32_t source = 0) { return DeviceEvent{.time = t, .source = source}; }

// Runs `events` through a fresh policy made from `spec`, once with timers first on ties
// and once with events first, checks both give the same interrupts, and returns them.
inline std::vector<Expect> run(const std::string& spec, const std::vector<SourceInfo>& sources,
                               const std::vector<DeviceEvent>& events, Nanos end) {
  std::vector<Expect> first;
  for (Ties ties : {Ties::TimerFirst, Ties::EventFirst}) {
    auto p = make(spec);
    if (!p) return {};
    for (const SourceInfo& s : sources) p->add_source(s);
    const Status started = p->start();
    EXPECT_TRUE(started) << started.message();
    Driver d(*p, ties);
    for (const DeviceEvent& e : events) d.event(e);
    d.finish(end);
    if (ties == Ties::TimerFirst) {
      first = d.summary();
    } else {
      EXPECT_EQ(first, d.summary()) << spec << ": the order of a timer and an event at the same time changed the output";
    }
  }
  return first;
}

inline SourceInfo source(std::uint32_t id, SourceKind cls, std::string name = {}, std::uint8_t vector = 0x40) {
  SourceInfo s;
  s.id = id;
  s.cls = cls;
  s.name = std::move(name);
  s.message.vector = vector;
  s.message.source = id;
  return s;
}

}  // namespace irqshape::sim::testing
