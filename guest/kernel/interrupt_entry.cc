// The C++ side of the IDT stubs (arch/interrupt_stubs.S).
//
// Interrupts: the platform's own vectors (apic/platform_vectors.h) are handled here;
// everything else - device vectors, kern's move-cleanup vector 0x20, the APIC spurious
// vector 0xFF, and any vector nobody owns - goes to KiInterruptDispatch, the same
// dispatcher the hosted build and the simulator run.
//
// Before dispatching, the CPU is raised to the IRQL of the vector's class (CR8) and
// interrupts are re-enabled, as NT's interrupt entry does: higher classes may nest, the
// same and lower classes wait until this dispatch returns, even after the dispatcher has
// sent the EOI (otherwise a level line whose ISR declines could nest on itself without
// bound). kern raises further, to the object's SynchronizeIrql, around each ISR.
//
// Exceptions: a report on the console and the run ends (isa-debug-exit, panic code).
#include "apic/local_apic.h"
#include "apic/platform_vectors.h"
#include "arch/interrupt_frame.h"
#include "arch/x86.h"
#include "devices/debug_exit.h"
#include "kern/dispatcher.h"
#include "kern/irql.h"
#include "kern/system_vectors.h"
#include "kernel/console.h"
#include "kernel/interrupt_system.h"
#include "smp/percpu.h"

namespace {

using namespace guest;

const char* const kExceptionNames[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
    "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor segment overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
    "#XM SIMD exception", "#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
    "reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
    "#VC VMM communication", "#SX security", "reserved 31"};

void handle_platform_vector(PerCpu& cpu, std::uint8_t vector) {
  irqshape::kern::LocalApicRegisters& lapic = apic::registers();
  if (vector == kTimerVector) {
    cpu.timer_interrupts.fetch_add(1, std::memory_order_relaxed);
  } else if (vector == kWakeupVector) {
    cpu.wakeup_interrupts.fetch_add(1, std::memory_order_relaxed);
  } else {
    cpu.apic_errors.fetch_add(1, std::memory_order_relaxed);  // the apic.errors self-test fails on any
    const std::uint32_t esr = apic::read_error_status();
    cpu.esr_seen.fetch_or(esr, std::memory_order_relaxed);
    Console out;
    out.w.str("apic error cpu=").dec(cpu.index).str(" esr=").hex(esr).chr('\n');
  }
  lapic.eoi();
}

bool is_platform_vector(std::uint8_t v) { return v == kTimerVector || v == kWakeupVector || v == kApicErrorVector; }

}  // namespace

extern "C" void guest_interrupt_entry(InterruptFrame* frame) {
  const auto vector = static_cast<std::uint8_t>(frame->vector);
  PerCpu& cpu = this_cpu();
  if (is_platform_vector(vector)) return handle_platform_vector(cpu, vector);
  irqshape::kern::InterruptCore* core = interrupt_core();
  if (core == nullptr) {  // nothing is routed yet: a leftover from the firmware
    cpu.stray_interrupts.fetch_add(1, std::memory_order_relaxed);
    if (vector != irqshape::kern::kSpuriousVector) apic::registers().eoi();
    return;
  }
  if (vector != irqshape::kern::kSpuriousVector) {  // the spurious vector is never put in service
    (apic::in_service(vector) ? cpu.isr_set_at_entry : cpu.isr_clear_at_entry).fetch_add(1, std::memory_order_relaxed);
  }
  const std::uint8_t previous = x86::read_cr8();
  const std::uint8_t level = irqshape::kern::irql_of_vector(vector);
  if (level > previous) x86::write_cr8(level);
  x86::sti();
  irqshape::kern::KiInterruptDispatch(*core, cpu.index, vector, std::nullopt);
  x86::cli();
  if (x86::read_cr8() != previous) x86::write_cr8(previous);
}

extern "C" void guest_exception_entry(InterruptFrame* frame) {
  x86::cli();
  console_force_unlock_after_timeout();
  std::uint64_t cr2 = 0;
  asm volatile("mov %%cr2, %0" : "=r"(cr2));
  {
    Console out;
    out.w.str("PANIC cpu=").dec(this_cpu_index()).str(" exception ").dec(frame->vector).str(" (");
    out.w.str(kExceptionNames[frame->vector & 31]).str(") error=").hex(frame->error_code);
    out.w.str(" rip=").hex(frame->rip).str(" rsp=").hex(frame->rsp).str(" cr2=").hex(cr2).chr('\n');
  }
  debug_exit::exit(debug_exit::Code::Panic);
}
