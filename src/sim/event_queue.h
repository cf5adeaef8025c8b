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

  EventQueue() : heap_(64) {}
  void reserve(std::size_t n) {
    if (n > heap_.size()) heap_.resize(n);
  }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] Nanos next_time() const { return size_ == 0 ? kNoDeadline : heap_[0].key >> kSeqBits; }
  [[nodiscard]] std::uint64_t pushed() const { return seq_; }

  // `time` must not exceed kMaxTime (callers validate durations against it).
  void push(Nanos time, std::uint16_t kind, std::uint16_t target, std::uint32_t arg = 0) {
    const Entry e{(time << kSeqBits) | (seq_++ & kSeqMask), kind, target, arg};
    if (size_ == heap_.size()) heap_.resize(2 * size_);
    Entry* h = heap_.data();
    std::size_t i = size_++;
    while (i > 0) {  // sift up: move parents down into the hole
      const std::size_t parent = (i - 1) / 4;
      if (h[parent].key <= e.key) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = e;
  }

  Event pop() {
    const Entry out = heap_[0];
    const std::size_t n = --size_;
    if (n != 0) sift_down(heap_[n], n);
    return Event{out.key >> kSeqBits, out.kind, out.target, out.arg};
  }

  void clear() {
    size_ = 0;
    seq_ = 0;
  }

 private:
  struct Entry {
    std::uint64_t key = 0;  // time << kSeqBits | sequence
    std::uint16_t kind = 0;
    std::uint16_t target = 0;
    std::uint32_t arg = 0;
  };
  static_assert(sizeof(Entry) == 16);
  static constexpr std::uint64_t kSeqMask = (std::uint64_t{1} << kSeqBits) - 1;

  // Moves the smallest child up into the hole until `last` fits. The child choice is
  // written without branches (keys are unique, so "<" decides every comparison).
  void sift_down(const Entry last, std::size_t n) {
    Entry* h = heap_.data();
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      std::uint64_t best_key = h[first].key;
      if (first + 3 < n) {  // all four children: a two-round tournament
        const std::uint64_t k0 = h[first].key, k1 = h[first + 1].key;
        const std::uint64_t k2 = h[first + 2].key, k3 = h[first + 3].key;
        const std::size_t b01 = k1 < k0 ? first + 1 : first;
        const std::size_t b23 = k3 < k2 ? first + 3 : first + 2;
        const std::uint64_t m01 = k1 < k0 ? k1 : k0;
        const std::uint64_t m23 = k3 < k2 ? k3 : k2;
        best = m23 < m01 ? b23 : b01;
        best_key = m23 < m01 ? m23 : m01;
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

  std::vector<Entry> heap_;  // [0, size_) is the heap; the vector only grows
  std::size_t size_ = 0;
  std::uint64_t seq_ = 0;
};

}  // namespace irqshape::sim
