// Pending flush deadlines, one per source at most, kept as a list sorted by (deadline,
// source) - ties broken by source id, so the flush order is deterministic.
//
// A binary heap costs O(log n) on every insertion and removal, with a mispredicted
// comparison at most levels. The unit's deadlines mostly arrive in order instead: a
// batch's deadline is its first event's time plus the source's SRC_COAL_TIME, so among
// sources that share a coalescing time every new deadline is the latest. Insertion
// therefore walks back from the tail (usually zero steps: it appends), and removal is an
// unlink. The walk passes only deadlines later than the new one - batches of sources with
// a longer coalescing time, or storm deferrals to the end of a rate window - so its cost
// is bounded by the number of pending batches (256) and in practice by the number of
// distinct hold times in use.
#pragma once

#include <array>
#include <cstdint>

#include "isu/regs.h"
#include "isu/virtual_interrupt.h"

namespace irqshape::isu {

class DeadlineList {
 public:
  static constexpr unsigned kCapacity = regs::kSources;

  DeadlineList() { clear_all(); }

  [[nodiscard]] bool empty() const { return next_[kHead] == kTail; }
  // kNever when empty: the tail sentinel's deadline.
  [[nodiscard]] std::uint64_t earliest() const { return deadline_[next_[kHead]]; }
  [[nodiscard]] unsigned earliest_source() const { return next_[kHead]; }
  // Whether a batch is due at `now` (an empty list is never due, even at the end of time).
  [[nodiscard]] bool due(std::uint64_t now) const { return earliest() <= now && !empty(); }
  [[nodiscard]] bool contains(unsigned source) const { return next_[source] != kAbsent; }

  // Inserts or moves `source` to `deadline`.
  void set(unsigned source, std::uint64_t deadline) {
    if (contains(source)) unlink(source);
    // The first entry, from the tail, that the new one does not precede; the head
    // sentinel stops the walk.
    unsigned after = prev_[kTail];
    while (after != kHead && precedes(deadline, source, after)) after = prev_[after];
    const unsigned before = next_[after];
    deadline_[source] = deadline;
    prev_[source] = static_cast<std::uint16_t>(after);
    next_[source] = static_cast<std::uint16_t>(before);
    next_[after] = static_cast<std::uint16_t>(source);
    prev_[before] = static_cast<std::uint16_t>(source);
  }

  void remove(unsigned source) {
    if (contains(source)) unlink(source);
  }

  void clear() {
    while (!empty()) unlink(next_[kHead]);
  }

 private:
  static constexpr unsigned kHead = kCapacity, kTail = kCapacity + 1;
  static constexpr std::uint16_t kAbsent = 0xFFFF;

  // Whether (deadline, source) comes before the entry at `i`.
  [[nodiscard]] bool precedes(std::uint64_t deadline, unsigned source, unsigned i) const {
    return deadline < deadline_[i] || (deadline == deadline_[i] && source < i);
  }
  void unlink(unsigned source) {
    next_[prev_[source]] = next_[source];
    prev_[next_[source]] = prev_[source];
    next_[source] = kAbsent;
  }
  void clear_all() {
    next_.fill(kAbsent);
    prev_.fill(kAbsent);
    deadline_.fill(kNever);
    next_[kHead] = kTail;
    prev_[kTail] = kHead;
  }

  // Entries 0..255 are sources; kHead and kTail are sentinels (the tail's deadline is
  // kNever, so earliest() needs no test for an empty list).
  std::array<std::uint16_t, kCapacity + 2> next_{}, prev_{};
  std::array<std::uint64_t, kCapacity + 2> deadline_{};
};

}  // namespace irqshape::isu
