// The local APIC of the calling CPU: enabling it in xAPIC or x2APIC mode, its id, the
// start-up IPIs, its timer, and the kern::LocalApicRegisters the interrupt core uses.
//
// Mode: x2APIC when CPUID.01H:ECX[21] says the processor has it (SDM vol. 3A, 10.12),
// else xAPIC through the 4 KiB MMIO page at IA32_APIC_BASE (the MADT's address, which
// on QEMU is the architectural default 0xFEE00000). The BSP decides once; each AP
// switches its own APIC into the same mode (the mode is per local APIC).
// The adapters are kern's (kern/local_apic_access.h): XApicRegisters over an MmioWindow,
// X2ApicRegisters over the MSR port below. Every CPU reaches its own APIC at the same
// address / MSRs, so one adapter serves all CPUs.
#pragma once

#include <cstdint>

#include "kern/local_apic_access.h"

namespace guest::apic {

enum class Mode : std::uint8_t { XApic, X2Apic };

// BSP: chooses the mode from CPUID. `mmio_base` is the MADT's local APIC address.
Mode select_mode(std::uint64_t mmio_base);
[[nodiscard]] Mode mode();
[[nodiscard]] bool cpu_has_x2apic();

// On the calling CPU: global enable (IA32_APIC_BASE EN, and EXTD in x2APIC mode), LINT0
// masked (no 8259 virtual wire), LVT error on kApicErrorVector, timer masked.
// HalInitializeProcessor (kern) then programs the spurious vector and TPR.
void enable_this_cpu();

[[nodiscard]] std::uint32_t id();
// What the interrupt core calls LocalApicRegisters for the calling CPU.
[[nodiscard]] irqshape::kern::LocalApicRegisters& registers();

// INIT and STARTUP IPIs for AP start-up (SDM vol. 3A, 8.4.4.1); false if the xAPIC ICR
// stayed busy. `page` is the 4 KiB page number of the real-mode trampoline.
bool send_init(std::uint32_t apic_id);
bool send_startup(std::uint32_t apic_id, std::uint8_t page);
// A fixed IPI through kern's adapter, with interrupts off around it as kern requires.
void send_fixed(std::uint32_t apic_id, std::uint8_t vector);

// The error status register (SDM vol. 3A, 10.5.3): a write latches the errors the APIC
// detected since the previous write into the ESR, then the read returns them. (QEMU's
// TCG APIC ignores the write and keeps the bits until reset: the read shows them all.)
[[nodiscard]] std::uint32_t read_error_status();
// Whether `vector`'s bit is set in this CPU's in-service register (ISR); the highest
// vector in service, 0 if none.
[[nodiscard]] bool in_service(std::uint8_t vector);
[[nodiscard]] std::uint8_t highest_in_service();
// Fault injection (irqshape.fault=apic_error): reads an offset the xAPIC page reserves,
// which the APIC reports as "illegal register address" (ESR bit 7) - the one error
// QEMU 7.2's TCG APIC latches (it delivers IPIs with vectors 0-15 like any other and
// never raises the LVT error interrupt). False in x2APIC mode: there a reserved
// register is an MSR that raises #GP, not an APIC error.
bool provoke_illegal_register_access();

// The timer in one-shot mode on kTimerVector. calibrate_timer() measures its rate
// against the HPET (BSP once; every APIC in QEMU runs at the same bus clock).
void calibrate_timer();
void arm_timer_ns(std::uint64_t nanoseconds);
void stop_timer();
[[nodiscard]] std::uint64_t timer_ticks_per_ms();

}  // namespace guest::apic
