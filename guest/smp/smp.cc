#include "smp/smp.h"

#include "apic/local_apic.h"
#include "arch/descriptors.h"
#include "arch/x86.h"
#include "boot/layout.h"
#include "kernel/clock.h"
#include "kernel/console.h"
#include "kernel/fault_injection.h"
#include "kernel/panic.h"
#include "smp/cpu_work.h"
#include "smp/percpu.h"
#include "smp/start_plan.h"

extern "C" const char ap_trampoline_start[], ap_trampoline_end[];
extern "C" const char ap_mailbox_cr3[], ap_mailbox_stack[], ap_mailbox_entry[], ap_mailbox_cpu[];
extern "C" std::uint64_t boot_pml4[];
extern "C" char bsp_stack[];

namespace guest::smp {

namespace {

// Timing of the start-up sequence (SDM vol. 3A, 8.4.4.1): INIT, 10 ms, STARTUP, 200 us,
// a second STARTUP only if the AP has not started. The wait for the AP to report in is
// generous because a vCPU thread under TCG may not be scheduled at once.
constexpr std::uint64_t kInitDelayNs = 10 * clock::kNsPerMs;
constexpr std::uint64_t kStartupDelayNs = 200 * clock::kNsPerUs;
constexpr std::uint64_t kReportInTimeoutNs = 2000 * clock::kNsPerMs;
constexpr std::uint8_t kTrampolinePage = GUEST_TRAMPOLINE_BASE >> 12;

// Fault injection (irqshape.fault=ap_no_start=<id>, kernel/fault_injection.h): that AP's
// STARTUP IPIs name this page instead of the trampoline's, as a BSP with a wrong start
// address would. The page holds a real-mode loop that counts in its own page and never
// reports in: the AP runs, but not this kernel. The BSP must time out, park it with INIT,
// and the count must then stand still (INIT stopped it; SDM vol. 3A, 8.4.1).
constexpr std::uint8_t kDecoyPage = GUEST_DECOY_PAGE_BASE >> 12;
constexpr std::uint32_t kDecoyCounterOffset = 0x100;
constexpr unsigned char kDecoyCode[] = {
    0x66, 0x2E, 0xFF, 0x06, 0x00, 0x01,  // inc dword cs:[0x100]  (CS base = the page)
    0xF3, 0x90,                          // pause
    0xEB, 0xF6,                          // jmp back to the inc (IP 10 - 10 = 0)
};
constexpr std::uint64_t kDecoyStillNs = 5 * clock::kNsPerMs;

volatile std::uint32_t& decoy_counter() {
  return *reinterpret_cast<volatile std::uint32_t*>(GUEST_DECOY_PAGE_BASE + kDecoyCounterOffset);
}

void install_decoy() {
  __builtin_memcpy(reinterpret_cast<void*>(GUEST_DECOY_PAGE_BASE), kDecoyCode, sizeof kDecoyCode);
  decoy_counter() = 0;
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

alignas(16) unsigned char stacks[kMaxGuestCpus][GUEST_STACK_SIZE];
alignas(16) unsigned char ist_stacks[kMaxGuestCpus][GUEST_IST_STACK_SIZE];
unsigned cpus_online = 1;

template <typename T>
T* in_trampoline(const char* symbol) {
  return reinterpret_cast<T*>(GUEST_TRAMPOLINE_BASE + (symbol - ap_trampoline_start));
}

std::uint64_t stack_top(unsigned cpu) { return reinterpret_cast<std::uint64_t>(stacks[cpu] + GUEST_STACK_SIZE); }
std::uint64_t ist_top_of(unsigned cpu) { return reinterpret_cast<std::uint64_t>(ist_stacks[cpu] + GUEST_IST_STACK_SIZE); }

}  // namespace

// The first C++ code on an application processor, called by the trampoline (C linkage:
// the BSP puts its address in the mailbox).
extern "C" [[noreturn]] void ap_main(unsigned index) {
  PerCpu& self = cpu_data(index);
  install_per_cpu(self);
  load_cpu_descriptors(self.descriptors, ist_top_of(index));
  load_idt();
  apic::enable_this_cpu();
  self.apic_id = apic::id();
  self.online.store(true, std::memory_order_release);
  idle_loop();
}

namespace {

void copy_trampoline() {
  const auto size = static_cast<std::size_t>(ap_trampoline_end - ap_trampoline_start);
  __builtin_memcpy(reinterpret_cast<void*>(GUEST_TRAMPOLINE_BASE), ap_trampoline_start, size);
  *in_trampoline<std::uint64_t>(ap_mailbox_cr3) = reinterpret_cast<std::uint64_t>(boot_pml4);
  *in_trampoline<std::uint64_t>(ap_mailbox_entry) = reinterpret_cast<std::uint64_t>(&ap_main);
}

bool start_one(unsigned index, std::uint32_t apic_id, std::uint8_t start_page) {
  PerCpu& cpu = cpu_data(index);
  cpu.index = index;
  cpu.stack_top = stack_top(index);
  *in_trampoline<std::uint64_t>(ap_mailbox_stack) = cpu.stack_top;
  *in_trampoline<std::uint64_t>(ap_mailbox_cpu) = index;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!apic::send_init(apic_id)) return false;
  clock::delay_ns(kInitDelayNs);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!apic::send_startup(apic_id, start_page)) return false;
    clock::delay_ns(kStartupDelayNs);
    if (cpu.online.load(std::memory_order_acquire)) break;
  }
  const std::uint64_t deadline = clock::now_ns() + kReportInTimeoutNs;
  while (!cpu.online.load(std::memory_order_acquire) && clock::now_ns() < deadline) x86::pause();
  return cpu.online.load(std::memory_order_acquire) && cpu.apic_id == apic_id;
}

// After start_one(index, apic_id) failed: the AP may still come up late (or came up with
// another id) and run on this index's PerCpu and stack. INIT puts it back into
// wait-for-SIPI (SDM vol. 3A, 8.4.1), after which the next CPU may use the index.
// False if it could not be sent: then the index may still be in use.
bool park(unsigned index, std::uint32_t apic_id, std::uint32_t bsp_id) {
  PerCpu& cpu = cpu_data(index);
  bool parked = apic::send_init(apic_id);
  const std::uint32_t reported = cpu.apic_id;
  if (cpu.online.load(std::memory_order_acquire) && reported != apic_id) {
    // It reported another id: INIT that one too, unless it is a CPU already running.
    bool running = reported == bsp_id;
    for (unsigned i = 1; i < index; ++i) running |= cpu_data(i).apic_id == reported;
    parked = parked && !running && apic::send_init(reported);
  }
  clock::delay_ns(kInitDelayNs);
  cpu.online.store(false, std::memory_order_release);
  cpu.apic_id = 0;
  return parked;
}

}  // namespace

void init_boot_processor() {
  PerCpu& bsp = cpu_data(0);
  bsp.index = 0;
  bsp.stack_top = reinterpret_cast<std::uint64_t>(bsp_stack + GUEST_STACK_SIZE);
  install_per_cpu(bsp);
  load_cpu_descriptors(bsp.descriptors, ist_top_of(0));
  build_idt();
  load_idt();
}

StartResult start_application_processors(const acpi::Platform& platform) {
  StartResult r;
  const std::uint64_t start = clock::now_ns();
  PerCpu& bsp = cpu_data(0);
  bsp.online.store(true, std::memory_order_release);
  copy_trampoline();
  std::uint32_t decoy_id = 0;
  const bool decoy = fault::ap_not_to_start(decoy_id);
  unsigned next = 1;
  bool stuck = false;  // an AP that failed could not be parked: its index is not free
  for (unsigned i = 0; i < platform.processors; ++i) {
    const std::uint32_t id = platform.processor_apic_ids[i];  // distinct (acpi.cc)
    switch (decide_start(id, bsp.apic_id, apic::mode() == apic::Mode::XApic, next, kMaxGuestCpus, stuck)) {
      case StartDecision::IsBsp: continue;
      case StartDecision::NoFreeIndex: ++r.failed; continue;  // no room, or no free index
      case StartDecision::NotAddressable: {
        ++r.failed;
        Console out;
        out.w.str("smp: apic ").hex(id).str(apic::mode() == apic::Mode::XApic
                                                  ? " not started: xAPIC mode addresses only ids below 0xff\n"
                                                  : " not started: 0xffffffff is the x2APIC broadcast id\n");
        continue;
      }
      case StartDecision::Start: break;
    }
    const bool wrong_page = decoy && id == decoy_id;
    if (wrong_page) {
      install_decoy();
      Console out;
      out.w.str("fault injection: apic ").hex(id).str(" gets start page ").hex(kDecoyPage).str(", not the trampoline\n");
    }
    if (start_one(next, id, wrong_page ? kDecoyPage : kTrampolinePage)) {
      ++next;
      continue;
    }
    ++r.failed;
    const std::uint32_t count_before = wrong_page ? decoy_counter() : 0;
    stuck = !park(next, id, bsp.apic_id);
    bool stopped = false;
    if (wrong_page) {
      const std::uint32_t after_init = decoy_counter();
      clock::delay_ns(kDecoyStillNs);
      stopped = decoy_counter() == after_init;
    }
    Console out;
    out.w.str("smp: apic ").hex(id).str(" did not start");
    out.w.str(stuck ? "; INIT could not park it, no further APs are started\n" : "; parked with INIT\n");
    if (wrong_page) {
      out.w.str("fault injection: apic ").hex(id).str(" ran the wrong page (count ").dec(count_before);
      out.w.str(count_before != 0 && stopped ? ") and stopped after INIT: parked\n"
                                             : ") and did not stop after INIT: not parked\n");
    }
  }
  cpus_online = r.online = next;
  r.elapsed_ns = clock::now_ns() - start;
  return r;
}

unsigned online_cpus() { return cpus_online; }

}  // namespace guest::smp
