// Running a function on another CPU: a one-slot mailbox per CPU and a wake-up IPI
// (kWakeupVector). The target runs the function from its idle loop at PASSIVE_LEVEL with
// interrupts enabled, exactly like a thread would, so device interrupts routed to it
// preempt the work. Used by the self-tests to put a device "driver" or a load on a
// chosen CPU while another CPU reconfigures the interrupt core.
#pragma once

#include <cstdint>

#include "smp/percpu.h"

namespace guest::smp {

// Posts fn(argument) to `cpu` (not the caller's) and returns a ticket for wait_for_work.
std::uint32_t post_work(unsigned cpu, WorkFunction fn, void* argument);
// Waits (kernel/clock.h) until the work with `ticket` has returned; false on timeout.
bool wait_for_work(unsigned cpu, std::uint32_t ticket, std::uint64_t timeout_ns);
// post + wait; runs directly when `cpu` is the caller.
bool run_on(unsigned cpu, WorkFunction fn, void* argument, std::uint64_t timeout_ns);

// Returns once `cpu` has taken every interrupt that was already pending in its local
// APIC when this was called: the (empty) work runs from its idle loop at PASSIVE_LEVEL
// with interrupts on, so every pending vector is delivered before it. A driver calls
// this before releasing a vector a device may just have sent a message to.
bool flush_interrupts(unsigned cpu, std::uint64_t timeout_ns);

// The loop an online CPU spends its life in: run posted work, else HLT.
[[noreturn]] void idle_loop();

}  // namespace guest::smp
