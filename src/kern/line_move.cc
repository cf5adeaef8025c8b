// Moving a line to another CPU without losing an interrupt (after Linux's
// arch/x86/kernel/apic/vector.c and io_apic.c).
//
// The new vector is mapped before the entry changes, so from the first message with it
// the new CPU finds the source. The old vector stays mapped on the old CPU until that
// CPU, running its cleanup list (kMoveCleanupVector), sees it neither pending in IRR
// nor in service in ISR; the check runs on the old CPU itself because only a CPU can
// read its own local APIC. Every rewrite is read back, so it has reached the chip
// before the old CPU is asked to clean up.
//
// Edge lines: an 82093AA drops an edge that arrives while its entry is masked, so when
// it can an edge line is moved without masking. The new vector is chosen free on both
// CPUs and held on both ("bridge"); the low dword is written first (old destination,
// new vector: valid on the old CPU) and then the high dword (new destination). Each
// 32-bit write is atomic and every entry the chip can see in between names a vector
// mapped on the CPU it goes to. Without a common free vector the entry is rewritten
// masked (mask, high, low), as Linux does, and an edge in that window is lost.
//
// Level lines are reprogrammed only while masked with remote IRR clear: otherwise the
// EOI for the interrupt in flight would carry the old vector and never clear remote IRR
// on the new entry, and the line would be dead. A masked level line loses nothing (the
// level is still there when it is unmasked). If remote IRR is set, the line stays
// masked with the old vector until that interrupt's EOI has reached the I/O APIC.
//
// The EOI reaches the I/O APIC asynchronously: a broadcast EOI is a message the local
// APIC sends after the EOI write (and an x2APIC EOI WRMSR is not serializing), a
// directed EOI is a posted MMIO write. So "the dispatcher EOIs, then looks at the move
// state" does not mean remote IRR is clear when it looks, nor that a dispatcher will
// look after the control path announced the move: the old CPU may have EOI'd and looked
// (seeing no move) just before, its EOI still on the way. Two parties therefore finish a
// waiting level move, both under the vector and I/O APIC locks, and only while the
// state is still AwaitingRemoteIrr and remote IRR reads clear, so exactly one does it:
//   * the old CPU's dispatcher right after its EOI (the common case: the EOI has landed
//     by the time it reads the entry back);
//   * the old CPU's cleanup pass. The source joins the old CPU's cleanup list when the
//     move starts and the old CPU is sent the cleanup IPI also for STATUS_PENDING. The
//     interrupt in flight was accepted by that CPU before remote IRR could read set, and
//     the cleanup vector is the lowest class, so the pass runs after its dispatch; while
//     remote IRR still reads set (EOI on its way) or the old vector is pending or in
//     service there, the pass leaves the source listed and sends itself another cleanup
//     IPI, as for any busy vector. The EOI lands in bounded time, so the move completes
//     without further calls and without a timed wait anywhere.
//
// Releasing a source (source_lifetime.cc) uses the same pass: its vectors are unmapped
// at once (an interrupt still pending for one is dispatched as unexpected) but stay
// taken in the vector matrix, listed in their CPU's `released` set, until that CPU's
// cleanup pass sees them neither pending nor in service; only then can another source
// get them. Without that, an edge or message accepted before the mask took effect
// would run the ISR of the vector's next owner.
//
// Not covered: on real hardware a message already on its way when the entry changed
// (or when a released line was masked, or a device sent an MSI after its driver
// released the source) could reach the CPU after its cleanup check (Linux waits for
// the first interrupt on the new vector for moves). QEMU and the simulator deliver
// synchronously.
#include "hw/ioapic_regs.h"
#include "kern/routing.h"
#include "kern/source_internal.h"
#include "kern/system_vectors.h"

namespace irqshape::kern {

using hw::ioapic::rte::RemoteIrr;

namespace {

// Config lock held. CPUs on which every connection of the source has an object.
KAFFINITY covered_cpus(const InterruptSource& src, KAFFINITY candidates) {
  if (src.connections == 0) return candidates;
  KAFFINITY covered = 0;
  for_each_cpu(candidates, [&](unsigned cpu) {
    unsigned n = 0;
    for (KINTERRUPT* o = src.chain[cpu].load(std::memory_order_relaxed); o; o = o->Next.load(std::memory_order_relaxed)) ++n;
    if (n == src.connections) covered |= affinity_of(cpu);
  });
  return covered;
}

// Vector and I/O APIC locks held: the entry already masked and remote IRR clear (level)
// or an edge line; the source already on the old CPU's cleanup list. Returns with the
// move waiting for the old CPU's cleanup.
void reprogram(InterruptCore& core, InterruptSource& src) {
  src.deferred = false;
  const std::uint64_t entry = detail::compose_entry(core, src);
  if (src.has_bridge) {
    core.ioapics.write_low(src.pin, static_cast<std::uint32_t>(entry));
    core.ioapics.write_high(src.pin, static_cast<std::uint32_t>(entry >> 32));
  } else {
    core.ioapics.write_entry(src.pin, entry);
  }
  (void)core.ioapics.read_entry(src.pin);  // flush the write before cleanup is requested
  src.move.store(MoveState::AwaitingCleanup, std::memory_order_release);
}

// Vector lock held, `next` mapped. Switches the route under the I/O APIC lock too, so
// the dispatcher's storm masking (I/O APIC lock only) never composes an entry from a
// half-written route. Returns STATUS_SUCCESS or STATUS_PENDING (level, remote IRR set);
// either way the caller sends the old CPU its cleanup IPI.
NTSTATUS switch_entry(InterruptCore& core, InterruptSource& src, VectorAssignment next) {
  IrqSpinLockGuard io(core.ioapic_lock, core.platform);
  src.previous = src.current;
  src.current = next;
  detail::queue_cleanup(core, src);
  if (src.is_level()) {
    src.deferred = true;
    detail::apply_mask(core, src);
    // Announce the wait before sampling remote IRR, so a dispatcher that EOIs after the
    // sample looks after this store and can finish the move at once. One that looked
    // before it may have left its EOI in flight: the cleanup pass covers that case.
    src.move.store(MoveState::AwaitingRemoteIrr, std::memory_order_seq_cst);
    if (RemoteIrr::test(core.ioapics.read_entry(src.pin))) return STATUS_PENDING;
  }
  reprogram(core, src);
  return STATUS_SUCCESS;
}

// Vector lock held. Takes and maps the vector the line moves to: for an edge line a
// bridged one when possible (see the top of the file).
std::optional<VectorAssignment> allocate_new_vector(InterruptCore& core, InterruptSource& src, KAFFINITY candidates) {
  const auto owner = static_cast<std::uint16_t>(src.index + 1);
  const unsigned old_cpu = src.current.cpu;
  std::optional<VectorAssignment> a;
  if (!src.is_level()) a = core.vectors.allocate_bridged(old_cpu, candidates, src.irql, owner);
  src.has_bridge = a.has_value();
  if (src.has_bridge) {
    src.bridge = {old_cpu, a->vector};
    core.cpus[old_cpu].table[a->vector].store(&src, std::memory_order_seq_cst);
  } else {
    a = core.vectors.allocate(candidates, src.irql, owner);
    if (!a) return std::nullopt;
  }
  core.cpus[a->cpu].table[a->vector].store(&src, std::memory_order_seq_cst);
  return a;
}

}  // namespace

NTSTATUS SetSystemInterruptAffinity(InterruptCore& core, SystemVector Vector, const RouteTarget& Target) {
  SpinLockGuard config(core.config_lock, core.platform);
  InterruptSource* src = detail::lookup(core, Vector);
  if (src == nullptr) return STATUS_INVALID_PARAMETER_1;
  if (src->kind != SourceKind::IoApicLine) return STATUS_NOT_SUPPORTED;
  KAFFINITY candidates = 0;
  if (NTSTATUS s = detail::resolve_target(core, src->kind, Target, candidates); !NT_SUCCESS(s)) return s;
  candidates = covered_cpus(*src, candidates);
  if (candidates == 0) return STATUS_INVALID_PARAMETER_2;
  // Backstop for a level move whose EOI the old CPU's dispatcher did not see through.
  if (src->move.load(std::memory_order_acquire) == MoveState::AwaitingRemoteIrr) {
    detail::complete_deferred_move(core, *src, std::nullopt);
  }
  if (src->move.load(std::memory_order_acquire) != MoveState::Idle) return STATUS_DEVICE_BUSY;
  if (contains(candidates, src->current.cpu)) {
    src->affinity = candidates;
    return STATUS_SUCCESS;
  }
  NTSTATUS status = STATUS_SUCCESS;
  unsigned old_cpu = 0;
  {
    IrqSpinLockGuard v(core.vector_lock, core.platform);
    const std::optional<VectorAssignment> a = allocate_new_vector(core, *src, candidates);
    if (!a) return STATUS_INSUFFICIENT_RESOURCES;
    src->affinity = candidates;
    old_cpu = src->current.cpu;
    status = switch_entry(core, *src, *a);
  }
  detail::request_cleanup(core, old_cpu);  // also for STATUS_PENDING: see the top of the file
  return status;
}

namespace detail {

void queue_cleanup(InterruptCore& core, InterruptSource& src) {
  CpuInterruptState& old = core.cpus[src.previous.cpu];
  src.cleanup_next = old.cleanup_head;
  old.cleanup_head = &src;
}

void retire_vector(InterruptCore& core, VectorAssignment a) {
  core.cpus[a.cpu].table[a.vector].store(nullptr, std::memory_order_seq_cst);
  core.cpus[a.cpu].released.set(a.vector);
}

// An xAPIC IPI is two register writes (destination, then command). A dispatch that
// sends its own IPI between them would send this one to its destination instead - and
// the old CPU would never free the vector. Interrupts stay off across the send (and the
// lookup of the current CPU, so the sender cannot change under it).
void request_cleanup(InterruptCore& core, unsigned cpu) {
  Platform& p = core.platform;
  const bool were_enabled = p.disable_interrupts();
  p.local_apic(p.current_cpu()).send_ipi(core.apic_id[cpu], kMoveCleanupVector);
  p.restore_interrupts(were_enabled);
}

namespace {
// Vector lock held, on `cpu`: frees one of the source's vectors here.
void unmap_local(InterruptCore& core, unsigned cpu, VectorAssignment a) {
  core.cpus[cpu].table[a.vector].store(nullptr, std::memory_order_seq_cst);
  core.vectors.free(a);
}

bool still_busy(LocalApicRegisters& lapic, const InterruptSource& src) {
  return lapic.pending_or_in_service(src.previous.vector) ||
         (src.has_bridge && lapic.pending_or_in_service(src.bridge.vector));
}

// Vector lock held, on the source's old CPU. Whether its old vectors can be freed now.
// A level move still waiting for remote IRR is finished here first once remote IRR
// reads clear (the EOI of the interrupt in flight has landed; the entry is masked, so
// nothing sets it again) and the old vector is neither pending nor in service here.
bool ready_to_free(InterruptCore& core, LocalApicRegisters& lapic, InterruptSource& src) {
  if (src.move.load(std::memory_order_relaxed) != MoveState::AwaitingRemoteIrr) return !still_busy(lapic, src);
  IrqSpinLockGuard io(core.ioapic_lock, core.platform);
  if (RemoteIrr::test(core.ioapics.read_entry(src.pin))) return false;
  if (still_busy(lapic, src)) return false;
  reprogram(core, src);
  return true;
}
}  // namespace

// Runs on `cpu`, inside the dispatcher. A vector still pending or in service, or a level
// move whose interrupt's EOI has not reached the I/O APIC yet, stays on the list and the
// CPU sends itself another cleanup IPI: being the lowest class, it is taken only after
// the pending device vector.
void process_cleanup(InterruptCore& core, unsigned cpu) {
  bool retry = false;
  {
    IrqSpinLockGuard v(core.vector_lock, core.platform);
    LocalApicRegisters& lapic = core.platform.local_apic(cpu);
    hw::VectorSet& released = core.cpus[cpu].released;
    for (int vec = released.lowest_from(0); vec != hw::VectorSet::kNone;
         vec = released.lowest_from(static_cast<unsigned>(vec) + 1)) {
      const auto vector = static_cast<std::uint8_t>(vec);
      if (lapic.pending_or_in_service(vector)) {
        retry = true;
        continue;
      }
      released.clear(vector);
      core.vectors.free({cpu, vector});
    }
    InterruptSource** link = &core.cpus[cpu].cleanup_head;
    while (InterruptSource* src = *link) {
      if (!ready_to_free(core, lapic, *src)) {
        retry = true;
        link = &src->cleanup_next;
        continue;
      }
      *link = src->cleanup_next;
      src->cleanup_next = nullptr;
      unmap_local(core, cpu, src->previous);
      if (src->has_bridge) unmap_local(core, cpu, src->bridge);
      src->has_bridge = false;
      src->previous = src->current;
      src->move.store(MoveState::Idle, std::memory_order_release);
    }
  }
  if (retry) request_cleanup(core, cpu);
}

void complete_deferred_move(InterruptCore& core, InterruptSource& src, std::optional<unsigned> cpu) {
  unsigned old_cpu = 0;
  {
    IrqSpinLockGuard v(core.vector_lock, core.platform);
    IrqSpinLockGuard io(core.ioapic_lock, core.platform);
    if (src.move.load(std::memory_order_relaxed) != MoveState::AwaitingRemoteIrr) return;
    // The EOI is still on its way: the old CPU's cleanup pass finishes the move.
    if (RemoteIrr::test(core.ioapics.read_entry(src.pin))) return;
    old_cpu = src.previous.cpu;
    reprogram(core, src);
  }
  if (old_cpu == cpu) {
    process_cleanup(core, old_cpu);
  } else {
    request_cleanup(core, old_cpu);
  }
}

}  // namespace detail
}  // namespace irqshape::kern
