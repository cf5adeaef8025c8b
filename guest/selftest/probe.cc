#include "selftest/probe.h"

#include "apic/local_apic.h"
#include "arch/x86.h"
#include "hw/lapic_regs.h"
#include "kern/irql.h"

namespace guest::selftest {

namespace {
std::atomic<std::uint64_t> total_checks{0};
std::atomic<std::uint64_t> total_irql_mismatch{0};
std::atomic<std::uint64_t> total_class_mismatch{0};
constexpr unsigned kIsrRegisters = 8;  // ISR0..ISR7, 32 vectors each (SDM vol. 3A, 10.8.4)
constexpr std::uint32_t kRegisterStride = 0x10;
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

std::uint8_t in_service_vector() {
  auto& lapic = apic::registers();
  for (unsigned i = kIsrRegisters; i-- > 0;) {
    const std::uint32_t bits = lapic.read(irqshape::hw::lapic::kIsr0 + i * kRegisterStride);
    if (bits != 0) return static_cast<std::uint8_t>(i * 32 + 31 - __builtin_clz(bits));
  }
  return 0;
}

void Probe::note(const irqshape::kern::KINTERRUPT* interrupt) {
  if (closed.load(std::memory_order_acquire)) after_close.fetch_add(1, std::memory_order_relaxed);
  const std::uint32_t apic_id = apic::id();
  const std::uint32_t expected = expected_apic.load(std::memory_order_acquire);
  if (expected != kAnyApic && apic_id != expected) wrong_cpu.fetch_add(1, std::memory_order_relaxed);
  last_apic.store(apic_id, std::memory_order_relaxed);
  on_cpu[this_cpu_index()].fetch_add(1, std::memory_order_relaxed);
  const std::uint8_t vector = in_service_vector();
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
