// Vectors are allocated per CPU and in the priority class of the run level: for each CPU
// and a low, middle and high device IRQL, an MSI source is allocated on that CPU; its
// vector must be in class IRQL (vector >> 4 == IRQL) and on that CPU, the same vector
// number may be handed out on every CPU at once (one matrix per CPU, not one global
// space), and an MSI sent with ComposeMsiMessage's address/data must arrive on that CPU
// with that vector in service (checked inside the ISR).
#include "kernel/console.h"
#include "kernel/interrupt_system.h"
#include "selftest/fixture.h"

namespace guest::selftest {

namespace {

constexpr KIRQL kLevels[] = {kMinDeviceIrql, 7, kMaxDeviceIrql};
constexpr unsigned kLevelCount = sizeof(kLevels) / sizeof(kLevels[0]);

struct CpuResult {
  SystemInterrupt si[kLevelCount];
  NTSTATUS status = STATUS_SUCCESS;
  unsigned delivered = 0;
  std::uint64_t wrong_cpu = 0, class_mismatch = 0;
};

// Sends one MSI through each allocated source of `cpu` and checks where it lands.
void deliver(Fixture& f, unsigned cpu, CpuResult& r) {
  if (f.msi_edu == nullptr) return;
  static EduTarget target;
  for (const SystemInterrupt& si : r.si) {
    target.probe.reset();
    target.device = f.msi_edu;
    target.probe.expect_apic(f.apic_of(cpu));
    irqshape::hw::msi::Message msg;
    if (!NT_SUCCESS(ComposeMsiMessage(core(), si.Vector, &msg))) continue;
    KINTERRUPT* obj = nullptr;
    if (!NT_SUCCESS(connect(&obj, edu_isr, &target, si, Latched, false, f.all_cpus()))) continue;
    f.msi_edu->enable_msi(msg);
    f.msi_edu->raise(1);
    if (wait_claims(target.probe, 1)) ++r.delivered;
    f.msi_edu->disable_msi();
    IoDisconnectInterrupt(obj);
    r.wrong_cpu += target.probe.wrong_cpu;
    r.class_mismatch += target.probe.class_mismatch;
  }
}

}  // namespace

unsigned vector_test_lines(unsigned cpus) { return cpus + 1; }

void vector_tests(Fixture& f) {
  static CpuResult results[kMaxGuestCpus];
  for (unsigned cpu = 0; cpu < f.cpus; ++cpu) {
    for (unsigned i = 0; i < kLevelCount && NT_SUCCESS(results[cpu].status); ++i) {
      results[cpu].status =
          AllocateMessageInterrupt(core(), "vector-test", kLevels[i], RouteTarget::apic(f.apic_of(cpu)), &results[cpu].si[i]);
    }
  }
  {
    Console out;
    DumpInterruptAllocation(core(), console_sink());
  }
  bool same_vectors = true;
  for (unsigned cpu = 0; cpu < f.cpus; ++cpu) {
    CpuResult& r = results[cpu];
    if (!NT_SUCCESS(r.status)) {
      report().fail("vectors.class", status_name(r.status), cpu);
      continue;
    }
    bool ok = true;
    for (unsigned i = 0; i < kLevelCount; ++i) {
      ok &= r.si[i].Cpu == cpu && irql_of_vector(r.si[i].IdtVector) == kLevels[i] && !is_system_vector(r.si[i].IdtVector);
      same_vectors &= r.si[i].IdtVector == results[0].si[i].IdtVector;
    }
    deliver(f, cpu, r);
    const IsrAtEntry isr = isr_at_entry(f.cpus);  // no ISR to check the class in: see probe.h
    ok &= f.msi_edu != nullptr && r.delivered == kLevelCount && r.wrong_cpu == 0 &&
          (r.class_mismatch == 0 || isr.not_modelled());
    report().record("vectors.class", ok,
                    {Field::dec("cpu", cpu), Field::dec("apic", f.apic_of(cpu)), Field::hex("irql3", r.si[0].IdtVector),
                     Field::hex("irql7", r.si[1].IdtVector), Field::hex("irql12", r.si[2].IdtVector),
                     Field::dec("msi_delivered", r.delivered), Field::dec("wrong_cpu", r.wrong_cpu),
                     Field::dec("class_mismatch", r.class_mismatch), Field::text("isr", isr.name())});
  }
  unsigned released = 0;
  flush_all_cpus();  // every MSI was waited for; this only makes the release order obvious
  for (unsigned cpu = 0; cpu < f.cpus; ++cpu)
    for (const SystemInterrupt& si : results[cpu].si) released += NT_SUCCESS(ReleaseSystemInterrupt(core(), si.Vector)) ? 1 : 0;
  report().record("vectors.per_cpu", same_vectors && released == f.cpus * kLevelCount,
                  {Field::dec("cpus", f.cpus), Field::dec("same_vector_on_every_cpu", same_vectors ? 1 : 0),
                   Field::dec("released", released)});
}

}  // namespace guest::selftest
