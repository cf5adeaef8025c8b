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

struct SharedLine {
  EduTarget a, b;
  SystemInterrupt si_a, si_b;
  KINTERRUPT* obj_a = nullptr;
  KINTERRUPT* obj_b = nullptr;
  unsigned raised_a = 0, raised_b = 0, timeouts = 0;
};

// Both drivers allocate the GSI (the second joins the first's source) and connect.
NTSTATUS connect_both(Fixture& f, SharedLine& l, std::uint32_t gsi, unsigned cpu) {
  const RouteTarget target = RouteTarget::cpus(affinity_of(cpu));
  NTSTATUS s = AllocateSystemInterrupt(core(), LineRequest::gsi(gsi, "edu-a"), kSharedIrql, target, &l.si_a);
  if (NT_SUCCESS(s)) s = AllocateSystemInterrupt(core(), LineRequest::gsi(gsi, "edu-b"), kSharedIrql, target, &l.si_b);
  if (NT_SUCCESS(s)) s = connect(&l.obj_a, edu_isr, &l.a, l.si_a, LevelSensitive, true, f.all_cpus());
  if (NT_SUCCESS(s)) s = connect(&l.obj_b, edu_isr, &l.b, l.si_b, LevelSensitive, true, f.all_cpus());
  return s;
}

// Raises per phase, each time waiting until the raised devices' ISRs claimed.
void run_phases(SharedLine& l) {
  for (const Phase& p : kPhases) {
    for (unsigned i = 0; i < kRaisesPerPhase; ++i) {
      const std::uint64_t want_a = l.a.probe.claims() + (p.a ? 1 : 0);
      const std::uint64_t want_b = l.b.probe.claims() + (p.b ? 1 : 0);
      if (p.a) l.a.device->raise(1), ++l.raised_a;
      if (p.b) l.b.device->raise(1), ++l.raised_b;
      const bool done = clock::wait_until(
          [&] { return l.a.probe.claims() >= want_a && l.b.probe.claims() >= want_b; }, kWaitNs);
      if (!done) ++l.timeouts;
    }
  }
}

// A platform that does not keep the vector in service (probe.h) fires a level line again
// before its handler has run, and that dispatch finds nothing to claim: unhandled
// dispatches are then its doing, not the chain's.
void record(const SharedLine& l, std::uint32_t gsi, unsigned cpu, const SourceInterruptCounters& c,
            const IsrAtEntry& isr) {
  const bool same_source = l.si_a.Vector == l.si_b.Vector;
  const bool ok = same_source && l.timeouts == 0 && l.a.probe.claims() == l.raised_a &&
                  l.b.probe.claims() == l.raised_b && (c.unhandled == 0 || isr.not_modelled()) &&
                  l.a.probe.wrong_cpu == 0 && l.b.probe.wrong_cpu == 0;
  report().record("shared.level", ok,
                  {Field::dec("gsi", gsi), Field::dec("slot_a", l.a.device->address.slot),
                   Field::dec("slot_b", l.b.device->address.slot), Field::dec("same_source", same_source ? 1 : 0),
                   Field::dec("cpu", cpu), Field::dec("raised_a", l.raised_a), Field::dec("claimed_a", l.a.probe.claims()),
                   Field::dec("raised_b", l.raised_b), Field::dec("claimed_b", l.b.probe.claims()),
                   Field::dec("isr_a_calls", l.a.probe.count()), Field::dec("isr_b_calls", l.b.probe.count()),
                   Field::dec("dispatches", c.total), Field::dec("unhandled", c.unhandled),
                   Field::dec("timeouts", l.timeouts), Field::text("isr", isr.name())});
}

}  // namespace

unsigned shared_line_test_lines(unsigned) { return 1; }

void shared_line_tests(Fixture& f) {
  static SharedLine line;
  if (f.shared[0] == nullptr) {
    report().fail("shared.level", "no-two-edu-on-one-gsi");
    return;
  }
  line.a.device = f.shared[0];
  line.b.device = f.shared[1];
  const auto gsi = static_cast<std::uint32_t>(line.a.device->intx_gsi);
  const unsigned cpu = 1 % f.cpus;
  if (const NTSTATUS s = connect_both(f, line, gsi, cpu); !NT_SUCCESS(s)) {
    report().fail("shared.level", status_name(s));
    return;
  }
  line.a.probe.expect_apic(f.apic_of(cpu));
  line.b.probe.expect_apic(f.apic_of(cpu));
  run_phases(line);
  SourceInterruptCounters counters;
  (void)QuerySourceInterruptCounters(core(), line.si_a.Vector, &counters);
  IoDisconnectInterrupt(line.obj_b);
  IoDisconnectInterrupt(line.obj_a);
  (void)release_source(line.si_b);
  (void)release_source(line.si_a);
  record(line, gsi, cpu, counters, isr_at_entry(f.cpus));
}

}  // namespace guest::selftest
