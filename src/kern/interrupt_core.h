// InterruptCore: all state of the guest kernel's interrupt core, owned by whoever boots
// it (the guest: a static object; the simulator and tests: their own). There are no
// globals: every API function takes the core it works on.
//
// Members are public so the core's own translation units (routing, connect,
// dispatcher, dump) can reach them; drivers use the functions declared in
// kern/interrupts.h and never touch members.
//
// Setup order: construct; HalRegisterIoApic for each I/O APIC; HalRegisterSourceOverride
// for each MADT override; HalInitializeProcessor on each CPU. Then allocate and connect.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "hw/msi.h"
#include "kern/affinity.h"
#include "kern/cpu_state.h"
#include "kern/interrupt_source.h"
#include "kern/ioapic_set.h"
#include "kern/platform.h"
#include "kern/pool.h"
#include "kern/source_override.h"
#include "kern/spinlock.h"
#include "kern/storm_report.h"
#include "kern/vector_allocator.h"

namespace irqshape::kern {

struct CoreConfig {
  std::span<const std::uint32_t> apic_ids;  // CPU index -> APIC id; at most kMaxCpus
  // The I/O APICs accept destination bits 14:8 in RTE bits 55:49 (KVM's extended
  // destination id). Without it, CPUs with APIC ids above 254 cannot take I/O APIC lines.
  bool ioapic_extended_destination_id = false;
  hw::msi::DestinationFormat msi_format = hw::msi::DestinationFormat::XApic8;
  // Suppress the local APICs' EOI broadcast and EOI level lines at the I/O APIC instead
  // (needs every I/O APIC to have the version 0x20 EOI register; ignored otherwise).
  bool directed_eoi = false;
};

class InterruptCore {
 public:
  static constexpr unsigned kMaxSources = 128;

  InterruptCore(Platform& platform, PoolAllocator& pool, const CoreConfig& config);
  InterruptCore(const InterruptCore&) = delete;
  InterruptCore& operator=(const InterruptCore&) = delete;

  [[nodiscard]] KAFFINITY active_cpus() const { return first_cpus(cpu_count); }
  [[nodiscard]] CpuInterruptState& cpu(unsigned index) { return cpus[index]; }

  Platform& platform;
  PoolAllocator& pool;
  unsigned cpu_count = 0;
  std::array<std::uint32_t, kMaxCpus> apic_id{};
  bool ioapic_extended_destination_id = false;
  hw::msi::DestinationFormat msi_format = hw::msi::DestinationFormat::XApic8;
  bool directed_eoi_requested = false;

  // Lock order: config_lock -> vector_lock -> ioapic_lock. Object locks and the storm
  // ring's lock are leaves. The dispatcher never takes config_lock.
  KSPIN_LOCK config_lock;
  KSPIN_LOCK vector_lock;
  KSPIN_LOCK ioapic_lock;

  VectorMatrix vectors;            // vector_lock
  IoApicSet ioapics;               // ioapic_lock
  SourceOverrideTable overrides;   // config_lock
  std::array<InterruptSource, kMaxSources> sources{};
  std::array<CpuInterruptState, kMaxCpus> cpus{};
  StormReportRing storms;
};

}  // namespace irqshape::kern
