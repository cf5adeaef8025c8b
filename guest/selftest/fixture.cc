#include "selftest/fixture.h"

#include "devices/rtc.h"
#include "kernel/console.h"
#include "kernel/interrupt_system.h"
#include "smp/cpu_work.h"

namespace guest::selftest {

std::uint32_t Fixture::apic_of(unsigned cpu) const { return cpu_data(cpu).apic_id; }

namespace {
// Whether another edu's INTx reaches the same (known) GSI as `d`'s.
bool shares_intx_line(const Fixture& f, const edu::Device& d) {
  for (unsigned i = 0; i < f.edu_count; ++i) {
    if (&f.edus[i] != &d && d.intx_gsi >= 0 && f.edus[i].intx_gsi == d.intx_gsi) return true;
  }
  return false;
}
}  // namespace

void discover_devices(Fixture& f) {
  f.edu_count = edu::discover(f.edus, edu::kMaxDevices);
  // Two devices whose INTx reach the same GSI share a level line; any other device with
  // a known GSI serves the level move test.
  for (unsigned i = 0; i < f.edu_count && f.shared[0] == nullptr; ++i) {
    for (unsigned j = i + 1; j < f.edu_count; ++j) {
      if (f.edus[i].intx_gsi >= 0 && f.edus[i].intx_gsi == f.edus[j].intx_gsi) {
        f.shared[0] = &f.edus[i];
        f.shared[1] = &f.edus[j];
        break;
      }
    }
  }
  // The MSI tests get a device of their own, off the shared line (run.py's 00:03.0).
  for (unsigned i = 0; i < f.edu_count && f.msi_edu == nullptr; ++i) {
    if (f.edus[i].msi_capability != 0 && !shares_intx_line(f, f.edus[i])) f.msi_edu = &f.edus[i];
  }
  for (unsigned i = 0; i < f.edu_count; ++i) {
    if (f.edus[i].intx_gsi >= 0 && &f.edus[i] != f.msi_edu) f.intx_edu = &f.edus[i];
  }
  Console out;
  for (unsigned i = 0; i < f.edu_count; ++i) {
    const edu::Device& d = f.edus[i];
    out.w.str("edu slot=").dec(d.address.slot).str(" gsi=");
    if (d.intx_gsi >= 0) out.w.dec(static_cast<unsigned>(d.intx_gsi));
    else out.w.str("unknown");
    out.w.str(" msi=").dec(d.msi_capability != 0 ? 1 : 0).str(" msi_tests=").dec(&d == f.msi_edu ? 1 : 0);
    out.w.str(" shared_line=").dec(&d == f.shared[0] || &d == f.shared[1] ? 1 : 0);
    out.w.str(" level_move=").dec(&d == f.intx_edu ? 1 : 0).chr('\n');
  }
  if (f.msi_edu == nullptr) {
    out.w.str("edu: no MSI-capable edu off the shared INTx line (run.py puts one at 00:03.0): the MSI tests fail\n");
  }
}

bool probe_isr(KINTERRUPT* interrupt, void* context) {
  auto* probe = static_cast<Probe*>(context);
  probe->note(interrupt);
  probe->claim();
  return true;
}

bool rtc_isr(KINTERRUPT* interrupt, void* context) {
  auto* probe = static_cast<Probe*>(context);
  probe->note(interrupt);
  if (!rtc::acknowledge()) return false;
  probe->claim();
  return true;
}

bool edu_isr(KINTERRUPT* interrupt, void* context) {
  auto* target = static_cast<EduTarget*>(context);
  target->probe.note(interrupt);
  const std::uint32_t status = target->device->status();
  if (status == 0) return false;
  target->device->acknowledge(status);
  target->probe.claim();
  return true;
}

bool declining_isr(KINTERRUPT* interrupt, void* context) {
  static_cast<Probe*>(context)->note(interrupt);
  return false;
}

NTSTATUS connect(KINTERRUPT** object, KSERVICE_ROUTINE isr, void* context, const SystemInterrupt& si,
                 KINTERRUPT_MODE mode, bool share, KAFFINITY cpus) {
  return IoConnectInterrupt(core(), object, isr, context, nullptr, si.Vector, si.Irql, si.Irql, mode, share, cpus);
}

unsigned flush_all_cpus() {
  unsigned not_flushed = 0;
  for (unsigned cpu = 0; cpu < core().cpu_count; ++cpu) {
    const bool was_busy = smp::busy(cpu);
    if (smp::flush_interrupts(cpu, kWaitNs)) continue;
    ++not_flushed;
    Console out;
    out.w.str("flush: cpu ").dec(cpu).str(was_busy ? " still runs earlier work" : " did not run the flush in time");
    out.w.str(": what is pending there is not flushed\n");
  }
  return not_flushed;
}

NTSTATUS release_source(const SystemInterrupt& si) {
  flush_all_cpus();
  return ReleaseSystemInterrupt(core(), si.Vector);
}

bool wait_calls(const Probe& probe, std::uint64_t n, std::uint64_t timeout_ns) {
  return clock::wait_until([&] { return probe.count() >= n; }, timeout_ns);
}

bool wait_claims(const Probe& probe, std::uint64_t n, std::uint64_t timeout_ns) {
  return clock::wait_until([&] { return probe.claims() >= n; }, timeout_ns);
}

}  // namespace guest::selftest
