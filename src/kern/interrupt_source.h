// InterruptSource: the kernel's record of one allocated source (an I/O APIC line or an
// MSI), what Linux calls an irq_desc. The per-CPU vector tables point at it; it holds the
// per-CPU chains of interrupt objects, its route, and its spurious-interrupt accounting.
//
// Records live in a fixed table inside the core and are never freed, only reused, and
// only after every CPU has been seen outside the dispatcher (dispatch_tracker.h), so a
// dispatcher holding a pointer loaded from a vector table always reads a live record.
//
// Which lock guards what (see docs/kernel-interrupts.md for the order):
//   config lock:  identity fields, references, connections, affinity, current
//   vector lock:  current (written with config too), previous, bridge, move, cleanup_next
//   I/O APIC lock: enabled, storm_masked, deferred (the effective mask of the entry)
//   lock-free:    chain (readers: dispatcher; writers hold config), spurious, storm flag
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "kern/affinity.h"
#include "kern/interrupt_object.h"
#include "kern/ioapic_set.h"
#include "kern/spurious_detector.h"
#include "kern/system_interrupt.h"
#include "kern/vector_allocator.h"

namespace irqshape::kern {

enum class MoveState : std::uint8_t {
  Idle,
  AwaitingRemoteIrr,  // level line: masked, new vector mapped, waiting for the EOI to land
  AwaitingCleanup,    // entry points at the new vector; old vector not yet freed
};

struct InterruptSource {
  // Identity (config lock; immutable while allocated).
  SourceKind kind = SourceKind::Unused;
  std::uint16_t index = 0;
  std::uint32_t generation = 0;  // kRetired: never handed out again (SystemVector)
  std::uint32_t gsi = 0;
  IoApicPin pin;
  hw::TriggerMode trigger = hw::TriggerMode::Edge;
  hw::Polarity polarity = hw::Polarity::ActiveHigh;
  KIRQL irql = 0;
  const char* owner = "";

  // Lifetime (config lock).
  std::uint32_t references = 0;   // allocations + connections
  std::uint32_t connections = 0;
  KAFFINITY affinity = 0;

  // Route (see the header comment).
  VectorAssignment current;
  VectorAssignment previous;
  // An edge move's new vector, also held on the old CPU while the entry is rewritten
  // (line_move.cc); valid while has_bridge.
  VectorAssignment bridge;
  bool has_bridge = false;
  std::atomic<MoveState> move{MoveState::Idle};
  InterruptSource* cleanup_next = nullptr;  // on the old CPU's cleanup list while moving

  // Effective mask of the redirection entry (I/O APIC lock).
  bool enabled = false;        // someone is connected
  bool storm_masked = false;   // the dispatcher masked it (spurious storm)
  bool deferred = false;       // a level move waits for remote IRR

  std::array<std::atomic<KINTERRUPT*>, kMaxCpus> chain{};
  SpuriousDetector spurious;
  std::atomic<bool> storm_reported{false};

  static constexpr std::uint32_t kRetired = ~std::uint32_t{0};
  [[nodiscard]] SystemVector handle() const { return {index, generation}; }
  [[nodiscard]] bool is_line() const { return kind == SourceKind::IoApicLine; }
  [[nodiscard]] bool is_level() const { return is_line() && trigger == hw::TriggerMode::Level; }
  [[nodiscard]] bool entry_masked() const { return !enabled || storm_masked || deferred; }
};

}  // namespace irqshape::kern
