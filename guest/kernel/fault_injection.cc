#include "kernel/fault_injection.h"

#include "apic/local_apic.h"
#include "arch/x86.h"
#include "kernel/clock.h"
#include "kernel/command_line.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "smp/cpu_work.h"
#include "smp/percpu.h"

namespace guest::fault {

namespace {

constexpr std::uint64_t kFaultTimeoutNs = 1000 * clock::kNsPerMs;
// A device vector (class 8). Before the interrupt core exists no vector has an owner.
constexpr std::uint8_t kStrayVector = 0x81;

void announce(const char* what, unsigned cpu) {
  Console out;
  out.w.str("fault injection: ").str(what).str(" on cpu ").dec(cpu).chr('\n');
}

}  // namespace

void before_interrupt_core(unsigned cpus) {
  if (!command_line_has("irqshape.fault=stray_interrupt")) return;
  const unsigned cpu = cpus - 1;
  announce("self-IPI on vector 0x81 before the interrupt core exists", cpu);
  // The work runs with interrupts enabled: the IPI is taken as soon as it is sent.
  const bool ran = smp::run_on(cpu, [](void*) { apic::send_fixed(apic::id(), kStrayVector); }, nullptr, kFaultTimeoutNs);
  const bool taken = ran && clock::wait_until([&] { return cpu_data(cpu).stray_interrupts.load() != 0; }, kFaultTimeoutNs);
  if (!taken) panic("the injected stray interrupt was not taken");
}

void after_interrupt_core(unsigned cpus) {
  const unsigned cpu = cpus - 1;
  if (command_line_has("irqshape.fault=apic_error")) {
    bool injected = false;
    (void)smp::run_on(cpu, [](void* done) { *static_cast<bool*>(done) = apic::provoke_illegal_register_access(); },
                      &injected, kFaultTimeoutNs);
    announce(injected ? "read of reserved local APIC register 0x40"
                      : "apic_error not injected: x2APIC mode has no illegal-register error (a reserved MSR is #GP)",
             cpu);
  }
  if (command_line_has("irqshape.fault=ud")) {
    announce("ud2", cpu);
    (void)smp::run_on(cpu, [](void*) { asm volatile("ud2"); }, nullptr, kFaultTimeoutNs);
    panic("the injected fault was not reported");
  }
}

bool ap_not_to_start(std::uint32_t& apic_id) { return command_line_number("irqshape.fault=ap_no_start=", apic_id); }

void move_sender_finished() {
  if (!command_line_has("irqshape.fault=move_sender_hangs")) return;
  announce("the move sender never returns", this_cpu_index());
  for (;;) x86::sti_hlt();
}

}  // namespace guest::fault
