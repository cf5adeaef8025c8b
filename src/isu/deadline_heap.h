// Pending flush deadlines, one per source at most: an indexed binary min-heap so the
// unit can update a source's deadline and find the earliest in O(log n).
#pragma once

#include <array>
#include <cstdint>

#include "isu/regs.h"
#include "isu/virtual_interrupt.h"

namespace irqshape::isu {

class DeadlineHeap {
 public:
  static constexpr unsigned kCapacity = regs::kSources;

  DeadlineHeap() { position_.fill(kAbsent); }

  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::uint64_t earliest() const { return size_ == 0 ? kNever : heap_[0].deadline; }
  [[nodiscard]] unsigned earliest_source() const { return heap_[0].source; }
  [[nodiscard]] bool contains(unsigned source) const { return position_[source] != kAbsent; }

  // Inserts or moves `source` to `deadline`.
  void set(unsigned source, std::uint64_t deadline) {
    if (!contains(source)) {
      heap_[size_] = {deadline, static_cast<std::uint16_t>(source)};
      position_[source] = static_cast<std::uint16_t>(size_);
      sift_up(size_++);
      return;
    }
    const unsigned i = position_[source];
    const std::uint64_t old = heap_[i].deadline;
    heap_[i].deadline = deadline;
    if (deadline < old) sift_up(i); else sift_down(i);
  }

  void remove(unsigned source) {
    if (!contains(source)) return;
    const unsigned i = position_[source];
    position_[source] = kAbsent;
    if (i == --size_) return;
    heap_[i] = heap_[size_];
    position_[heap_[i].source] = static_cast<std::uint16_t>(i);
    sift_up(i);
    sift_down(position_[heap_[i].source]);
  }

  void clear() {
    for (unsigned i = 0; i < size_; ++i) position_[heap_[i].source] = kAbsent;
    size_ = 0;
  }

 private:
  static constexpr std::uint16_t kAbsent = 0xFFFF;
  struct Node {
    std::uint64_t deadline;
    std::uint16_t source;  // ties broken by source id: deterministic flush order
  };
  static bool before(const Node& a, const Node& b) {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.source < b.source);
  }
  void place(unsigned i, const Node& n) {
    heap_[i] = n;
    position_[n.source] = static_cast<std::uint16_t>(i);
  }
  void sift_up(unsigned i) {
    const Node n = heap_[i];
    while (i > 0 && before(n, heap_[(i - 1) / 2])) {
      place(i, heap_[(i - 1) / 2]);
      i = (i - 1) / 2;
    }
    place(i, n);
  }
  void sift_down(unsigned i) {
    const Node n = heap_[i];
    for (;;) {
      unsigned child = 2 * i + 1;
      if (child >= size_) break;
      if (child + 1 < size_ && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], n)) break;
      place(i, heap_[child]);
      i = child;
    }
    place(i, n);
  }

  std::array<Node, kCapacity> heap_{};
  std::array<std::uint16_t, kCapacity> position_{};
  unsigned size_ = 0;
};

}  // namespace irqshape::isu
