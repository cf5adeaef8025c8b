// The BSP's path from the PVH entry (boot/entry.S) to the self-tests.
//
//   per-CPU data (GS), GDT/TSS, IDT     so faults are reported from the first line on
//   COM1                                 the console
//   8259 PICs masked                     everything goes through the I/O APIC
//   ACPI: RSDP -> MADT, HPET             CPUs, I/O APICs, overrides; the clock
//   HPET clock, TSC rate                 time stamps and deadlines
//   local APIC (x2APIC if offered)       then its timer is calibrated for wake-ups
//   application processors               INIT-SIPI-SIPI, one at a time
//   interrupt core                       kern, configured from the MADT, each CPU initialized
//   self-tests                           and the summary, then isa-debug-exit
#include "acpi/acpi.h"
#include "apic/local_apic.h"
#include "arch/x86.h"
#include "boot/start_info.h"
#include "devices/debug_exit.h"
#include "devices/hpet.h"
#include "devices/pic.h"
#include "devices/uart.h"
#include "kernel/clock.h"
#include "kernel/command_line.h"
#include "kernel/console.h"
#include "kernel/fault_injection.h"
#include "kernel/interrupt_system.h"
#include "kernel/panic.h"
#include "selftest/selftest.h"
#include "smp/cpu_work.h"
#include "smp/percpu.h"
#include "smp/smp.h"

extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace {

using namespace guest;

constexpr std::uint64_t kTscCalibrationNs = 10 * clock::kNsPerMs;

void run_constructors() {
  for (auto** f = __init_array_start; f != __init_array_end; ++f) (*f)();
}

std::uint64_t read_rsdp_hint() {
  const auto* info = reinterpret_cast<const HvmStartInfo*>(static_cast<std::uintptr_t>(boot_start_info));
  if (info == nullptr || info->magic != HvmStartInfo::kMagic) return 0;
  return info->rsdp_paddr;
}

// TSC ticks per millisecond, against the HPET. QEMU starts the TSC at 0 when the machine
// starts, so rdtsc() / this is the time since QEMU started the virtual machine.
// Each end of the interval is a TSC read bracketed by two HPET reads; a bracket wider
// than kTightBracketNs (the vCPU thread was descheduled in between, common on a loaded
// host) is retaken, so the rate is not skewed by a stall the HPET did not see.
constexpr std::uint64_t kTightBracketNs = 20 * clock::kNsPerUs;
constexpr unsigned kBracketAttempts = 100;

struct TimePair {
  std::uint64_t tsc, ns;
};

TimePair tight_pair() {
  TimePair best{0, 0};
  std::uint64_t best_width = ~std::uint64_t{0};
  for (unsigned i = 0; i < kBracketAttempts && best_width > kTightBracketNs; ++i) {
    const std::uint64_t before = clock::now_ns();
    const std::uint64_t tsc = x86::rdtsc();
    const std::uint64_t after = clock::now_ns();
    if (after - before < best_width) best = {tsc, before + (after - before) / 2}, best_width = after - before;
  }
  return best;
}

std::uint64_t calibrate_tsc() {
  const TimePair start = tight_pair();
  clock::delay_ns(kTscCalibrationNs);
  const TimePair end = tight_pair();
  return (end.tsc - start.tsc) * clock::kNsPerMs / (end.ns - start.ns);
}

void print_platform(const acpi::Platform& p, const smp::StartResult& smp_result, std::uint64_t tsc_per_ms) {
  Console out;
  out.w.str("ACPI rsdp=").hex(p.rsdp).str(p.rsdp_from_loader ? " (pvh start info)" : " (bios scan)").str(" rev=").dec(p.revision).str(p.xsdt ? " xsdt" : " rsdt");
  out.w.str(" lapic=").hex(p.local_apic_address).str(" hpet=").hex(p.hpet_address).chr('\n');
  if (p.processors_duplicate != 0) {
    out.w.str("ACPI: ").dec(p.processors_duplicate).str(" MADT processor entries repeat an APIC id; ignored\n");
  }
  for (unsigned i = 0; i < p.ioapic_count; ++i) {
    out.w.str("ACPI ioapic id=").dec(p.ioapics[i].id).str(" address=").hex(p.ioapics[i].address);
    out.w.str(" gsi_base=").dec(p.ioapics[i].gsi_base).chr('\n');
  }
  for (unsigned i = 0; i < p.override_count; ++i) {
    const auto& o = p.overrides[i];
    out.w.str("ACPI override irq=").dec(o.isa_irq).str(" gsi=").dec(o.gsi);
    out.w.str(" polarity=").str(!o.polarity ? "bus" : *o.polarity == irqshape::hw::Polarity::ActiveLow ? "low" : "high");
    out.w.str(" trigger=").str(!o.trigger ? "bus" : *o.trigger == irqshape::hw::TriggerMode::Level ? "level" : "edge");
    out.w.chr('\n');
  }
  out.w.str("SMP online=").dec(smp_result.online).str(" listed=").dec(p.processors);
  out.w.str(" failed=").dec(smp_result.failed).str(" start_ms=").dec(smp_result.elapsed_ns / clock::kNsPerMs);
  out.w.str(" apic=").str(apic::mode() == apic::Mode::X2Apic ? "x2apic" : "xapic").str(" ids=");
  for (unsigned i = 0; i < smp_result.online; ++i) out.w.str(i ? "," : "").dec(cpu_data(i).apic_id);
  out.w.str(" tsc_khz=").dec(tsc_per_ms).str(" lapic_timer_khz=").dec(apic::timer_ticks_per_ms()).chr('\n');
}

}  // namespace

extern "C" [[noreturn]] void boot_main() {
  smp::init_boot_processor();
  run_constructors();
  uart::init();
  read_command_line();
  {
    Console out;
    out.w.str("\nirqshape guest kernel: booting, command line \"").str(command_line()).str("\"\n");
  }
  pic::disable();
  acpi::Platform platform;
  const char* error = "";
  if (!acpi::parse(read_rsdp_hint(), platform, error)) panic(error);
  if (platform.hpet_address == 0 || !hpet::init(platform.hpet_address)) panic("no usable HPET");
  const std::uint64_t tsc_per_ms = calibrate_tsc();
  apic::select_mode(platform.local_apic_address);
  apic::enable_this_cpu();
  cpu_data(0).apic_id = apic::id();
  apic::calibrate_timer();
  x86::sti();
  const smp::StartResult smp_result = smp::start_application_processors(platform);
  print_platform(platform, smp_result, tsc_per_ms);
  fault::before_interrupt_core(smp_result.online);
  InterruptSystemInfo info;
  init_interrupt_system(platform, smp_result.online, info);
  fault::after_interrupt_core(smp_result.online);
  selftest::Context context{platform, smp_result, info, tsc_per_ms};
  const bool passed = selftest::run_all(context);
  debug_exit::exit(passed ? debug_exit::Code::Success : debug_exit::Code::TestsFailed);
}
