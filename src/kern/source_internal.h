// Operations on interrupt sources shared by routing, connect and the dispatcher. Not
// part of the driver-facing API. Each function states the locks it expects.
#pragma once

#include <cstdint>
#include <optional>

#include "kern/interrupt_core.h"
#include "kern/status.h"

namespace irqshape::kern {
struct RouteTarget;
}

namespace irqshape::kern::detail {

// Config lock held. nullptr for a stale or malformed handle.
[[nodiscard]] InterruptSource* lookup(InterruptCore& core, SystemVector vector);

// CPUs whose APIC id the source's message format can name (I/O APIC entry or MSI).
[[nodiscard]] KAFFINITY reachable_cpus(const InterruptCore& core, SourceKind kind);
// Candidate CPUs for a route request, or a status naming what is wrong with it.
[[nodiscard]] NTSTATUS resolve_target(const InterruptCore& core, SourceKind kind, const RouteTarget& target,
                                      KAFFINITY& out);

// I/O APIC lock held. The redirection entry for the source's current route, with the
// mask bit from its effective mask state.
[[nodiscard]] std::uint64_t compose_entry(const InterruptCore& core, const InterruptSource& src);
// I/O APIC lock held. Rewrites only the mask bit (low dword) from the effective state.
void apply_mask(InterruptCore& core, InterruptSource& src);

// Config lock held. Drops one reference; the last one masks the entry, unmaps the
// vectors from the per-CPU tables and hands them to their CPUs' cleanup passes
// (retire_vector), which free them. Returns true when the record must be recycled once
// the dispatchers have drained (recycle_source).
[[nodiscard]] bool release_reference(InterruptCore& core, InterruptSource& src);
void recycle_source(InterruptSource& src);

// Config lock held (or setup). Returns once every CPU has been outside the dispatcher
// at some point after the call: nothing unlinked before the call is still in use.
void wait_for_dispatchers(InterruptCore& core);

// Vector lock held. Queues the source's previous vector for freeing on its CPU (at the
// start of a move; a level move waiting for remote IRR is finished from there too).
void queue_cleanup(InterruptCore& core, InterruptSource& src);
// Vector lock held. Unmaps a released source's vector and leaves it taken until its
// CPU's cleanup pass sees it neither pending nor in service there (the caller then
// sends that CPU its cleanup IPI): an interrupt accepted before the entry was masked is
// dispatched as unexpected instead of reaching whoever gets the vector next.
void retire_vector(InterruptCore& core, VectorAssignment a);
// Asks `cpu` to run its cleanup list (an IPI with kMoveCleanupVector).
void request_cleanup(InterruptCore& core, unsigned cpu);
// Dispatcher on `cpu`: finishes level moves whose remote IRR reads clear and frees
// queued and retired vectors that are neither pending nor in service; retries the rest.
void process_cleanup(InterruptCore& core, unsigned cpu);
// After the EOI of a level line whose move waits for remote IRR: the dispatcher on
// `cpu` (which runs the old CPU's cleanup itself when it is that CPU), or a control
// path (nullopt: the old CPU is sent its cleanup IPI). Does nothing while remote IRR
// still reads set (the EOI not landed yet): the old CPU's cleanup pass finishes then.
void complete_deferred_move(InterruptCore& core, InterruptSource& src, std::optional<unsigned> cpu);

}  // namespace irqshape::kern::detail
