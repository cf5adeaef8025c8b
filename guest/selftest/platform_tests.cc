// What the boot found: the MADT, the CPUs that came up, the local APIC mode.
#include "apic/local_apic.h"
#include "arch/x86.h"
#include "hw/lapic_regs.h"
#include "selftest/fixture.h"
#include "smp/cpu_work.h"
#include "smp/percpu.h"

namespace guest::selftest {

unsigned platform_test_lines(unsigned) { return 3; }

namespace {
constexpr unsigned kIsaIrqs = 16;  // an I/O APIC serving the ISA IRQs has at least 16 pins
constexpr std::uint64_t kProbeTimeoutNs = 1000 * clock::kNsPerMs;

// What one CPU's local APIC looks like from that CPU.
struct ApicState {
  std::uint64_t apic_base = 0;  // IA32_APIC_BASE
  std::uint32_t id = 0;         // the APIC ID register
  std::uint32_t percpu_id = 0;  // what its PerCpu says
};

void read_apic_state(void* argument) {
  auto& s = *static_cast<ApicState*>(argument);
  s.apic_base = x86::rdmsr(irqshape::hw::lapic::kMsrApicBase);
  s.id = apic::id();
  s.percpu_id = this_cpu().apic_id;
}
}  // namespace

void platform_tests(Fixture& f) {
  const acpi::Platform& p = f.context.platform;
  const InterruptSystemInfo& info = f.context.interrupts;
  bool has_irq0_override = false;
  for (unsigned i = 0; i < p.override_count; ++i) has_irq0_override |= p.overrides[i].isa_irq == 0;
  report().record("acpi.madt", p.processors >= 1 && p.ioapic_count >= 1 && info.ioapic_pins[0] >= kIsaIrqs,
                  {Field::dec("cpus", p.processors), Field::dec("ioapics", p.ioapic_count),
                   Field::dec("ioapic_pins", info.ioapic_pins[0]), Field::hex("ioapic_version", info.ioapic_versions[0]),
                   Field::dec("overrides", p.override_count), Field::dec("irq0_override", has_irq0_override ? 1 : 0)});

  // Every AP reported the APIC id the MADT gave it (checked in smp.cc) and is online.
  bool ids_distinct = true;
  for (unsigned i = 0; i < f.cpus; ++i)
    for (unsigned j = i + 1; j < f.cpus; ++j) ids_distinct &= f.apic_of(i) != f.apic_of(j);
  report().record("smp.online", f.context.smp.online == p.processors && f.context.smp.failed == 0 && ids_distinct,
                  {Field::dec("online", f.context.smp.online), Field::dec("listed", p.processors),
                   Field::dec("failed", f.context.smp.failed), Field::dec("start_ms", f.context.smp.elapsed_ns / clock::kNsPerMs),
                   Field::dec("last_apic_id", f.apic_of(f.cpus - 1))});

  // On every CPU: IA32_APIC_BASE has EN set and EXTD equal to the chosen mode, and the
  // APIC ID register reads the id that CPU's PerCpu entry holds.
  namespace apic_base = irqshape::hw::lapic::apic_base;
  const bool x2 = apic::mode() == apic::Mode::X2Apic;
  unsigned bad_cpus = 0, unreachable = 0, first_bad = ~0u;
  ApicState first_bad_state;
  for (unsigned cpu = 0; cpu < f.cpus; ++cpu) {
    ApicState s;
    if (!smp::run_on(cpu, read_apic_state, &s, kProbeTimeoutNs)) {
      ++unreachable;
      continue;
    }
    const bool ok = apic_base::GlobalEnable::test(s.apic_base) && apic_base::X2ApicEnable::test(s.apic_base) == x2 &&
                    s.id == s.percpu_id && s.id == f.apic_of(cpu);
    if (!ok && bad_cpus++ == 0) first_bad = cpu, first_bad_state = s;
  }
  report().record("apic.mode", bad_cpus == 0 && unreachable == 0,
                  {Field::text("mode", x2 ? "x2apic" : "xapic"), Field::dec("cpuid_x2apic", apic::cpu_has_x2apic() ? 1 : 0),
                   Field::text("eoi", info.eoi_broadcast_suppressed ? "directed" : "broadcast"),
                   Field::dec("cpus_checked", f.cpus - unreachable), Field::dec("bad_cpus", bad_cpus),
                   Field::dec("unreachable", unreachable),
                   Field::dec("first_bad_cpu", bad_cpus ? first_bad : 0),
                   Field::hex("first_bad_apic_base", first_bad_state.apic_base),
                   Field::dec("first_bad_id", first_bad_state.id)});
}

}  // namespace guest::selftest
