#include "selftest/probe.h"

#include "apic/local_apic.h"
#include "arch/x86.h"
#include "kern/irql.h"

namespace guest::selftest {

namespace {
std::atomic<std::uint64_t> total_checks{0};
std::atomic<std::uint64_t> total_irql_mismatch{0};
std::atomic<std::uint64_t> total_class_mismatch{0};
}  // namespace

void Probe::reset() {
  calls = 0;
  claimed = 0;
  for (auto& c : on_cpu) c = 0;
  expected_apic = kAnyApic;
  wrong_cpu = 0;
  irql_mismatch = 0;
  class_mismatch = 0;
  closed = false;
  after_close = 0;
}

IsrAtEntry isr_at_entry(unsigned cpus) {
  IsrAtEntry r{0, 0};
  for (unsigned cpu = 0; cpu < cpus; ++cpu) {
    r.set += cpu_data(cpu).isr_set_at_entry.load(std::memory_order_relaxed);
    r.clear += cpu_data(cpu).isr_clear_at_entry.load(std::memory_order_relaxed);
  }
  return r;
}

void Probe::note(const irqshape::kern::KINTERRUPT* interrupt) {
  if (closed.load(std::memory_order_acquire)) after_close.fetch_add(1, std::memory_order_relaxed);
  const std::uint32_t apic_id = apic::id();
  const std::uint32_t expected = expected_apic.load(std::memory_order_acquire);
  if (expected != kAnyApic && apic_id != expected) wrong_cpu.fetch_add(1, std::memory_order_relaxed);
  last_apic.store(apic_id, std::memory_order_relaxed);
  on_cpu[this_cpu_index()].fetch_add(1, std::memory_order_relaxed);
  const std::uint8_t vector = apic::highest_in_service();
  last_vector.store(vector, std::memory_order_relaxed);
  total_checks.fetch_add(1, std::memory_order_relaxed);
  if (x86::read_cr8() != interrupt->SynchronizeIrql) {
    irql_mismatch.fetch_add(1, std::memory_order_relaxed);
    total_irql_mismatch.fetch_add(1, std::memory_order_relaxed);
  }
  if (irqshape::kern::irql_of_vector(vector) != interrupt->Irql) {
    class_mismatch.fetch_add(1, std::memory_order_relaxed);
    total_class_mismatch.fetch_add(1, std::memory_order_relaxed);
  }
  calls.fetch_add(1, std::memory_order_release);
}

IsrChecks isr_checks() {
  return {total_checks.load(), total_irql_mismatch.load(), total_class_mismatch.load()};
}

}  // namespace guest::selftest
