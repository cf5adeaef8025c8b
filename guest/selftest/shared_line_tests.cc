// A shared level-triggered line dispatches to the right ISR: two edu devices whose INTA#
// reach the same I/O APIC input (q35: slots 2 and 6 both go to PIRQG, GSI 22; see
// devices/pci.h). Both drivers allocate the GSI (the second allocation joins the first)
// and connect with ShareVector. Each ISR claims only when its own device's status is
// set. Phases: only A raises, only B raises, both raise together. In every phase each
// device's interrupts must be claimed by its own ISR, and no interrupt may go unclaimed
// (the level chain stops at the first claimer; the other device's level is still there
// and fires again after the EOI).
#include "kernel/interrupt_system.h"
#include "selftest/fixture.h"

namespace guest::selftest {

namespace {

constexpr unsigned kRaisesPerPhase = 10;
constexpr KIRQL kSharedIrql = 6;

struct Phase {
  const char* name;
  bool a, b;
};
constexpr Phase kPhases[] = {{"a", true, false}, {"b", false, true}, {"both", true, true}};

}  // namespace

unsigned shared_line_test_lines(unsigned) { return 1; }

void shared_line_tests(Fixture& f) {
  static EduTarget a, b;
  if (f.shared[0] == nullptr) {
    report().fail("shared.level", "no-two-edu-on-one-gsi");
    return;
  }
  a.probe.reset();
  b.probe.reset();
  a.device = f.shared[0];
  b.device = f.shared[1];
  const auto gsi = static_cast<std::uint32_t>(a.device->intx_gsi);
  const unsigned cpu = 1 % f.cpus;
  SystemInterrupt si_a, si_b;
  KINTERRUPT* obj_a = nullptr;
  KINTERRUPT* obj_b = nullptr;
  NTSTATUS s = AllocateSystemInterrupt(core(), LineRequest::gsi(gsi, "edu-a"), kSharedIrql, RouteTarget::cpus(affinity_of(cpu)), &si_a);
  if (NT_SUCCESS(s)) s = AllocateSystemInterrupt(core(), LineRequest::gsi(gsi, "edu-b"), kSharedIrql, RouteTarget::cpus(affinity_of(cpu)), &si_b);
  if (NT_SUCCESS(s)) s = connect(&obj_a, edu_isr, &a, si_a, LevelSensitive, true, f.all_cpus());
  if (NT_SUCCESS(s)) s = connect(&obj_b, edu_isr, &b, si_b, LevelSensitive, true, f.all_cpus());
  if (!NT_SUCCESS(s)) {
    report().fail("shared.level", status_name(s));
    return;
  }
  a.probe.expect_apic(f.apic_of(cpu));
  b.probe.expect_apic(f.apic_of(cpu));
  unsigned raised_a = 0, raised_b = 0, timeouts = 0;
  for (const Phase& p : kPhases) {
    for (unsigned i = 0; i < kRaisesPerPhase; ++i) {
      const std::uint64_t want_a = a.probe.claims() + (p.a ? 1 : 0);
      const std::uint64_t want_b = b.probe.claims() + (p.b ? 1 : 0);
      if (p.a) a.device->raise(1), ++raised_a;
      if (p.b) b.device->raise(1), ++raised_b;
      if (!clock::wait_until([&] { return a.probe.claims() >= want_a && b.probe.claims() >= want_b; }, kWaitNs)) ++timeouts;
    }
  }
  SourceInterruptCounters counters;
  (void)QuerySourceInterruptCounters(core(), si_a.Vector, &counters);
  IoDisconnectInterrupt(obj_b);
  IoDisconnectInterrupt(obj_a);
  (void)release_source(si_b);
  (void)release_source(si_a);
  const bool same_source = si_a.Vector == si_b.Vector;
  const bool ok = same_source && timeouts == 0 && a.probe.claims() == raised_a && b.probe.claims() == raised_b &&
                  counters.unhandled == 0 && a.probe.wrong_cpu == 0 && b.probe.wrong_cpu == 0;
  report().record("shared.level", ok,
                  {Field::dec("gsi", gsi), Field::dec("slot_a", a.device->address.slot),
                   Field::dec("slot_b", b.device->address.slot), Field::dec("same_source", same_source ? 1 : 0),
                   Field::dec("cpu", cpu), Field::dec("raised_a", raised_a), Field::dec("claimed_a", a.probe.claims()),
                   Field::dec("raised_b", raised_b), Field::dec("claimed_b", b.probe.claims()),
                   Field::dec("isr_a_calls", a.probe.count()), Field::dec("isr_b_calls", b.probe.count()),
                   Field::dec("dispatches", counters.total), Field::dec("unhandled", counters.unhandled),
                   Field::dec("timeouts", timeouts)});
}

}  // namespace guest::selftest
