#include "smp/cpu_work.h"

#include "apic/local_apic.h"
#include "apic/platform_vectors.h"
#include "arch/x86.h"
#include "kernel/clock.h"
#include "kernel/panic.h"

namespace guest::smp {

// Busy until the target has counted the last posted work completed: its idle loop
// clears the mailbox before that count (release), so a poster that sees the count sees
// the mailbox free.
bool busy(unsigned cpu) {
  const PerCpu& target = cpu_data(cpu);
  return target.work_completed.load(std::memory_order_acquire) != target.work_posted.load(std::memory_order_relaxed);
}

bool post_work(unsigned cpu, WorkFunction fn, void* argument, std::uint32_t& ticket) {
  PerCpu& target = cpu_data(cpu);
  GUEST_ASSERT(cpu != this_cpu_index());
  if (busy(cpu)) return false;
  GUEST_ASSERT(target.work.load(std::memory_order_acquire) == nullptr);
  ticket = target.work_posted.load(std::memory_order_relaxed) + 1;
  target.work_posted.store(ticket, std::memory_order_relaxed);
  target.work_argument = argument;
  target.work.store(fn, std::memory_order_release);
  apic::send_fixed(target.apic_id, kWakeupVector);
  return true;
}

bool wait_for_work(unsigned cpu, std::uint32_t ticket, std::uint64_t timeout_ns) {
  PerCpu& target = cpu_data(cpu);
  return clock::wait_until([&] { return target.work_completed.load(std::memory_order_acquire) >= ticket; },
                           timeout_ns);
}

bool run_on(unsigned cpu, WorkFunction fn, void* argument, std::uint64_t timeout_ns) {
  if (cpu == this_cpu_index()) {
    fn(argument);
    return true;
  }
  std::uint32_t ticket = 0;
  return post_work(cpu, fn, argument, ticket) && wait_for_work(cpu, ticket, timeout_ns);
}

bool flush_interrupts(unsigned cpu, std::uint64_t timeout_ns) {
  if (cpu == this_cpu_index()) {
    // Pending interrupts of a class above the current IRQL are taken right after STI.
    x86::sti();
    x86::pause();
    return true;
  }
  return run_on(cpu, [](void*) {}, nullptr, timeout_ns);
}

void idle_loop() {
  PerCpu& self = this_cpu();
  for (;;) {
    x86::cli();
    if (WorkFunction fn = self.work.load(std::memory_order_acquire)) {
      x86::sti();
      fn(self.work_argument);
      self.work.store(nullptr, std::memory_order_relaxed);
      self.work_completed.fetch_add(1, std::memory_order_release);
      continue;
    }
    x86::sti_hlt();  // the wake-up IPI, a device interrupt or a timer ends the HLT
  }
}

}  // namespace guest::smp
