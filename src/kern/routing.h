// HAL routing: which CPU and vector a source gets, and programming the I/O APIC entry
// or composing the MSI message for it. Policy (docs/kernel-interrupts.md, "Routing"):
//   * the caller names a target APIC id or an affinity set; an affinity set is cut down
//     to active CPUs whose APIC id the message format can express;
//   * the vector matrix picks, among those, the CPU with the most free vectors in the
//     class of the run level, and the vector (vector_allocator.h);
//   * I/O APIC lines are programmed fixed, physical, to that CPU's APIC id, with trigger
//     and polarity from the caller, else the interrupt source overrides, else the bus
//     default (source_override.h), and stay masked until a driver connects;
//   * moving a line (SetSystemInterruptAffinity) keeps the old vector mapped until the
//     entry has been reprogrammed and the old CPU has nothing pending or in service on
//     it; level lines are only reprogrammed masked with remote IRR clear.
//
// Sources are reference counted: each allocation and each connection holds one. The
// last release (ReleaseSystemInterrupt or IoDisconnectInterrupt) masks the line and
// unmaps its vectors; each goes back to the vector matrix only when its CPU's cleanup
// pass sees it neither pending nor in service there (line_move.cc). Allocating a GSI that is already allocated shares the source (same
// run level and line settings required): that is how two drivers share a PCI line.
#pragma once

#include <cstdint>
#include <optional>

#include "hw/msi.h"
#include "hw/register_window.h"
#include "kern/interrupt_core.h"
#include "kern/source_override.h"
#include "kern/status.h"
#include "kern/system_interrupt.h"

namespace irqshape::kern {

struct RouteTarget {
  KAFFINITY affinity = ~KAFFINITY{0};
  std::optional<std::uint32_t> apic_id;  // when set, exactly that CPU

  [[nodiscard]] static constexpr RouteTarget cpus(KAFFINITY set) { return {set, std::nullopt}; }
  [[nodiscard]] static constexpr RouteTarget apic(std::uint32_t id) { return {0, id}; }
};

// Setup. HalRegisterIoApic reads the pin count and masks every entry.
NTSTATUS HalRegisterIoApic(InterruptCore& core, hw::RegisterWindow& window, std::uint32_t gsi_base);
NTSTATUS HalRegisterSourceOverride(InterruptCore& core, const SourceOverride& override_entry);
// Runs on `cpu`: spurious vector, software enable, EOI-broadcast suppression when
// directed EOI is configured and supported, TPR 0. STATUS_INVALID_PARAMETER_1 for a
// CPU index outside the configuration.
NTSTATUS HalInitializeProcessor(InterruptCore& core, unsigned cpu);

// Parameters are numbered for STATUS_INVALID_PARAMETER_n without counting `core`:
// Request 1, RunLevel 2, Target 3, Out 4.
//   _1 bad ISA IRQ, or the GSI is already allocated with other line settings
//   _2 RunLevel outside the device IRQLs (3..12), or differs from a shared allocation's
//   _3 no active CPU in the affinity set
//   STATUS_NOT_FOUND       no I/O APIC has the GSI, or no CPU has the APIC id
//   STATUS_NOT_SUPPORTED   the target's APIC id cannot be expressed in an I/O APIC entry
//                          (above 254 without the extended destination id)
//   STATUS_INSUFFICIENT_RESOURCES  no free vector in the class on any candidate CPU, or
//                          no free source record
NTSTATUS AllocateSystemInterrupt(InterruptCore& core, const LineRequest& Request, KIRQL RunLevel,
                                 const RouteTarget& Target, SystemInterrupt* Out);
// An MSI source: a vector only; ComposeMsiMessage gives what to write into the device.
// Owner 1, RunLevel 2, Target 3, Out 4.
NTSTATUS AllocateMessageInterrupt(InterruptCore& core, const char* Owner, KIRQL RunLevel,
                                  const RouteTarget& Target, SystemInterrupt* Out);
NTSTATUS ReleaseSystemInterrupt(InterruptCore& core, SystemVector Vector);
NTSTATUS QuerySystemInterrupt(InterruptCore& core, SystemVector Vector, SystemInterrupt* Out);
NTSTATUS ComposeMsiMessage(InterruptCore& core, SystemVector Vector, hw::msi::Message* Out);

// Moves an I/O APIC line to a CPU of `Target` that every current connection covers.
//   STATUS_SUCCESS       done (or already on a CPU of the new set: only the set changed)
//   STATUS_PENDING       a level line with remote IRR set: it stays masked with the old
//                        vector and the old CPU finishes the move by itself once that
//                        interrupt's EOI has reached the I/O APIC (its dispatcher, or
//                        its cleanup pass when the EOI lands late; line_move.cc)
//   STATUS_DEVICE_BUSY   the previous move has not finished freeing its old vector
//   STATUS_NOT_SUPPORTED MSI sources (the device must be reprogrammed by its driver)
//   _2                   no CPU of the set is covered by every connection
NTSTATUS SetSystemInterruptAffinity(InterruptCore& core, SystemVector Vector, const RouteTarget& Target);

}  // namespace irqshape::kern
