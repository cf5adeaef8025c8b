// Each line's interrupts arrive on the CPU its affinity names: the PIT routed to every
// CPU in turn, the RTC and an edu MSI to chosen CPUs; every ISR call compares the local
// APIC id it runs on with the target's.
#include "devices/pit.h"
#include "devices/rtc.h"
#include "kernel/interrupt_system.h"
#include "selftest/fixture.h"

namespace guest::selftest {

namespace {

constexpr std::uint32_t kPitHz = 2000;
constexpr std::uint64_t kInterruptsPerCheck = 8;
constexpr std::uint64_t kSettleNs = 2 * clock::kNsPerMs;  // a last PIT edge after stop()
constexpr KIRQL kPitIrql = 12;
constexpr KIRQL kRtcIrql = 11;
constexpr KIRQL kMsiIrql = 9;

struct LineRun {
  NTSTATUS status = STATUS_SUCCESS;
  SystemInterrupt si;
  bool arrived = false;
};

// Allocates `request` on exactly `cpu`, connects `isr`, runs the device, waits for
// kInterruptsPerCheck interrupts, and tears everything down (stop, disconnect, release).
LineRun run_line(Fixture& f, const LineRequest& request, KIRQL irql, unsigned cpu, KSERVICE_ROUTINE isr, Probe& probe,
                 void (*start)(), void (*stop)()) {
  LineRun r;
  probe.reset();
  probe.expect_apic(f.apic_of(cpu));
  r.status = AllocateSystemInterrupt(core(), request, irql, RouteTarget::cpus(affinity_of(cpu)), &r.si);
  if (!NT_SUCCESS(r.status)) return r;
  KINTERRUPT* obj = nullptr;
  r.status = connect(&obj, isr, &probe, r.si, Latched, false, affinity_of(cpu));
  if (NT_SUCCESS(r.status)) {
    start();
    r.arrived = wait_claims(probe, kInterruptsPerCheck);
    stop();
    clock::sleep_ns(kSettleNs);
    IoDisconnectInterrupt(obj);
  }
  (void)release_source(r.si);
  return r;
}

bool record_line(const char* name, Fixture& f, unsigned cpu, const LineRun& r, const Probe& probe) {
  if (!NT_SUCCESS(r.status)) return report().fail(name, status_name(r.status), cpu);
  const bool ok = r.arrived && probe.wrong_cpu == 0 && r.si.Cpu == cpu && probe.on_cpu[cpu] == probe.count();
  return report().record(name, ok,
                         {Field::dec("cpu", cpu), Field::dec("expected_apic", f.apic_of(cpu)),
                          Field::dec("last_apic", probe.last_apic), Field::dec("gsi", r.si.Gsi),
                          Field::hex("vector", r.si.IdtVector), Field::dec("irql", r.si.Irql),
                          Field::dec("interrupts", probe.count()), Field::dec("wrong_cpu", probe.wrong_cpu)});
}

void pit_start() { pit::start_periodic(kPitHz); }
void rtc_start() { rtc::start_periodic(rtc::kRate2048Hz); }

void msi_affinity(Fixture& f) {
  static EduTarget target;
  const unsigned cpu = f.cpus - 1;
  if (f.msi_edu == nullptr) {
    report().fail("affinity.edu_msi", "no-msi-edu-off-the-shared-line");
    return;
  }
  target.probe.reset();
  target.device = f.msi_edu;
  target.probe.expect_apic(f.apic_of(cpu));
  SystemInterrupt si;
  NTSTATUS s = AllocateMessageInterrupt(core(), "edu-msi", kMsiIrql, RouteTarget::apic(f.apic_of(cpu)), &si);
  KINTERRUPT* obj = nullptr;
  irqshape::hw::msi::Message msg;
  if (NT_SUCCESS(s)) s = ComposeMsiMessage(core(), si.Vector, &msg);
  if (NT_SUCCESS(s)) s = connect(&obj, edu_isr, &target, si, Latched, false, f.all_cpus());
  if (!NT_SUCCESS(s)) {
    report().fail("affinity.edu_msi", status_name(s));
    return;
  }
  f.msi_edu->enable_msi(msg);
  unsigned delivered = 0;
  for (std::uint64_t i = 1; i <= kInterruptsPerCheck; ++i) {
    f.msi_edu->raise(1);
    delivered += wait_claims(target.probe, i) ? 1 : 0;
  }
  f.msi_edu->disable_msi();
  IoDisconnectInterrupt(obj);
  (void)release_source(si);
  const bool ok = delivered == kInterruptsPerCheck && target.probe.wrong_cpu == 0 && si.Cpu == cpu;
  report().record("affinity.edu_msi", ok,
                  {Field::dec("cpu", cpu), Field::dec("slot", f.msi_edu->address.slot),
                   Field::dec("expected_apic", f.apic_of(cpu)),
                   Field::dec("last_apic", target.probe.last_apic), Field::hex("address", msg.address),
                   Field::hex("data", msg.data), Field::dec("interrupts", target.probe.count()),
                   Field::dec("wrong_cpu", target.probe.wrong_cpu)});
}

}  // namespace

unsigned affinity_test_lines(unsigned cpus) { return cpus + 2; }

void affinity_tests(Fixture& f) {
  static Probe probe;
  for (unsigned cpu = 0; cpu < f.cpus; ++cpu) {
    const LineRun r = run_line(f, LineRequest::isa_irq(pit::kIsaIrq, "pit"), kPitIrql, cpu, probe_isr, probe, pit_start, pit::stop);
    record_line("affinity.pit", f, cpu, r, probe);
  }
  const unsigned rtc_cpu = 1 % f.cpus;
  const LineRun r = run_line(f, LineRequest::isa_irq(rtc::kIsaIrq, "rtc"), kRtcIrql, rtc_cpu, rtc_isr, probe, rtc_start, rtc::stop);
  record_line("affinity.rtc", f, rtc_cpu, r, probe);
  msi_affinity(f);
}

}  // namespace guest::selftest
