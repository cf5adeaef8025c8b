// What every self-test ISR records about the interrupt it is handling, checked inside the
// ISR against the hardware itself:
//   * the local APIC id of the CPU it runs on (read from the APIC ID register) against
//     the APIC id the test expects the line to be routed to;
//   * CR8 against the object's SynchronizeIrql (the dispatcher must raise to it);
//   * the priority class of the vector in service (highest bit of the local APIC's ISR)
//     against the object's Irql: the vector the hardware delivered is in the class of
//     the run level the driver asked for;
//   * whether it runs after the test saw IoDisconnectInterrupt return ("closed").
// Counters are atomics: an ISR may run on any CPU.
#pragma once

#include <atomic>
#include <cstdint>

#include "kern/interrupt_object.h"
#include "smp/percpu.h"

namespace guest::selftest {

inline constexpr std::uint32_t kAnyApic = 0xFFFF'FFFF;

struct Probe {
  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> claimed{0};
  std::atomic<std::uint64_t> on_cpu[kMaxGuestCpus] = {};
  std::atomic<std::uint32_t> expected_apic{kAnyApic};
  std::atomic<std::uint64_t> wrong_cpu{0};
  std::atomic<std::uint64_t> irql_mismatch{0};
  std::atomic<std::uint64_t> class_mismatch{0};
  std::atomic<bool> closed{false};
  std::atomic<std::uint64_t> after_close{0};
  std::atomic<std::uint32_t> last_apic{0};
  std::atomic<std::uint8_t> last_vector{0};

  void reset();
  void expect_apic(std::uint32_t apic_id) { expected_apic.store(apic_id, std::memory_order_release); }
  // First thing in every test ISR.
  void note(const irqshape::kern::KINTERRUPT* interrupt);
  void claim() { claimed.fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t count() const { return calls.load(std::memory_order_acquire); }
  [[nodiscard]] std::uint64_t claims() const { return claimed.load(std::memory_order_acquire); }
};

// Totals over every probe since boot (the final isr.checks test reports them).
struct IsrChecks {
  std::uint64_t checks, irql_mismatch, class_mismatch;
};
IsrChecks isr_checks();

// Device interrupts taken on CPUs 0..cpus-1, and how many of them arrived with their
// vector not in service (kernel/interrupt_entry.cc). An APIC puts the vector in service
// when it accepts the interrupt and keeps it there until the EOI; this machine's KVM
// (a software hypervisor) does not: every interrupt arrives with the ISR clear, and a
// level line still asserted fires again before its handler runs, as if EOI came at
// acceptance. On such a platform the ISR cannot be checked (class checks), and a shared
// level line dispatches once more per interrupt with nothing to claim.
struct IsrAtEntry {
  std::uint64_t set, clear;  // interrupts taken with their vector in service, and without
  [[nodiscard]] std::uint64_t entries() const { return set + clear; }
  // No entry with the ISR clear: the platform keeps it (0 entries: nothing says otherwise).
  [[nodiscard]] bool kept() const { return clear == 0; }
  // Every entry with the ISR clear: the platform does not model it.
  [[nodiscard]] bool not_modelled() const { return set == 0 && clear != 0; }
  [[nodiscard]] const char* name() const { return kept() ? "kept" : not_modelled() ? "not-modelled" : "lost"; }
};
IsrAtEntry isr_at_entry(unsigned cpus);

}  // namespace guest::selftest
