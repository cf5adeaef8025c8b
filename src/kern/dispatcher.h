// The central interrupt dispatcher: what a CPU runs when it takes a vector.
//
// A plain function call, independent of any interrupt frame: the guest's IDT stubs call
// it after saving state, the simulator calls it when a simulated vCPU takes a vector,
// hosted tests call it from the OS thread playing that CPU. It does the EOIs itself.
//
//   kSpuriousVector     counted in apic_spurious; no EOI (SDM: never EOI a spurious)
//   kMoveCleanupVector  frees vectors lines left behind on this CPU; EOI
//   a mapped vector     the source's chain for this CPU runs (below); spurious
//                       accounting; local APIC EOI, plus the I/O APIC's EOI register for
//                       level lines when EOI broadcast is suppressed (directed EOI)
//   anything else       counted in `unexpected`; EOI
//
// Each ISR runs at its object's SynchronizeIrql holding its ActualLock. A level-
// sensitive chain stops at the first ISR that claims the interrupt (the line is still
// asserted if another device wants service, and will fire again). A latched chain with
// more than one object runs pass after pass until one claims nothing, because an edge
// from a second device that arrived while the first was being serviced is not sent
// again (capped at kMaxLatchedPasses so a broken ISR cannot hang the CPU). A lone
// latched object is called once.
//
// Payload: an interrupt delivered with an opaque 64-bit payload (e.g. by the ISU, an
// index into a context ring) passes it here; ISRs read it with KeGetInterruptPayload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "hw/vector_set.h"
#include "kern/interrupt_core.h"
#include "kern/interrupt_object.h"

namespace irqshape::kern {

inline constexpr unsigned kMaxLatchedPasses = 64;

void KiInterruptDispatch(InterruptCore& core, unsigned cpu, std::uint8_t vector,
                         std::optional<std::uint64_t> payload = std::nullopt);

// The payload of the interrupt being dispatched on Interrupt's CPU; nullopt when it
// came without one. Meaningful only inside the ISR (nested dispatches save and restore
// it).
[[nodiscard]] std::optional<std::uint64_t> KeGetInterruptPayload(const KINTERRUPT* Interrupt);

struct CpuInterruptCounters {
  std::uint64_t dispatched = 0;
  std::uint64_t apic_spurious = 0;
  std::uint64_t unexpected = 0;
  hw::VectorSet unexpected_vectors;  // the vectors those came on
};
[[nodiscard]] CpuInterruptCounters KeQueryCpuInterruptCounters(InterruptCore& core, unsigned cpu);

struct SourceInterruptCounters {
  std::uint64_t total = 0;      // interrupts dispatched for the source
  std::uint64_t unhandled = 0;  // of which no ISR claimed
  // A spurious storm was reported (DrainStormReports) for the source; only an I/O APIC
  // line is then masked - an MSI cannot be, and keeps being delivered.
  bool storm_reported = false;
  bool storm_masked = false;
};
NTSTATUS QuerySourceInterruptCounters(InterruptCore& core, SystemVector vector, SourceInterruptCounters* out);

// Moves the storm reports (lines masked for spurious storms) into `out`, oldest first;
// returns how many. Reports that found the ring full are counted in DroppedStormReports.
std::size_t DrainStormReports(InterruptCore& core, std::span<StormReport> out);
[[nodiscard]] std::uint64_t DroppedStormReports(InterruptCore& core);

}  // namespace irqshape::kern
