// Benchmarks of the simulator, one core each.
//   EventQueue/N     the engine alone: pop the earliest of N pending events and push one
//                    in its place ("hold" model), N = 16 ... 4096
//   FullVm/demo      the whole virtual machine on the demo scenario (every device, the
//                    kernel's dispatcher, APIC models) under `none`: engine events/s and
//                    simulated interrupts per wall second
//   Scenario60s      the acceptance case: 60 s of simulated time at 200,000 interrupts/s
//                    (4 MSI queues x 50,000/s Poisson on 4 vCPUs, `none`); wall seconds
// Counters: events_per_s (engine events: queue pops and policy timers), irqs_per_s.
#include <benchmark/benchmark.h>

#include "sim/event_queue.h"
#include "sim/machine.h"
#include "sim/policies/registry.h"
#include "sim/random.h"
#include "sim/scenario.h"

namespace irqshape::sim {
namespace {

void EventQueueHold(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  EventQueue q;
  Rng rng(1);
  for (std::size_t i = 0; i < n; ++i) q.push(rng.next() % 100'000, 0, 0);
  std::uint64_t sum = 0;
  for (auto _ : state) {
    const Event e = q.pop();
    sum += e.arg;
    q.push(e.time + 1 + rng.next() % 100'000, 0, 0, 1);
  }
  benchmark::DoNotOptimize(sum);
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(EventQueueHold)->Arg(16)->Arg(64)->Arg(256)->Arg(4096);

// Simulates `sc` under `none` once per iteration; reports engine events and interrupts
// per wall second, and the interrupts of one run.
void run_scenario(benchmark::State& state, const Scenario& sc) {
  std::uint64_t events = 0, irqs = 0;
  for (auto _ : state) {
    auto p = make_policy(*parse_policy_spec("none"));
    auto r = simulate(sc, **p);
    if (!r) {
      state.SkipWithError(r.message().c_str());
      return;
    }
    events += r->engine_events;
    irqs += r->total.interrupts;
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["irqs_per_s"] = benchmark::Counter(static_cast<double>(irqs), benchmark::Counter::kIsRate);
  state.counters["interrupts"] = static_cast<double>(irqs) / static_cast<double>(state.iterations());
}

void FullVmDemo(benchmark::State& state) { run_scenario(state, demo_scenario(500 * kMs, 1)); }
BENCHMARK(FullVmDemo)->Unit(benchmark::kMillisecond)->UseRealTime();

Scenario nic_scenario(Nanos duration) {
  Scenario sc;
  sc.name = "nic-200k";
  sc.vcpus = 4;
  sc.duration_ns = duration;
  sc.load.assign(4, VcpuLoad{0.25, 200 * kUs});
  for (unsigned q = 0; q < 4; ++q) {
    SourceSpec s;
    s.name = "eth0-rx-" + std::to_string(q);
    s.cls = SourceKind::net;
    s.cpu = q;
    s.workload = Arrivals{Poisson{50'000}};
    sc.sources.push_back(s);
  }
  return sc;
}

void Scenario60s(benchmark::State& state) { run_scenario(state, nic_scenario(60 * kSec)); }
BENCHMARK(Scenario60s)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace irqshape::sim
