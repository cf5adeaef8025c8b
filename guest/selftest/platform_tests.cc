// What the boot found: the MADT, the CPUs that came up, the local APIC mode.
#include "apic/local_apic.h"
#include "selftest/fixture.h"

namespace guest::selftest {

unsigned platform_test_lines(unsigned) { return 3; }

namespace {
constexpr unsigned kIsaIrqs = 16;  // an I/O APIC serving the ISA IRQs has at least 16 pins
}

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

  const bool x2 = apic::mode() == apic::Mode::X2Apic;
  report().record("apic.mode", x2 == apic::cpu_has_x2apic(),
                  {Field::text("mode", x2 ? "x2apic" : "xapic"), Field::dec("cpuid_x2apic", apic::cpu_has_x2apic() ? 1 : 0),
                   Field::text("eoi", info.eoi_broadcast_suppressed ? "directed" : "broadcast")});
}

}  // namespace guest::selftest
