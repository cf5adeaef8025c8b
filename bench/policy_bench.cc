// Cost per device event of each interrupt-shaping policy, driven the way the simulator
// drives it (on_timer at every deadline before the next event). The stream is bursty
// and pre-generated: 16 sources of every class, bursts of closely spaced completions
// with pauses between them, random URGENT and commands in flight - so batches fill, time
// out, and DIM, cinterrupts and vIC all adapt. items_per_second = events per second.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "sim/policies/registry.h"
#include "sim/policy.h"

namespace {

using namespace irqshape::sim;

constexpr std::uint32_t kSources = 16;
constexpr std::size_t kEvents = 1 << 16;

struct CountingSink final : InterruptSink {
  void deliver(const Interrupt& i) override {
    ++interrupts;
    events += i.events;
  }
  void drop(const DeviceEvent&) override { ++dropped; }
  std::uint64_t interrupts = 0, events = 0, dropped = 0;
};

std::vector<SourceInfo> make_sources() {
  const SourceKind classes[] = {SourceKind::block, SourceKind::net, SourceKind::block, SourceKind::net,
                                 SourceKind::block, SourceKind::net, SourceKind::timer, SourceKind::other};
  std::vector<SourceInfo> v;
  for (std::uint32_t i = 0; i < kSources; ++i) {
    SourceInfo s;
    s.id = i;
    s.cls = classes[i % 8];
    s.name = (s.cls == SourceKind::block ? "nvme0q" : s.cls == SourceKind::net ? "eth0-rx-" : "dev") +
             std::to_string(i + 1);
    s.message.vector = static_cast<std::uint8_t>(0x40 + i);
    s.message.destination = i % 4;
    v.push_back(s);
  }
  return v;
}

// About 2 million events per second of simulated time: bursts of 1..64 events 100 ns to
// 2 us apart, 5..200 us pauses, a few hot sources.
std::vector<DeviceEvent> make_stream() {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<Nanos> gap(100, 2000), pause(5'000, 200'000);
  std::uniform_int_distribution<std::uint32_t> burst(1, 64), any(0, kSources - 1), hot(0, 3), cif(0, 64), pct(0, 99);
  std::vector<DeviceEvent> v;
  Nanos t = 0;
  while (v.size() < kEvents) {
    for (std::uint32_t n = burst(rng); n > 0 && v.size() < kEvents; --n) {
      t += gap(rng);
      v.push_back(DeviceEvent{.time = t, .source = pct(rng) < 60 ? hot(rng) : any(rng), .id = v.size(),
                              .urgent = pct(rng) < 2, .in_flight = cif(rng), .bytes = 64 + 1400 * (pct(rng) % 2)});
    }
    t += pause(rng);
  }
  return v;
}

void BM_Policy(benchmark::State& state, const std::string& spec) {
  static const std::vector<DeviceEvent> stream = make_stream();
  const Nanos span = stream.back().time + 1'000'000;
  auto made = make_policy(*parse_policy_spec(spec));
  if (!made) {
    state.SkipWithError(made.message().c_str());
    return;
  }
  Policy& p = **made;
  for (const SourceInfo& s : make_sources()) p.add_source(s);
  if (!p.start()) {
    state.SkipWithError("start() failed");
    return;
  }
  CountingSink out;
  Nanos offset = 0;
  for (auto _ : state) {
    for (const DeviceEvent& e0 : stream) {
      DeviceEvent e = e0;
      e.time += offset;
      for (Nanos d = p.next_deadline(); d < e.time; d = p.next_deadline()) p.on_timer(d, out);
      p.on_event(e, out);
    }
    offset += span;
  }
  for (Nanos d = p.next_deadline(); d != kNoDeadline; d = p.next_deadline()) p.on_timer(d, out);
  p.flush(offset, out);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(stream.size()));
  state.counters["events_per_interrupt"] =
      out.interrupts != 0 ? static_cast<double>(out.events) / static_cast<double>(out.interrupts) : 0.0;
}

// Every registered policy with its defaults.
const bool registered = [] {
  for (const std::string& name : policy_names()) {
    benchmark::RegisterBenchmark(("BM_Policy/" + name).c_str(), BM_Policy, name);
  }
  return true;
}();

}  // namespace
