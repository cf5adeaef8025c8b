// Benchmarks of the guest kernel's interrupt core on a null platform: no device models,
// local APIC writes go nowhere, one thread. What is measured is the core's own work.
//   vector allocation + free (the matrix alone, and a whole MSI source, including the
//   cleanup pass that gives a released vector back)
//   dispatch of one interrupt to an empty ISR (and to a shared chain)
//   IoConnectInterrupt + IoDisconnectInterrupt (MSI source; I/O APIC line with the
//   82093AA model as register window)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "hw/interrupt_sink.h"
#include "hw/ioapic.h"
#include "kern/interrupts.h"

namespace irqshape::kern {
namespace {

class NullLapic final : public LocalApicRegisters {
 public:
  std::uint32_t read(std::uint32_t) override { return 0; }
  void write(std::uint32_t, std::uint32_t) override {}
  void send_ipi(std::uint32_t, std::uint8_t) override {}
};

class NullPlatform final : public Platform {
 public:
  unsigned current_cpu() override { return 0; }
  KIRQL current_irql() override { return irql_; }
  KIRQL raise_irql(KIRQL irql) override {
    const KIRQL old = irql_;
    irql_ = irql;
    return old;
  }
  void lower_irql(KIRQL irql) override { irql_ = irql; }
  bool disable_interrupts() override { return true; }
  void restore_interrupts(bool) override {}
  void cpu_relax() override {}
  LocalApicRegisters& local_apic(unsigned) override { return lapic_; }

 private:
  KIRQL irql_ = PASSIVE_LEVEL;
  NullLapic lapic_;
};

class MallocPool final : public PoolAllocator {
 public:
  void* allocate(std::size_t size, std::size_t alignment) override {
    return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  }
  void free(void* block, std::size_t) override { std::free(block); }
};

class DiscardSink final : public hw::InterruptSink {
 public:
  bool deliver(const hw::InterruptMessage&) override { return true; }
};

struct Bench {
  explicit Bench(unsigned cpus) : ids(cpus) {
    for (unsigned i = 0; i < cpus; ++i) ids[i] = i;
    core = std::make_unique<InterruptCore>(platform, pool, CoreConfig{ids});
    HalRegisterIoApic(*core, ioapic, 0);
  }
  NullPlatform platform;
  MallocPool pool;
  std::vector<std::uint32_t> ids;
  DiscardSink sink;
  hw::IoApic ioapic{hw::IoApic::Config{}, sink};
  std::unique_ptr<InterruptCore> core;
};

bool empty_isr(KINTERRUPT*, void*) { return true; }
bool quiet_isr(KINTERRUPT*, void*) { return false; }

void BM_VectorMatrixAllocateFree(benchmark::State& state) {
  VectorMatrix m(8);
  for (int i = 0; i < 60; ++i) (void)m.allocate(~0ull, 5, 1);  // a realistic, uneven load
  for (auto _ : state) {
    auto a = m.allocate(~0ull, 5, 1);
    benchmark::DoNotOptimize(a);
    m.free(*a);
  }
}
BENCHMARK(BM_VectorMatrixAllocateFree);

void BM_MessageInterruptAllocateRelease(benchmark::State& state) {
  Bench b(8);
  for (auto _ : state) {
    SystemInterrupt si;
    if (!NT_SUCCESS(AllocateMessageInterrupt(*b.core, "bench", 5, RouteTarget::cpus(~0ull), &si))) {
      state.SkipWithError("no free vector");
      break;
    }
    ReleaseSystemInterrupt(*b.core, si.Vector);
    KiInterruptDispatch(*b.core, si.Cpu, kMoveCleanupVector);  // the CPU's cleanup pass frees the vector
  }
}
BENCHMARK(BM_MessageInterruptAllocateRelease);

void BM_DispatchEmptyIsr(benchmark::State& state) {
  Bench b(8);
  SystemInterrupt si;
  AllocateMessageInterrupt(*b.core, "bench", 5, RouteTarget::apic(0), &si);
  KINTERRUPT* obj = nullptr;
  IoConnectInterrupt(*b.core, &obj, empty_isr, nullptr, nullptr, si.Vector, 5, 5, Latched, false, 1);
  for (auto _ : state) KiInterruptDispatch(*b.core, 0, si.IdtVector);
  state.SetItemsProcessed(state.iterations());
  IoDisconnectInterrupt(obj);
}
BENCHMARK(BM_DispatchEmptyIsr);

// A level chain of `n` objects where only the last claims the interrupt.
void BM_DispatchLevelChain(benchmark::State& state) {
  Bench b(8);
  SystemInterrupt si;
  AllocateMessageInterrupt(*b.core, "bench", 5, RouteTarget::apic(0), &si);
  std::vector<KINTERRUPT*> objs(static_cast<std::size_t>(state.range(0)));
  for (std::size_t i = 0; i < objs.size(); ++i) {
    IoConnectInterrupt(*b.core, &objs[i], i + 1 == objs.size() ? empty_isr : quiet_isr, nullptr, nullptr, si.Vector,
                       5, 5, LevelSensitive, true, 1);
  }
  for (auto _ : state) KiInterruptDispatch(*b.core, 0, si.IdtVector);
  for (KINTERRUPT* o : objs) IoDisconnectInterrupt(o);
}
BENCHMARK(BM_DispatchLevelChain)->Arg(1)->Arg(4);

void BM_ConnectDisconnectMessage(benchmark::State& state) {
  Bench b(8);
  SystemInterrupt si;
  AllocateMessageInterrupt(*b.core, "bench", 5, RouteTarget::apic(0), &si);
  const KAFFINITY mask = state.range(0) == 1 ? 1 : ~0ull;
  for (auto _ : state) {
    KINTERRUPT* obj = nullptr;
    IoConnectInterrupt(*b.core, &obj, empty_isr, nullptr, nullptr, si.Vector, 5, 5, Latched, false, mask);
    IoDisconnectInterrupt(obj);
  }
}
BENCHMARK(BM_ConnectDisconnectMessage)->Arg(1)->Arg(8)->ArgName("cpus");

// Includes unmasking and masking the redirection entry through the register window.
void BM_ConnectDisconnectIoApicLine(benchmark::State& state) {
  Bench b(8);
  SystemInterrupt si;
  AllocateSystemInterrupt(*b.core, LineRequest::gsi(4), 5, RouteTarget::apic(0), &si);
  for (auto _ : state) {
    KINTERRUPT* obj = nullptr;
    IoConnectInterrupt(*b.core, &obj, empty_isr, nullptr, nullptr, si.Vector, 5, 5, Latched, false, ~0ull);
    IoDisconnectInterrupt(obj);
  }
}
BENCHMARK(BM_ConnectDisconnectIoApicLine);

}  // namespace
}  // namespace irqshape::kern
