// Every policy the registry knows, over randomized bursty event streams, against the
// contract of policy.h:
//   - time: interrupts in non-decreasing time, none before the call that emits it, none
//     before any event it carries; next_deadline() never in the past;
//   - conservation: every event is carried by exactly one interrupt or reported dropped
//     exactly once (InterruptSink::drop, of an event the policy holds); an interrupt
//     carries its source's oldest events not yet carried or dropped; nothing is held
//     after flush();
//   - determinism: the same calls give the same interrupts, and so does calling a timer
//     and an event that fall at the same instant in the other order.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <deque>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "policy_test_support.h"
#include "sim/policies/registry.h"

namespace irqshape::sim {
namespace {

using namespace testing;

std::vector<SourceInfo> mixed_sources() {
  return {source(0, SourceKind::block, "nvme0q1", 0x41),  source(1, SourceKind::block, "nvme0q0", 0x42),
          source(2, SourceKind::net, "eth0-rx-0", 0x51),  source(3, SourceKind::net, "eth0-rx-1", 0x52),
          source(4, SourceKind::timer, "hpet", 0x30),     source(5, SourceKind::other, "irq=36", 0x61),
          source(6, SourceKind::block, "virtio1-req.0", 0x43)};
}

// Bursts of closely spaced completions separated by pauses, on whole microseconds so that
// events often coincide with deadlines; random urgency, commands in flight and sizes.
std::vector<DeviceEvent> bursty_stream(std::uint64_t seed, std::size_t n, std::uint32_t sources) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::uint32_t> pick(0, sources - 1), cif(0, 64), size(0, 9000), coin(0, 99);
  std::uniform_int_distribution<Nanos> small(0, 4), pause(20, 3000), burst_len(1, 80);
  std::vector<DeviceEvent> v;
  Nanos t = 0;
  std::uint64_t id = 0;
  while (v.size() < n) {
    const Nanos len = burst_len(rng);
    for (Nanos i = 0; i < len && v.size() < n; ++i) {
      t += small(rng) * us;
      v.push_back(DeviceEvent{.time = t, .source = pick(rng), .id = id++, .urgent = coin(rng) < 3,
                              .in_flight = cif(rng), .bytes = coin(rng) < 10 ? 0 : size(rng)});
    }
    t += pause(rng) * us;
  }
  return v;
}

// Drives a policy like the simulator and checks every interrupt as it is delivered.
class CheckingRun final : public InterruptSink {
 public:
  CheckingRun(std::string label, std::uint32_t sources) : label_(std::move(label)), pending_(sources) {}

  void deliver(const Interrupt& i) override {
    got_.push_back(i);
    EXPECT_GE(i.time, call_time_) << where() << "interrupt stamped before the call that emitted it";
    EXPECT_GE(i.time, last_time_) << where() << "interrupts out of time order";
    last_time_ = i.time;
    EXPECT_GT(i.events, 0u) << where() << "an interrupt carrying nothing";
    ASSERT_LT(i.source, pending_.size()) << where() << "unknown source " << i.source;
    auto& q = pending_[i.source];
    ASSERT_LE(std::size_t{i.events}, q.size()) << where() << "more events delivered than arrived";
    for (std::uint32_t k = 0; k < i.events; ++k) {
      EXPECT_LE(q.front().time, i.time) << where() << "an interrupt earlier than an event it carries";
      q.pop_front();
    }
  }

  void drop(const DeviceEvent& e) override {
    drops_.push_back(e.id);
    ASSERT_LT(e.source, pending_.size()) << where() << "drop of an unknown source " << e.source;
    auto& q = pending_[e.source];
    const auto it = std::find_if(q.begin(), q.end(), [&](const DeviceEvent& p) { return p.id == e.id; });
    ASSERT_NE(it, q.end()) << where() << "drop of event " << e.id << ", which the policy does not hold";
    q.erase(it);
  }

  void run(Policy& p, const std::vector<DeviceEvent>& events, Ties ties) {
    for (const DeviceEvent& e : events) {
      timers_until(p, e.time, ties);
      call_time_ = e.time;
      pending_[e.source].push_back(e);
      p.on_event(e, *this);
      EXPECT_GE(p.next_deadline(), e.time) << where() << "deadline in the past";
    }
    const Nanos end = events.empty() ? 0 : events.back().time + 50 * ms;
    timers_until(p, end, Ties::TimerFirst);
    call_time_ = end;
    p.flush(end, *this);
    EXPECT_EQ(p.next_deadline(), kNoDeadline) << where() << "still holding after flush";
    for (std::size_t s = 0; s < pending_.size(); ++s) {
      EXPECT_TRUE(pending_[s].empty()) << where() << pending_[s].size() << " events of source " << s
                                       << " never delivered nor reported dropped";
    }
  }

  [[nodiscard]] const std::vector<Interrupt>& got() const { return got_; }
  [[nodiscard]] const std::vector<std::uint64_t>& drops() const { return drops_; }

 private:
  void timers_until(Policy& p, Nanos t, Ties ties) {
    for (Nanos d = p.next_deadline(); d != kNoDeadline && (d < t || (d == t && ties == Ties::TimerFirst));
         d = p.next_deadline()) {
      EXPECT_GE(d, call_time_) << where() << "deadline in the past";
      call_time_ = d;
      p.on_timer(d, *this);
      ASSERT_NE(p.next_deadline(), d) << where() << "on_timer did not consume its deadline";
    }
  }
  std::string where() const { return label_ + ": "; }

  std::string label_;
  std::vector<std::deque<DeviceEvent>> pending_;  // given, neither carried nor dropped, oldest first
  std::vector<Interrupt> got_;
  std::vector<std::uint64_t> drops_;
  Nanos call_time_ = 0, last_time_ = 0;
};

bool same(const Interrupt& a, const Interrupt& b) {
  return a.time == b.time && a.source == b.source && a.events == b.events &&
         a.message == b.message && a.payload == b.payload && a.has_payload == b.has_payload;
}

struct Output {
  std::vector<Interrupt> interrupts;
  std::vector<std::uint64_t> drops;  // ids, in the order reported
};

Output run_once(const std::string& spec, const std::vector<DeviceEvent>& events, Ties ties, const std::string& label) {
  auto p = make(spec);
  if (!p) return {};
  const auto sources = mixed_sources();
  for (const SourceInfo& s : sources) p->add_source(s);
  const Status started = p->start();
  EXPECT_TRUE(started) << spec << ": " << started.message();
  CheckingRun run(label, static_cast<std::uint32_t>(sources.size()));
  run.run(*p, events, ties);
  EXPECT_FALSE(p->describe().empty());
  return {run.got(), run.drops()};
}

// An ISD rules file that makes the ISU drop, defer, coalesce, raise and augment, so the
// adapter's drop reporting and payloads go through the contract checks too.
// Test processes run in parallel (one per test) and every one of them builds the list
// of specs: each writes its own copy and renames it into place, so no reader ever sees
// a half-written file.
std::string isu_rules_file() {
  const std::string path = ::testing::TempDir() + "irqshape-conformance-isu.toml";
  const std::string mine = path + "." + std::to_string(::getpid());
  std::ofstream(mine) << R"toml(
[unit]
rate-window = "50us"

[source.disk]
match = "nvme0q1"
aggregation-threshold = 8
aggregation-time = "30us"

[source.nic]
match = "eth0-rx-0"
storm-limit = "60000/s"
storm-action = "drop"

[source.nic1]
match = "eth0-rx-1"
storm-limit = "40000/s"
storm-action = "defer"
rx-usecs = 20
rx-frames = 16

[source.tick]
match = "hpet"
raise-vector = 0xE1

[[rule]]
name = "tick"
when = "always(tick)"
actions = ["raise-priority", "augment"]

[[rule]]
name = "disk-then-nic"
sequence = "disk -> nic1 within 1us..40us"
actions = ["augment"]
)toml";
  std::rename(mine.c_str(), path.c_str());
  return path;
}

std::vector<std::string> specs_under_test() {
  std::vector<std::string> specs = policy_names();
  specs.push_back(isu_rules_file());
  for (const char* variant :
       {"static:rx-frames=4,rx-usecs=20,nvme-thr=3,nvme-time=1,classes=all", "static:rx-usecs=0,rx-frames=1",
        "dim:mode=cqe,classes=all", "cinterrupts:urgent-ooo=0,window=16,classes=all",
        "cinterrupts:adaptive=0,delta-us=15,thr=8", "vic:iops-threshold=0,max-delay-us=50,classes=all",
        "vic:cif-threshold=1,max-skip=64", "isu:max-added-p99=20us,adapt-period=100us"}) {
    specs.emplace_back(variant);
  }
  return specs;
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, HoldsThePolicyContractOnRandomStreams) {
  const std::string spec = GetParam();
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const auto events = bursty_stream(seed, 3000, static_cast<std::uint32_t>(mixed_sources().size()));
    const std::string label = spec + " seed " + std::to_string(seed);
    const Output oa = run_once(spec, events, Ties::TimerFirst, label);
    const Output ob = run_once(spec, events, Ties::TimerFirst, label + " (replay)");
    const Output oc = run_once(spec, events, Ties::EventFirst, label + " (events first on ties)");
    const auto& a = oa.interrupts;
    const auto& b = ob.interrupts;
    const auto& c = oc.interrupts;
    ASSERT_EQ(a.size(), b.size()) << label << ": replay differs";
    ASSERT_EQ(a.size(), c.size()) << label << ": tie order changed the output";
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_TRUE(same(a[i], b[i])) << label << ": replay differs at interrupt " << i;
      ASSERT_TRUE(same(a[i], c[i])) << label << ": tie order changed interrupt " << i;
    }
    EXPECT_EQ(oa.drops, ob.drops) << label << ": replay dropped other events";
    EXPECT_EQ(oa.drops, oc.drops) << label << ": tie order changed which events were dropped";
    std::uint64_t carried = 0, payloads = 0;
    for (const Interrupt& i : a) {
      carried += i.events;
      payloads += i.has_payload ? 1 : 0;
    }
    const std::uint64_t dropped = oa.drops.size();
    EXPECT_EQ(carried + dropped, events.size()) << label;
    if (spec == isu_rules_file()) {  // the file is meant to exercise drops and context records
      EXPECT_GT(dropped, 0u) << label;
      EXPECT_GT(payloads, 0u) << label;
    }
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  if (info.param.size() > 5 && info.param.substr(info.param.size() - 5) == ".toml") return "isu_rules_file";
  std::string name;
  for (char ch : info.param) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, Conformance, ::testing::ValuesIn(specs_under_test()), test_name);

// Whatever a policy does, a source it does not know about (no add_source) must not lose
// events either.
TEST(Conformance, UnannouncedSourcesAreNotLost) {
  for (const std::string& spec : specs_under_test()) {
    auto p = make(spec);
    ASSERT_TRUE(p);
    CheckingRun run(spec + " (unannounced source)", 3);
    run.run(*p, {ev(0, 2), ev(1 * us, 2), ev(3 * us, 0)}, Ties::TimerFirst);
  }
}

}  // namespace
}  // namespace irqshape::sim
