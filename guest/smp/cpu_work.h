// Running a function on another CPU: a one-slot mailbox per CPU and a wake-up IPI
// (kWakeupVector). The target runs the function from its idle loop at PASSIVE_LEVEL with
// interrupts enabled, exactly like a thread would, so device interrupts routed to it
// preempt the work. Used by the self-tests to put a device "driver" or a load on a
// chosen CPU while another CPU reconfigures the interrupt core.
#pragma once

#include <cstdint>

#include "smp/percpu.h"

namespace guest::smp {

// One CPU posts (the BSP, which runs the tests). A CPU whose earlier work has not
// returned - a wait for it timed out, or nobody waited - is busy: posting to it fails
// rather than overwrite its mailbox, and the caller reports that.

// Whether `cpu` still runs (or has yet to start) work posted to it.
[[nodiscard]] bool busy(unsigned cpu);
// Posts fn(argument) to `cpu` (not the caller's) and sets `ticket` for wait_for_work;
// false, posting nothing, if `cpu` is busy.
[[nodiscard]] bool post_work(unsigned cpu, WorkFunction fn, void* argument, std::uint32_t& ticket);
// Waits (kernel/clock.h) until the work with `ticket` has returned; false on timeout.
bool wait_for_work(unsigned cpu, std::uint32_t ticket, std::uint64_t timeout_ns);
// post + wait; runs directly when `cpu` is the caller. False if `cpu` was busy (nothing
// ran) or the work did not return within the timeout.
bool run_on(unsigned cpu, WorkFunction fn, void* argument, std::uint64_t timeout_ns);

// Returns once `cpu` has taken every interrupt that was already pending in its local
// APIC when this was called: the (empty) work runs from its idle loop at PASSIVE_LEVEL
// with interrupts on, so every pending vector is delivered before it. A driver calls
// this before releasing a vector a device may just have sent a message to. False if
// `cpu` was busy with earlier work (not flushed) or the flush timed out.
bool flush_interrupts(unsigned cpu, std::uint64_t timeout_ns);

// The loop an online CPU spends its life in: run posted work, else HLT.
[[noreturn]] void idle_loop();

}  // namespace guest::smp
