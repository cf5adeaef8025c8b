// What every coalescing baseline shares: per source, at most one batch of held events
// with its deadline, and the earliest deadline over all sources. A baseline decides when
// to hold and when to release; this class keeps the books so that conservation and the
// time rules of policy.h hold by construction:
//   - an event is either released at once (release_one) or joins its source's batch;
//   - every batch that holds events has a deadline (set_deadline before returning);
//   - a batch is released stamped at its deadline (fire_due) or at the caller's time.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/policy.h"

namespace irqshape::sim {

// Sources by deadline: an indexed binary min-heap, ties broken by source id so that
// batches due at the same time are released in a deterministic order.
class DeadlineQueue {
 public:
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] Nanos earliest() const { return heap_.empty() ? kNoDeadline : heap_.front().deadline; }
  [[nodiscard]] std::uint32_t earliest_source() const { return heap_.front().source; }
  void set(std::uint32_t source, Nanos deadline);  // insert or move
  void remove(std::uint32_t source);

 private:
  static constexpr std::uint32_t kAbsent = ~0u;
  struct Node {
    Nanos deadline;
    std::uint32_t source;
  };
  static bool before(const Node& a, const Node& b) {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.source < b.source);
  }
  void place(std::size_t i, const Node& n);
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);

  std::vector<Node> heap_;
  std::vector<std::uint32_t> position_;  // by source; kAbsent when not queued
};

class HeldBatches {
 public:
  struct Batch {
    std::uint32_t count = 0;
    Nanos first = 0, last = 0;
    Nanos deadline = kNoDeadline;
  };

  // An announced source signals on its own message; an unannounced one (the contract
  // does not forbid it) on a default message - its events are not lost.
  void add_source(const SourceInfo& source);
  [[nodiscard]] const Batch& batch(std::uint32_t source) { return slot(source).batch; }

  // One interrupt carrying just this event, now; the source's batch is untouched.
  Interrupt release_one(std::uint32_t source, Nanos t, InterruptSink& out);
  // Adds an event to the source's batch; the caller sets or keeps its deadline.
  void hold(std::uint32_t source, Nanos t);
  void set_deadline(std::uint32_t source, Nanos deadline);
  // Delivers the source's batch (if it holds anything) stamped `t`; returns what was
  // delivered (events == 0: nothing was held).
  Interrupt release(std::uint32_t source, Nanos t, InterruptSink& out);

  // Releases every batch whose deadline is <= now, stamped at its own deadline, earliest
  // first. `released(const Interrupt&)` is called after each (DIM samples there).
  template <typename Fn>
  void fire_due(Nanos now, InterruptSink& out, Fn&& released) {
    while (deadlines_.earliest() <= now) {
      const std::uint32_t source = deadlines_.earliest_source();
      released(release(source, deadlines_.earliest(), out));
    }
  }
  void fire_due(Nanos now, InterruptSink& out) {
    fire_due(now, out, [](const Interrupt&) {});
  }
  // End of run: releases every batch stamped `now`.
  template <typename Fn>
  void flush(Nanos now, InterruptSink& out, Fn&& released) {
    while (!deadlines_.empty()) released(release(deadlines_.earliest_source(), now, out));
  }
  void flush(Nanos now, InterruptSink& out) {
    flush(now, out, [](const Interrupt&) {});
  }
  [[nodiscard]] Nanos next_deadline() const { return deadlines_.earliest(); }

 private:
  struct Source {
    hw::InterruptMessage message;
    Batch batch;
  };
  Source& slot(std::uint32_t source) {
    if (source >= sources_.size()) sources_.resize(std::size_t{source} + 1);
    return sources_[source];
  }

  std::vector<Source> sources_;
  DeadlineQueue deadlines_;
};

}  // namespace irqshape::sim
