// Fuzz target for the --policy argument and the policies it makes.
//
// Input: the first line is a --policy argument; the rest, 4 bytes per event, is an event
// stream (time step, source, flags, size) run through the policy when one was made.
// Checks: parse_policy_spec never crashes and every error has a message; a parsed spec
// written back with to_string() parses to the same spec; make_policy either fails with
// a message or makes a policy that keeps the policy.h contract on the stream (time
// order, no interrupt before its events, every event delivered or reported dropped
// exactly once, nothing held after flush). A violation aborts.
//
// Specs naming a .toml file are parsed but not made (no file system access from fuzz
// input).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sim/policies/registry.h"
#include "sim/policy.h"

namespace {

using namespace irqshape::sim;

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::uint32_t kSources = 6;

std::vector<SourceInfo> sources() {
  const SourceKind classes[kSources] = {SourceKind::block, SourceKind::block, SourceKind::net,
                                         SourceKind::net,   SourceKind::timer, SourceKind::other};
  const char* names[kSources] = {"nvme0q1", "nvme0q0", "eth0-rx-0", "eth0-rx-1", "hpet", "irq=9"};
  std::vector<SourceInfo> v;
  for (std::uint32_t i = 0; i < kSources; ++i) {
    SourceInfo s;
    s.id = i;
    s.cls = classes[i];
    s.name = names[i];
    s.message.vector = static_cast<std::uint8_t>(0x40 + i);
    s.message.source = i;
    v.push_back(s);
  }
  return v;
}

class Checker final : public InterruptSink {
 public:
  void deliver(const Interrupt& i) override {
    check(i.time >= call_time_ && i.time >= last_);
    check(i.source < kSources);
    check(i.events <= held_[i.source]);
    check(i.events > 0);
    check(first_held_[i.source] <= i.time);
    held_[i.source] -= i.events;
    last_ = i.time;
  }
  void drop(const DeviceEvent& e) override {
    check(e.source < kSources && held_[e.source] > 0);
    --held_[e.source];
  }
  void arrive(const DeviceEvent& e) {
    if (held_[e.source] == 0) first_held_[e.source] = e.time;
    ++held_[e.source];
  }
  void at(Nanos t) { call_time_ = t; }
  [[nodiscard]] bool empty() const {
    for (std::uint64_t h : held_)
      if (h != 0) return false;
    return true;
  }

 private:
  std::uint64_t held_[kSources] = {};
  Nanos first_held_[kSources] = {};
  Nanos call_time_ = 0, last_ = 0;
};

void run(Policy& p, std::string_view stream) {
  for (const SourceInfo& s : sources()) p.add_source(s);
  if (!p.start()) return;
  Checker out;
  Nanos t = 0;
  auto timers_until = [&](Nanos until) {
    for (Nanos d = p.next_deadline(); d != kNoDeadline && d < until; d = p.next_deadline()) {
      check(d >= t);
      out.at(d);
      p.on_timer(d, out);
      check(p.next_deadline() != d);
    }
  };
  for (std::size_t k = 0; k + 4 <= stream.size() && k < 4 * 2048; k += 4) {
    const auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(stream[k + i]); };
    const unsigned dt = b(0);
    const Nanos step = dt < 200 ? Nanos{dt} * 100 : Nanos{dt - 199} * 100'000;  // bursts and pauses
    DeviceEvent e{.time = t + step, .source = b(1) % kSources, .id = k / 4, .urgent = (b(2) & 0x80) != 0,
                  .in_flight = b(2) & 0x7Fu, .bytes = std::uint32_t{b(3)} * 64};
    timers_until(e.time);
    t = e.time;
    out.at(t);
    out.arrive(e);
    p.on_event(e, out);
    check(p.next_deadline() >= t);
  }
  const Nanos end = t + 1'000'000'000;
  timers_until(end);
  out.at(end);
  p.flush(end, out);
  check(out.empty());
  check(p.next_deadline() == kNoDeadline);
  (void)p.describe();
  (void)p.telemetry_json();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string text(input.substr(0, newline));
  const std::string_view stream = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

  auto spec = parse_policy_spec(text);
  if (!spec) {
    check(!spec.message().empty());
    return 0;
  }
  auto again = parse_policy_spec(spec->to_string());
  check(again.ok() && again->name == spec->name && again->params == spec->params &&
        again->config_file == spec->config_file);
  if (!spec->config_file.empty()) return 0;

  auto policy = make_policy(*spec);
  if (!policy) {
    check(!policy.message().empty());
    return 0;
  }
  run(**policy, stream);
  return 0;
}
