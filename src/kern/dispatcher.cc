#include "kern/dispatcher.h"

#include <bit>

#include "kern/source_internal.h"
#include "kern/system_vectors.h"

namespace irqshape::kern {

namespace {

// Brackets a dispatch: the drain tracker (dispatch_tracker.h) and the payload, both
// restored for nested dispatches.
class [[nodiscard]] DispatchScope {
 public:
  DispatchScope(CpuInterruptState& cpu, std::optional<std::uint64_t> payload)
      : cpu_(cpu), had_(cpu.has_payload), saved_(cpu.payload) {
    cpu_.tracker.enter();
    cpu_.has_payload = payload.has_value();
    cpu_.payload = payload.value_or(0);
  }
  ~DispatchScope() {
    cpu_.has_payload = had_;
    cpu_.payload = saved_;
    cpu_.tracker.exit();
  }
  DispatchScope(const DispatchScope&) = delete;
  DispatchScope& operator=(const DispatchScope&) = delete;

 private:
  CpuInterruptState& cpu_;
  bool had_;
  std::uint64_t saved_;
};

// Object counters have one writer, the dispatcher of the object's CPU holding the
// object's lock, so no locked RMW is needed. Per-CPU counters use one (count()): a
// nested dispatch could land between a load and a store.
void bump(std::atomic<std::uint64_t>& c) { c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
void count(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

bool call_isr(Platform& platform, KINTERRUPT& obj) {
  IrqlSpinLockGuard guard(*obj.ActualLock, platform, obj.SynchronizeIrql);
  bump(obj.DispatchCount);
  const bool claimed = obj.ServiceRoutine(&obj, obj.ServiceContext);
  if (claimed) bump(obj.ServiceCount);
  return claimed;
}

KINTERRUPT* next(KINTERRUPT* o) { return o->Next.load(std::memory_order_seq_cst); }

bool run_pass(Platform& platform, KINTERRUPT* head, bool stop_at_first) {
  bool any = false;
  for (KINTERRUPT* o = head; o != nullptr; o = next(o)) {
    if (!call_isr(platform, *o)) continue;
    if (stop_at_first) return true;
    any = true;
  }
  return any;
}

bool run_chain(InterruptCore& core, InterruptSource& src, unsigned cpu) {
  KINTERRUPT* head = src.chain[cpu].load(std::memory_order_seq_cst);
  if (head == nullptr) return false;
  if (head->Mode == LevelSensitive) return run_pass(core.platform, head, true);
  if (next(head) == nullptr) return call_isr(core.platform, *head);
  bool handled = false;
  for (unsigned pass = 0; pass < kMaxLatchedPasses && run_pass(core.platform, head, false); ++pass) handled = true;
  return handled;
}

// Linux's note_interrupt: a stuck line is masked (I/O APIC lines) and reported.
void note_interrupt(InterruptCore& core, InterruptSource& src, unsigned cpu, std::uint8_t vector, bool handled) {
  const std::uint32_t unhandled = src.spurious.note(handled);
  if (unhandled == 0) return;
  if (src.is_line()) {
    IrqSpinLockGuard io(core.ioapic_lock, core.platform);
    src.storm_masked = true;
    detail::apply_mask(core, src);
  }
  src.storm_reported.store(true, std::memory_order_relaxed);
  core.storms.push({src.handle(), src.kind, src.gsi, cpu, vector, unhandled, src.is_line(), src.owner},
                   core.platform);
}

void end_of_interrupt(InterruptCore& core, const InterruptSource& src, CpuInterruptState& c, LocalApicRegisters& lapic,
                      std::uint8_t vector) {
  lapic.eoi();
  if (src.is_level() && c.eoi_broadcast_suppressed) core.ioapics.eoi(src.pin, vector);
}

}  // namespace

void KiInterruptDispatch(InterruptCore& core, unsigned cpu, std::uint8_t vector, std::optional<std::uint64_t> payload) {
  if (cpu >= core.cpu_count) return;
  CpuInterruptState& c = core.cpus[cpu];
  count(c.dispatched);
  if (vector == kSpuriousVector) {
    count(c.apic_spurious);
    return;
  }
  DispatchScope scope(c, payload);
  LocalApicRegisters& lapic = core.platform.local_apic(cpu);
  if (vector == kMoveCleanupVector) {
    detail::process_cleanup(core, cpu);
    lapic.eoi();
    return;
  }
  InterruptSource* src = c.table[vector].load(std::memory_order_seq_cst);
  if (src == nullptr) {
    count(c.unexpected);
    c.unexpected_vectors[vector >> 6].fetch_or(std::uint64_t{1} << (vector & 63), std::memory_order_relaxed);
    lapic.eoi();
    return;
  }
  note_interrupt(core, *src, cpu, vector, run_chain(core, *src, cpu));
  end_of_interrupt(core, *src, c, lapic, vector);
  if (src->move.load(std::memory_order_acquire) == MoveState::AwaitingRemoteIrr) {
    detail::complete_deferred_move(core, *src, cpu);
  }
}

std::optional<std::uint64_t> KeGetInterruptPayload(const KINTERRUPT* Interrupt) {
  const CpuInterruptState& c = Interrupt->Core->cpus[Interrupt->Number];
  if (!c.has_payload) return std::nullopt;
  return c.payload;
}

CpuInterruptCounters KeQueryCpuInterruptCounters(InterruptCore& core, unsigned cpu) {
  if (cpu >= core.cpu_count) return {};
  const CpuInterruptState& c = core.cpus[cpu];
  CpuInterruptCounters out{c.dispatched.load(std::memory_order_relaxed), c.apic_spurious.load(std::memory_order_relaxed),
                           c.unexpected.load(std::memory_order_relaxed), {}};
  for (unsigned w = 0; w < c.unexpected_vectors.size(); ++w)
    for (std::uint64_t bits = c.unexpected_vectors[w].load(std::memory_order_relaxed); bits != 0; bits &= bits - 1)
      out.unexpected_vectors.set(w * 64 + static_cast<unsigned>(std::countr_zero(bits)));
  return out;
}

NTSTATUS QuerySourceInterruptCounters(InterruptCore& core, SystemVector vector, SourceInterruptCounters* out) {
  // Parameters are numbered without `core` (as in QuerySystemInterrupt).
  if (out == nullptr) return STATUS_INVALID_PARAMETER_2;
  SpinLockGuard config(core.config_lock, core.platform);
  InterruptSource* src = detail::lookup(core, vector);
  if (src == nullptr) return STATUS_INVALID_PARAMETER_1;
  out->total = src->spurious.total();
  out->unhandled = src->spurious.unhandled();
  // note_interrupt masks a line in the same step that reports it; an MSI is only reported.
  out->storm_reported = src->storm_reported.load(std::memory_order_relaxed);
  out->storm_masked = out->storm_reported && src->is_line();
  return STATUS_SUCCESS;
}

std::size_t DrainStormReports(InterruptCore& core, std::span<StormReport> out) {
  return core.storms.drain(out, core.platform);
}

std::uint64_t DroppedStormReports(InterruptCore& core) { return core.storms.dropped(core.platform); }

}  // namespace irqshape::kern
