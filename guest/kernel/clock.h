// Time for the kernel: the HPET main counter (devices/hpet.h) as the clock, and waiting
// for a condition with a deadline without spinning: the CPU arms its local APIC timer
// for at most kWaitPollNs and HLTs, so under TCG an idle vCPU sleeps instead of taking
// host time from the vCPUs that run the interrupt handlers it waits for.
#pragma once

#include <cstdint>

#include "apic/local_apic.h"
#include "arch/x86.h"
#include "devices/hpet.h"

namespace guest::clock {

inline constexpr std::uint64_t kWaitPollNs = 100'000;
inline constexpr std::uint64_t kNsPerUs = 1'000;
inline constexpr std::uint64_t kNsPerMs = 1'000'000;

[[nodiscard]] inline std::uint64_t now_ns() { return hpet::nanoseconds(); }

// Busy wait (for the start-up IPI sequence, where nothing else can run).
void delay_ns(std::uint64_t ns);

// Call with interrupts enabled. Returns pred() once it holds, or false at the deadline.
template <typename Predicate>
bool wait_until(Predicate pred, std::uint64_t timeout_ns) {
  const std::uint64_t deadline = now_ns() + timeout_ns;
  for (;;) {
    if (pred()) return true;
    const std::uint64_t now = now_ns();
    if (now >= deadline) return pred();
    x86::cli();
    if (pred()) {
      x86::sti();
      return true;
    }
    const std::uint64_t left = deadline - now;
    apic::arm_timer_ns(left < kWaitPollNs ? left : kWaitPollNs);
    x86::sti_hlt();
  }
}

// Sleeps (HLT) for `ns` with interrupts enabled.
void sleep_ns(std::uint64_t ns);

}  // namespace guest::clock
