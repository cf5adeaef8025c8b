// What the core keeps per CPU: the vector table the dispatcher indexes, the drain
// tracker, the interrupt payload of the dispatch in progress, counters, and what waits
// for this CPU's cleanup pass: lines that moved away (their old vectors) and vectors of
// released sources.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "hw/vector_set.h"
#include "kern/dispatch_tracker.h"

namespace irqshape::kern {

struct InterruptSource;

struct CpuInterruptState {
  // vector -> source. Written under the vector lock, read by the dispatcher (seq_cst,
  // see dispatch_tracker.h).
  std::array<std::atomic<InterruptSource*>, 256> table{};
  DispatchTracker tracker;

  // Only touched by the dispatcher on this CPU and the ISRs it calls.
  bool has_payload = false;
  std::uint64_t payload = 0;

  std::atomic<std::uint64_t> dispatched{0};       // every call of the dispatcher
  std::atomic<std::uint64_t> apic_spurious{0};    // the APIC's spurious vector
  std::atomic<std::uint64_t> unexpected{0};       // a vector with no source mapped
  std::array<std::atomic<std::uint64_t>, 4> unexpected_vectors{};  // which: a 256-bit set

  InterruptSource* cleanup_head = nullptr;  // vector lock
  // Vectors of released sources (vector lock): unmapped but still taken in the vector
  // matrix until this CPU's cleanup pass sees them neither pending nor in service here,
  // so an interrupt accepted before the release never reaches a new owner.
  hw::VectorSet released;
  bool eoi_broadcast_suppressed = false;    // set by HalInitializeProcessor
  bool initialized = false;
};

}  // namespace irqshape::kern
