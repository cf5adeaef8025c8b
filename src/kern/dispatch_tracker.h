// Knowing when a CPU can no longer be looking at something we unlinked: the drain half
// of IoDisconnectInterrupt (and of releasing a source), after Linux's synchronize_irq
// and the RCU idea of a quiescent state.
//
// The dispatcher brackets every dispatch with enter()/exit(). A CPU with depth 0 is not
// dispatching; each return to depth 0 bumps the generation. A writer that has unlinked
// an object (a seq_cst store) takes a snapshot and then waits until, for every CPU,
// either the snapshot saw depth 0 or the generation has moved on.
//
// Why that is enough (the race is a store-buffer pattern, hence seq_cst on both sides):
//   writer:     unlink (seq_cst store)      ; load generation ; load depth (seq_cst)
//   dispatcher: depth += 1 (seq_cst RMW)    ; load chain links (seq_cst)
// If the writer's depth load does not see the dispatcher's increment, the increment
// comes later in the single total order of seq_cst operations, so the dispatcher's
// chain loads come after the unlink and cannot find the object. If it does see it, the
// writer waits for a later return to depth 0, whose release pairs with the writer's
// acquire: everything that dispatch did with the object happens-before the free.
// Reading the generation *before* the depth keeps a dispatch that ends and a new one
// that starts between the two loads from being mistaken for the old one still running.
// Then the writer sees the old generation and the new dispatch's depth, and passes as
// soon as it reads the new generation - which is safe only because that dispatch cannot
// see the object: unlink < generation load < the ending dispatch's generation bump <
// the new dispatch's depth increment < its chain loads, in the seq_cst total order. That
// chain needs the generation's load and bump to be seq_cst too (with acquire/acq_rel
// the load may read a stale generation outside the total order; x86 emits the same
// instructions either way).
//
// Nested dispatches (a higher-priority vector interrupting an ISR) only change depth;
// a CPU that is interrupted back-to-back forever never quiesces, as in RCU.
#pragma once

#include <atomic>
#include <cstdint>

namespace irqshape::kern {

class DispatchTracker {
 public:
  struct Snapshot {
    std::uint64_t generation = 0;
    bool busy = false;
  };

  void enter() { depth_.fetch_add(1, std::memory_order_seq_cst); }
  void exit() {
    if (depth_.fetch_sub(1, std::memory_order_seq_cst) == 1) generation_.fetch_add(1, std::memory_order_seq_cst);
  }

  [[nodiscard]] Snapshot snapshot() const {
    const std::uint64_t g = generation_.load(std::memory_order_seq_cst);
    return {g, depth_.load(std::memory_order_seq_cst) != 0};
  }
  [[nodiscard]] bool passed(const Snapshot& s) const {
    return !s.busy || generation_.load(std::memory_order_acquire) != s.generation;
  }
  [[nodiscard]] bool dispatching() const { return depth_.load(std::memory_order_acquire) != 0; }

 private:
  std::atomic<std::uint32_t> depth_{0};
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace irqshape::kern
