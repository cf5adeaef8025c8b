// Per-CPU data, reached through the GS segment base: each CPU points IA32_GS_BASE at
// its own PerCpu, so "which CPU am I" is one load (%gs:offset) that is right even while
// an interrupt nests, and needs neither the local APIC nor a lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "arch/descriptors.h"
#include "boot/layout.h"

namespace guest {

using WorkFunction = void (*)(void* argument);

struct PerCpu {
  PerCpu* self = nullptr;  // %gs:0
  unsigned index = 0;      // kernel CPU index (kern's numbering, 0 = BSP)
  std::uint32_t apic_id = 0;
  std::atomic<bool> online{false};

  // Work posted by another CPU (smp/cpu_work.h), run from this CPU's idle loop; the
  // poster counts what it posted, this CPU what it completed.
  std::atomic<WorkFunction> work{nullptr};
  void* work_argument = nullptr;
  std::atomic<std::uint32_t> work_posted{0};
  std::atomic<std::uint32_t> work_completed{0};

  // Local APIC timer wake-ups (kernel/clock.h) and other platform vectors taken.
  std::atomic<std::uint64_t> timer_interrupts{0};
  std::atomic<std::uint64_t> wakeup_interrupts{0};
  std::atomic<std::uint64_t> stray_interrupts{0};  // before the interrupt core existed
  std::atomic<std::uint64_t> apic_errors{0};       // LVT error interrupts (ESR printed each time)
  std::atomic<std::uint32_t> esr_seen{0};          // every ESR bit read on this CPU (handler, apic.errors)
  // Device interrupts taken with their vector in service (ISR) on entry, and without:
  // an APIC sets it on accepting the interrupt, so only a platform that does not model
  // it (this machine's KVM) counts any without (selftest isr.checks). Two counters, each
  // only growing, so that a reader on another CPU sees no half-counted interrupt.
  std::atomic<std::uint64_t> isr_set_at_entry{0};
  std::atomic<std::uint64_t> isr_clear_at_entry{0};

  std::uint64_t stack_top = 0;
  CpuDescriptors descriptors;
};

inline constexpr unsigned kMaxGuestCpus = GUEST_MAX_CPUS;

PerCpu& cpu_data(unsigned index);
// Points IA32_GS_BASE at `cpu` (once per CPU, first thing after entering 64-bit code).
void install_per_cpu(PerCpu& cpu);

inline unsigned this_cpu_index() {
  unsigned v;
  asm volatile("movl %%gs:%c1, %0" : "=r"(v) : "i"(offsetof(PerCpu, index)));
  return v;
}
inline PerCpu& this_cpu() {
  PerCpu* p;
  asm volatile("movq %%gs:%c1, %0" : "=r"(p) : "i"(offsetof(PerCpu, self)));
  return *p;
}

}  // namespace guest
