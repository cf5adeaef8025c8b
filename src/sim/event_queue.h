// The simulator's event queue: a 4-ary min-heap of small POD entries ordered by
// (time, sequence number). The sequence number is assigned at push, so events due at
// the same nanosecond run in the order they were scheduled: the run is deterministic
// without any tie-breaking by address or hash.
//
// Why a 4-ary heap: entries are 16 bytes, so a node's four children share one cache
// line, and the tree is half as deep as a binary heap's. The queue holds what is
// *scheduled*, not what happened: one next arrival per open-loop source, one completion
// per request in flight, a few per vCPU - hundreds of entries, not millions. A calendar
// queue pays off only for much larger pending sets (bench/sim_bench.cc measures both
// shapes). No allocation per event: the vector grows to the high-water mark and stays.
//
// Cancellation is lazy: an owner that reschedules bumps a generation number it keeps,
// stores it in `arg`, and ignores entries whose generation is stale when they fire.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/policy.h"

namespace irqshape::sim {

struct Event {
  Nanos time = 0;
  std::uint16_t kind = 0;    // what to do (the owner's enum)
  std::uint16_t target = 0;  // whom (a source, a vCPU)
  std::uint32_t arg = 0;     // owner-defined (slot, generation)
};

class EventQueue {
 public:
  // Times are below 2^44 ns (4.9 hours); the low 20 bits of the key hold the push
  // sequence number, so ties at one nanosecond go in push order (modulo 2^20: two events
  // for the same nanosecond pushed across a wrap swap places - still deterministic).
  static constexpr unsigned kSeqBits = 20;
  static constexpr Nanos kMaxTime = (Nanos{1} << (64 - kSeqBits)) - 1;

  void reserve(std::size_t n) { heap_.reserve(n); }
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  [[nodiscard]] Nanos next_time() const { return heap_.empty() ? kNoDeadline : heap_.front().key >> kSeqBits; }
  [[nodiscard]] std::uint64_t pushed() const { return seq_; }

  // `time` must not exceed kMaxTime (callers validate durations against it).
  void push(Nanos time, std::uint16_t kind, std::uint16_t target, std::uint32_t arg = 0) {
    const Entry e{(time << kSeqBits) | (seq_++ & kSeqMask), kind, target, arg};
    std::size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {  // sift up: move parents down into the hole
      const std::size_t parent = (i - 1) / 4;
      if (heap_[parent].key <= e.key) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  Event pop() {
    const Entry out = heap_.front();
    const Entry last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n != 0) sift_down(last, n);
    return Event{out.key >> kSeqBits, out.kind, out.target, out.arg};
  }

  void clear() {
    heap_.clear();
    seq_ = 0;
  }

 private:
  struct Entry {
    std::uint64_t key;  // time << kSeqBits | sequence
    std::uint16_t kind;
    std::uint16_t target;
    std::uint32_t arg;
  };
  static_assert(sizeof(Entry) == 16);
  static constexpr std::uint64_t kSeqMask = (std::uint64_t{1} << kSeqBits) - 1;

  // Moves the smallest child up into the hole until `last` fits. The child choice is
  // written without branches (keys are unique, so "<" decides every comparison).
  void sift_down(const Entry& last, std::size_t n) {
    Entry* h = heap_.data();
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      std::uint64_t best_key = h[first].key;
      if (first + 3 < n) {
        for (std::size_t c = first + 1; c < first + 4; ++c) {
          const std::uint64_t k = h[c].key;
          const bool less = k < best_key;
          best = less ? c : best;
          best_key = less ? k : best_key;
        }
      } else {
        for (std::size_t c = first + 1; c < n; ++c) {
          const std::uint64_t k = h[c].key;
          const bool less = k < best_key;
          best = less ? c : best;
          best_key = less ? k : best_key;
        }
      }
      if (last.key < best_key) break;
      h[i] = h[best];
      i = best;
    }
    h[i] = last;
  }

  std::vector<Entry> heap_;
  std::uint64_t seq_ = 0;
};

}  // namespace irqshape::sim
