#include "sim/policies/held_batches.h"

namespace irqshape::sim {

void DeadlineQueue::place(std::size_t i, const Node& n) {
  heap_[i] = n;
  position_[n.source] = static_cast<std::uint32_t>(i);
}

void DeadlineQueue::sift_up(std::size_t i) {
  const Node n = heap_[i];
  while (i > 0 && before(n, heap_[(i - 1) / 2])) {
    place(i, heap_[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  place(i, n);
}

void DeadlineQueue::sift_down(std::size_t i) {
  const Node n = heap_[i];
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= heap_.size()) break;
    if (child + 1 < heap_.size() && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], n)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, n);
}

void DeadlineQueue::set(std::uint32_t source, Nanos deadline) {
  if (source >= position_.size()) position_.resize(std::size_t{source} + 1, kAbsent);
  if (position_[source] == kAbsent) {
    heap_.push_back({deadline, source});
    sift_up(heap_.size() - 1);
    return;
  }
  const std::size_t i = position_[source];
  const Nanos old = heap_[i].deadline;
  heap_[i].deadline = deadline;
  if (deadline < old) sift_up(i); else sift_down(i);
}

void DeadlineQueue::remove(std::uint32_t source) {
  if (source >= position_.size() || position_[source] == kAbsent) return;
  const std::size_t i = position_[source];
  position_[source] = kAbsent;
  const Node last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  place(i, last);
  sift_up(i);
  sift_down(position_[last.source]);
}

void HeldBatches::add_source(const SourceInfo& source) {
  Source& s = slot(source.id);
  s.message = source.message;
}

Interrupt HeldBatches::release_one(std::uint32_t source, Nanos t, InterruptSink& out) {
  Interrupt i;
  i.time = t;
  i.source = source;
  i.events = 1;
  i.message = slot(source).message;
  out.deliver(i);
  return i;
}

void HeldBatches::hold(std::uint32_t source, Nanos t) {
  Batch& b = slot(source).batch;
  if (b.count == 0) b.first = t;
  ++b.count;
  b.last = t;
}

void HeldBatches::set_deadline(std::uint32_t source, Nanos deadline) {
  Batch& b = slot(source).batch;
  if (b.deadline == deadline) return;
  b.deadline = deadline;
  deadlines_.set(source, deadline);
}

Interrupt HeldBatches::release(std::uint32_t source, Nanos t, InterruptSink& out) {
  Source& s = slot(source);
  Interrupt i;
  i.time = t;
  i.source = source;
  i.events = s.batch.count;
  i.message = s.message;
  s.batch = Batch{};
  deadlines_.remove(source);
  if (i.events != 0) out.deliver(i);
  return i;
}

}  // namespace irqshape::sim
