// Allocating, describing and releasing interrupt sources.
#include "kern/routing.h"

#include "hw/ioapic_regs.h"
#include "kern/source_internal.h"

namespace irqshape::kern {

using detail::lookup;

namespace {

InterruptSource* find_line(InterruptCore& core, std::uint32_t gsi) {
  for (InterruptSource& s : core.sources)
    if (s.kind == SourceKind::IoApicLine && s.gsi == gsi) return &s;
  return nullptr;
}

InterruptSource* free_record(InterruptCore& core) {
  for (InterruptSource& s : core.sources)
    if (s.kind == SourceKind::Unused && s.generation != InterruptSource::kRetired) return &s;
  return nullptr;
}

SystemInterrupt describe(const InterruptSource& s) {
  SystemInterrupt out;
  out.Vector = s.handle();
  out.Irql = s.irql;
  out.Affinity = s.affinity;
  out.Cpu = s.current.cpu;
  out.IdtVector = s.current.vector;
  out.Kind = s.kind;
  out.Gsi = s.gsi;
  out.Trigger = s.trigger;
  out.Polarity = s.polarity;
  return out;
}

// Config lock held. Fills the record, takes a vector and maps it; on exhaustion the
// record is left unused and nothing else has changed.
NTSTATUS install(InterruptCore& core, InterruptSource& src, KIRQL level, KAFFINITY candidates) {
  src.irql = level;
  src.affinity = candidates;
  src.references = 1;
  src.connections = 0;
  src.enabled = src.storm_masked = src.deferred = false;
  src.move.store(MoveState::Idle, std::memory_order_relaxed);
  src.cleanup_next = nullptr;
  src.has_bridge = false;
  src.spurious.reset();
  src.storm_reported.store(false, std::memory_order_relaxed);
  IrqSpinLockGuard v(core.vector_lock, core.platform);
  const auto owner = static_cast<std::uint16_t>(src.index + 1);
  const std::optional<VectorAssignment> a = core.vectors.allocate(candidates, level, owner);
  if (!a) return STATUS_INSUFFICIENT_RESOURCES;
  src.current = *a;
  src.previous = *a;
  // Publishing the record: every field above happens-before a dispatcher finding it.
  core.cpus[a->cpu].table[a->vector].store(&src, std::memory_order_seq_cst);
  return STATUS_SUCCESS;
}

// Config lock held: a second allocation of a line joins it.
NTSTATUS share_line(InterruptSource& src, const ResolvedLine& line, KIRQL level, SystemInterrupt* out) {
  if (src.trigger != line.trigger || src.polarity != line.polarity) return STATUS_INVALID_PARAMETER_1;
  if (src.irql != level) return STATUS_INVALID_PARAMETER_2;
  ++src.references;
  *out = describe(src);
  return STATUS_SUCCESS;
}

void program_new_line(InterruptCore& core, InterruptSource& src) {
  IrqSpinLockGuard io(core.ioapic_lock, core.platform);
  // A remote IRR left set by a previous owner would swallow the first level interrupt.
  core.ioapics.clear_remote_irr(src.pin);
  core.ioapics.write_entry(src.pin, detail::compose_entry(core, src));
}

}  // namespace

NTSTATUS AllocateSystemInterrupt(InterruptCore& core, const LineRequest& Request, KIRQL RunLevel,
                                 const RouteTarget& Target, SystemInterrupt* Out) {
  if (Out == nullptr) return STATUS_INVALID_PARAMETER_4;
  if (!is_device_irql(RunLevel)) return STATUS_INVALID_PARAMETER_2;
  SpinLockGuard config(core.config_lock, core.platform);
  ResolvedLine line;
  if (NTSTATUS s = core.overrides.resolve(Request, line); !NT_SUCCESS(s)) return s;
  const std::optional<IoApicPin> pin = core.ioapics.find(line.gsi);
  if (!pin) return STATUS_NOT_FOUND;
  if (InterruptSource* shared = find_line(core, line.gsi)) return share_line(*shared, line, RunLevel, Out);
  KAFFINITY candidates = 0;
  if (NTSTATUS s = detail::resolve_target(core, SourceKind::IoApicLine, Target, candidates); !NT_SUCCESS(s)) return s;
  InterruptSource* src = free_record(core);
  if (src == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  src->gsi = line.gsi;
  src->pin = *pin;
  src->trigger = line.trigger;
  src->polarity = line.polarity;
  src->owner = Request.owner != nullptr ? Request.owner : "";
  src->kind = SourceKind::IoApicLine;
  if (NTSTATUS s = install(core, *src, RunLevel, candidates); !NT_SUCCESS(s)) {
    src->kind = SourceKind::Unused;
    return s;
  }
  program_new_line(core, *src);
  *Out = describe(*src);
  return STATUS_SUCCESS;
}

NTSTATUS AllocateMessageInterrupt(InterruptCore& core, const char* Owner, KIRQL RunLevel, const RouteTarget& Target,
                                  SystemInterrupt* Out) {
  if (Out == nullptr) return STATUS_INVALID_PARAMETER_4;
  if (!is_device_irql(RunLevel)) return STATUS_INVALID_PARAMETER_2;
  SpinLockGuard config(core.config_lock, core.platform);
  KAFFINITY candidates = 0;
  if (NTSTATUS s = detail::resolve_target(core, SourceKind::Message, Target, candidates); !NT_SUCCESS(s)) return s;
  InterruptSource* src = free_record(core);
  if (src == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  src->gsi = 0;
  src->pin = {};
  src->trigger = hw::TriggerMode::Edge;
  src->polarity = hw::Polarity::ActiveHigh;
  src->owner = Owner != nullptr ? Owner : "";
  src->kind = SourceKind::Message;
  if (NTSTATUS s = install(core, *src, RunLevel, candidates); !NT_SUCCESS(s)) {
    src->kind = SourceKind::Unused;
    return s;
  }
  *Out = describe(*src);
  return STATUS_SUCCESS;
}

NTSTATUS ReleaseSystemInterrupt(InterruptCore& core, SystemVector Vector) {
  SpinLockGuard config(core.config_lock, core.platform);
  InterruptSource* src = lookup(core, Vector);
  if (src == nullptr) return STATUS_INVALID_PARAMETER_1;
  if (src->references == src->connections) return STATUS_INVALID_DEVICE_STATE;  // only connections hold it
  if (detail::release_reference(core, *src)) {
    detail::wait_for_dispatchers(core);
    detail::recycle_source(*src);
  }
  return STATUS_SUCCESS;
}

NTSTATUS QuerySystemInterrupt(InterruptCore& core, SystemVector Vector, SystemInterrupt* Out) {
  if (Out == nullptr) return STATUS_INVALID_PARAMETER_2;
  SpinLockGuard config(core.config_lock, core.platform);
  const InterruptSource* src = lookup(core, Vector);
  if (src == nullptr) return STATUS_INVALID_PARAMETER_1;
  *Out = describe(*src);
  return STATUS_SUCCESS;
}

NTSTATUS ComposeMsiMessage(InterruptCore& core, SystemVector Vector, hw::msi::Message* Out) {
  if (Out == nullptr) return STATUS_INVALID_PARAMETER_2;
  SpinLockGuard config(core.config_lock, core.platform);
  const InterruptSource* src = lookup(core, Vector);
  if (src == nullptr || src->kind != SourceKind::Message) return STATUS_INVALID_PARAMETER_1;
  hw::InterruptMessage m;
  m.destination = core.apic_id[src->current.cpu];
  m.vector = src->current.vector;
  m.delivery_mode = hw::DeliveryMode::Fixed;
  m.destination_mode = hw::DestinationMode::Physical;
  m.trigger_mode = hw::TriggerMode::Edge;
  const std::optional<hw::msi::Message> msg = hw::msi::encode(m, core.msi_format);
  if (!msg) return STATUS_NOT_SUPPORTED;
  *Out = *msg;
  return STATUS_SUCCESS;
}

}  // namespace irqshape::kern
