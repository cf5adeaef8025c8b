// Source records: lookup, route resolution, entry composition, and teardown.
#include "hw/ioapic_regs.h"
#include "kern/routing.h"
#include "kern/source_internal.h"

namespace irqshape::kern::detail {

using namespace hw::ioapic;

InterruptSource* lookup(InterruptCore& core, SystemVector vector) {
  if (vector.index >= InterruptCore::kMaxSources) return nullptr;
  InterruptSource& src = core.sources[vector.index];
  if (src.kind == SourceKind::Unused || src.generation != vector.generation) return nullptr;
  return &src;
}

namespace {
// 0xFF (and the x2APIC all-ones id) mean broadcast in a physical destination.
bool nameable(std::uint32_t apic_id, std::uint32_t max_destination) {
  return apic_id <= max_destination && apic_id != 0xFF && apic_id != 0xFFFF'FFFF;
}
}  // namespace

KAFFINITY reachable_cpus(const InterruptCore& core, SourceKind kind) {
  std::uint32_t max = hw::msi::max_destination(core.msi_format);
  if (kind == SourceKind::IoApicLine) max = core.ioapic_extended_destination_id ? 0x7FFF : 0xFF;
  KAFFINITY set = 0;
  for (unsigned cpu = 0; cpu < core.cpu_count; ++cpu)
    if (nameable(core.apic_id[cpu], max)) set |= affinity_of(cpu);
  return set;
}

NTSTATUS resolve_target(const InterruptCore& core, SourceKind kind, const RouteTarget& target, KAFFINITY& out) {
  const KAFFINITY reachable = reachable_cpus(core, kind);
  if (target.apic_id) {
    for (unsigned cpu = 0; cpu < core.cpu_count; ++cpu) {
      if (core.apic_id[cpu] != *target.apic_id) continue;
      out = affinity_of(cpu);
      return contains(reachable, cpu) ? STATUS_SUCCESS : STATUS_NOT_SUPPORTED;
    }
    return STATUS_NOT_FOUND;
  }
  const KAFFINITY active = target.affinity & core.active_cpus();
  if (active == 0) return STATUS_INVALID_PARAMETER_3;
  out = active & reachable;
  return out != 0 ? STATUS_SUCCESS : STATUS_NOT_SUPPORTED;
}

std::uint64_t compose_entry(const InterruptCore& core, const InterruptSource& src) {
  const std::uint64_t dest = core.apic_id[src.current.cpu];
  std::uint64_t e = rte::Vector::make(src.current.vector) |
                    rte::DeliveryMode::make(static_cast<std::uint64_t>(hw::DeliveryMode::Fixed)) |
                    rte::Polarity::make(static_cast<std::uint64_t>(src.polarity)) |
                    rte::TriggerMode::make(static_cast<std::uint64_t>(src.trigger)) |
                    rte::Mask::make(src.entry_masked() ? 1 : 0) | rte::Destination::make(dest & 0xFF);
  if (core.ioapic_extended_destination_id) e |= rte::ExtendedDestination::make(dest >> 8);
  return e;  // destination mode physical (0)
}

void apply_mask(InterruptCore& core, InterruptSource& src) {
  if (!src.is_line()) return;
  const std::uint64_t low = compose_entry(core, src) & 0xFFFF'FFFFu;
  // While a level move waits, the chip still holds the old vector: touch only the mask.
  const std::uint64_t chip = core.ioapics.read_entry(src.pin) & 0xFFFF'FFFFu;
  const std::uint64_t next = src.deferred ? (chip | rte::Mask::mask) : low;
  core.ioapics.write_low(src.pin, static_cast<std::uint32_t>(next));
}

namespace {
void unlink_cleanup(InterruptCore& core, InterruptSource& src) {
  InterruptSource** link = &core.cpus[src.previous.cpu].cleanup_head;
  while (*link != nullptr && *link != &src) link = &(*link)->cleanup_next;
  if (*link == &src) *link = src.cleanup_next;
  src.cleanup_next = nullptr;
}
}  // namespace

// The vectors are not freed here: an edge (or a message) accepted by the target CPU
// before the mask took effect may still wait in its IRR, and the vector must not go to
// another source before that interrupt has been taken. Each vector waits on its CPU's
// cleanup list like a moved line's old vector (line_move.cc); the CPU frees it.
bool release_reference(InterruptCore& core, InterruptSource& src) {
  if (--src.references != 0) return false;
  KAFFINITY cleanup = 0;
  {
    IrqSpinLockGuard v(core.vector_lock, core.platform);
    {
      IrqSpinLockGuard io(core.ioapic_lock, core.platform);
      src.enabled = false;
      src.deferred = false;
      if (src.is_line()) {
        core.ioapics.write_low(src.pin, core.ioapics.read_entry(src.pin) | rte::Mask::mask);
        (void)core.ioapics.read_entry(src.pin);  // flush the mask before cleanup is requested
      }
    }
    if (src.move.load(std::memory_order_relaxed) != MoveState::Idle) {
      unlink_cleanup(core, src);
      retire_vector(core, src.previous);
      cleanup |= affinity_of(src.previous.cpu);
      if (src.has_bridge) retire_vector(core, src.bridge);  // on the old CPU too
    }
    src.has_bridge = false;
    src.move.store(MoveState::Idle, std::memory_order_release);
    retire_vector(core, src.current);
    cleanup |= affinity_of(src.current.cpu);
  }
  for_each_cpu(cleanup, [&](unsigned cpu) { request_cleanup(core, cpu); });
  return true;
}

void recycle_source(InterruptSource& src) {
  src.kind = SourceKind::Unused;
  ++src.generation;  // at kRetired the record is never allocated again (free_record)
}

void wait_for_dispatchers(InterruptCore& core) {
  std::array<DispatchTracker::Snapshot, kMaxCpus> snap{};
  for (unsigned cpu = 0; cpu < core.cpu_count; ++cpu) snap[cpu] = core.cpus[cpu].tracker.snapshot();
  for (unsigned cpu = 0; cpu < core.cpu_count; ++cpu) {
    while (!core.cpus[cpu].tracker.passed(snap[cpu])) core.platform.cpu_relax();
  }
}

}  // namespace irqshape::kern::detail
