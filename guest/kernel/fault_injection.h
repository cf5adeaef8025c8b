// Faults injected through the kernel command line (QEMU -append), so the test suite can
// check that each kind of failure is reported and cannot look like a passing run:
//
//   irqshape.fault=ud               the last CPU executes UD2 after the interrupt core is
//                                   built: the exception must be reported (PANIC) and end
//                                   the run with the panic status.
//   irqshape.fault=apic_error       the last CPU reads a reserved xAPIC register (offset
//                                   0x40): its local APIC latches "illegal register
//                                   address" (ESR bit 7) and apic.errors must FAIL naming it.
//   irqshape.fault=stray_interrupt  the last CPU sends itself a fixed IPI on a device
//                                   vector before the interrupt core exists: nobody owns
//                                   it, it is counted stray and apic.errors must FAIL.
//   irqshape.fault=ap_no_start=<id> the STARTUP IPIs for the AP with that APIC id name a
//                                   wrong start page (smp/smp.cc): it runs other code,
//                                   never reports in, and must be parked with INIT while
//                                   the other CPUs come up and run the tests.
//   irqshape.fault=move_sender_hangs the move tests' sender (CPU 1) never returns once it
//                                   has sent its events: move.edge.pit must FAIL with
//                                   reason=sender-not-done, move.level.edu with
//                                   previous-sender-still-running, and every later test
//                                   must still run with CPU 1 busy (not posted to).
#pragma once

#include <cstdint>

namespace guest::fault {

// BSP, after the APs are up and before the interrupt core exists (interrupts enabled).
void before_interrupt_core(unsigned cpus);
// BSP, after the interrupt core is built, before the self-tests.
void after_interrupt_core(unsigned cpus);
// ap_no_start=<id>: true and the APIC id whose start-up is to go wrong.
[[nodiscard]] bool ap_not_to_start(std::uint32_t& apic_id);
// The move tests' sender, on its CPU, when it has sent its events: with
// move_sender_hangs it never returns (HLT with interrupts on, so it still takes the
// interrupts routed to its CPU).
void move_sender_finished();

}  // namespace guest::fault
