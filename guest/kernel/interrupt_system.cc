#include "kernel/interrupt_system.h"

#include <atomic>
#include <new>

#include "hw/register_window.h"
#include "kernel/clock.h"
#include "kernel/guest_platform.h"
#include "kernel/panic.h"
#include "smp/cpu_work.h"
#include "smp/percpu.h"

namespace guest {

namespace {

using namespace irqshape::kern;

GuestPlatform platform;
FixedBlockPool pool;
std::uint32_t apic_ids[kMaxGuestCpus];
alignas(InterruptCore) unsigned char core_storage[sizeof(InterruptCore)];
std::atomic<InterruptCore*> the_core{nullptr};
alignas(irqshape::hw::MmioWindow) unsigned char window_storage[acpi::kMaxIoApics][sizeof(irqshape::hw::MmioWindow)];
constexpr std::uint64_t kInitTimeoutNs = 1000 * clock::kNsPerMs;

void initialize_this_processor(void* argument) {
  auto* status = static_cast<NTSTATUS*>(argument);
  *status = HalInitializeProcessor(*the_core.load(), this_cpu_index());
}

void check(NTSTATUS s, const char* what) {
  if (!NT_SUCCESS(s)) panic(what, static_cast<std::uint32_t>(s));
}

}  // namespace

void init_interrupt_system(const acpi::Platform& p, unsigned cpus, InterruptSystemInfo& info) {
  for (unsigned i = 0; i < cpus; ++i) apic_ids[i] = cpu_data(i).apic_id;
  // APIC ids in QEMU stay below 255, so 8-bit MSI and I/O APIC destinations reach all.
  const CoreConfig config{.apic_ids = std::span<const std::uint32_t>(apic_ids, cpus),
                          .ioapic_extended_destination_id = false,
                          .msi_format = irqshape::hw::msi::DestinationFormat::XApic8,
                          .directed_eoi = true};
  InterruptCore* core = new (core_storage) InterruptCore(platform, pool, config);
  for (unsigned i = 0; i < p.ioapic_count; ++i) {
    auto* window = new (window_storage[i]) irqshape::hw::MmioWindow(p.ioapics[i].address);
    check(HalRegisterIoApic(*core, *window, p.ioapics[i].gsi_base), "HalRegisterIoApic failed");
    info.ioapic_pins[i] = core->ioapics.info(i).pins;
    info.ioapic_versions[i] = core->ioapics.info(i).version;
  }
  info.ioapics = p.ioapic_count;
  for (unsigned i = 0; i < p.override_count; ++i) {
    check(HalRegisterSourceOverride(*core, p.overrides[i]), "HalRegisterSourceOverride failed");
  }
  info.overrides = p.override_count;
  the_core.store(core, std::memory_order_release);
  for (unsigned cpu = 0; cpu < cpus; ++cpu) {
    NTSTATUS status = STATUS_UNSUCCESSFUL;
    if (!smp::run_on(cpu, initialize_this_processor, &status, kInitTimeoutNs)) panic("HalInitializeProcessor timed out", cpu);
    check(status, "HalInitializeProcessor failed");
  }
  info.eoi_broadcast_suppressed = core->cpus[0].eoi_broadcast_suppressed;
}

InterruptCore* interrupt_core() { return the_core.load(std::memory_order_acquire); }

InterruptCore& core() {
  InterruptCore* c = interrupt_core();
  if (c == nullptr) panic("interrupt core used before init_interrupt_system");
  return *c;
}

FixedBlockPool& interrupt_pool() { return pool; }

}  // namespace guest
