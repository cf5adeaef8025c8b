#include "isu/pattern_engine.h"

namespace irqshape::isu {

void PatternEngine::reset() {
  patterns_.fill(PatternDef{});
  queues_.fill(Queue{});
  for (unsigned i = 0; i < pool_.size(); ++i)
    pool_[i].next = static_cast<std::uint16_t>(i + 1 < pool_.size() ? i + 1 : kNil);
  free_ = 0;
  live_ = 0;
  completion_prev_.fill(0);
  clear_counters();
  rebuild_index();
}

void PatternEngine::clear_counters() {
  matches_.fill(0);
  dropped_ = 0;
  overflow_ = false;
}

void PatternEngine::set(unsigned p, const PatternDef& def) {
  drop_all(p);
  patterns_[p] = def;  // a disabled one is kept as written (LOAD_PATTERN reads it back) but never matched
  for (unsigned k = 1; k < regs::kMaxSteps; ++k) {
    queues_[queue_id(p, k)].min_delay = patterns_[p].step[k].min_delay;
    queues_[queue_id(p, k)].max_delay = patterns_[p].step[k].max_delay;
    queues_[queue_id(p, k)].last_step = k + 1u == patterns_[p].steps;
  }
  rebuild_index();
}

unsigned PatternEngine::live(unsigned p) const {
  unsigned n = 0;
  for (unsigned k = 1; k < regs::kMaxSteps; ++k) n += queues_[queue_id(p, k)].count;
  return n;
}

void PatternEngine::pop_head(Queue& q) {
  const std::uint16_t n = q.head;
  q.head = pool_[n].next;
  if (q.head == kNil) q.tail = kNil;
  --q.count;
  pool_[n].next = free_;
  free_ = n;
  --live_;
}

void PatternEngine::drop_all(unsigned p) {
  for (unsigned k = 1; k < regs::kMaxSteps; ++k) {
    Queue& q = queues_[queue_id(p, k)];
    while (q.head != kNil) pop_head(q);
  }
}

void PatternEngine::expire(Queue& q, std::uint64_t t) {
  while (q.head != kNil && t - pool_[q.head].prev > q.max_delay) pop_head(q);
}

// Partials whose window has passed linger in queues no arrival has visited since; when
// the table is full they are reclaimed everywhere.
void PatternEngine::reclaim(std::uint64_t t) {
  for (unsigned qid = 0; qid < kQueues; ++qid) {
    const unsigned p = pattern_of(qid), step = step_of(qid);
    if (step != 0 && step < patterns_[p].steps) expire(queues_[qid], t);
  }
}

// Takes a free node; when none is left, first reclaims stale partials, then gives up.
inline std::uint16_t PatternEngine::allocate(std::uint64_t t) {
  if (free_ == kNil) [[unlikely]] {
    reclaim(t);
    if (free_ == kNil) return kNil;
  }
  const std::uint16_t n = free_;
  free_ = pool_[n].next;
  ++live_;
  return n;
}

void PatternEngine::push(unsigned p, unsigned step, std::uint64_t t) {
  Queue& q = queues_[queue_id(p, step)];
  // With MIN 0 the newest partial supersedes the older ones: any interrupt that would
  // advance an older one advances it too, and the merged result is the same (it carries
  // the latest previous-step time). Such a queue holds at most one partial, so taking
  // its place is the same as expiring it (if its window has passed) and appending: the
  // test whether it expired, which arrival timing makes hard to predict, is skipped.
  if (q.min_delay == 0 && q.tail != kNil) {
    pool_[q.tail].prev = t;
    return;
  }
  expire(q, t);
  const std::uint16_t n = allocate(t);
  if (n == kNil) {
    ++dropped_;
    overflow_ = true;
    return;
  }
  pool_[n] = Node{t, kNil};
  if (q.tail == kNil) q.head = n; else pool_[q.tail].next = n;
  q.tail = n;
  ++q.count;
}

// Advances the partials of one queue whose window this arrival falls in; they merge into
// one partial. Reports the latest previous-step time among them.
bool PatternEngine::advance_queue(unsigned qid, std::uint64_t t, std::uint64_t& latest_prev) {
  Queue& q = queues_[qid];
  expire(q, t);
  bool advanced = false;
  while (q.head != kNil && t - pool_[q.head].prev >= q.min_delay) {
    latest_prev = pool_[q.head].prev;  // queue is in time order: the last one popped is the latest
    pop_head(q);
    advanced = true;
  }
  return advanced;
}

std::uint64_t PatternEngine::match(unsigned source, std::uint64_t t) {
  std::uint64_t completed = 0;
  for (unsigned i = waiter_begin_[source]; i < waiter_begin_[source + 1]; ++i) {
    const unsigned qid = waiters_[i];
    std::uint64_t prev = 0;
    if (queues_[qid].count == 0 || !advance_queue(qid, t, prev)) continue;
    const unsigned p = pattern_of(qid);
    if (!queues_[qid].last_step) {
      push(p, step_of(qid) + 1, t);
    } else if ((completed & (std::uint64_t{1} << p)) == 0) {
      completed |= std::uint64_t{1} << p;
      completion_prev_[p] = prev;
      ++matches_[p];
    }
  }
  for (unsigned i = starter_begin_[source]; i < starter_begin_[source + 1]; ++i) push(starters_[i], 1, t);
  return completed;
}

void PatternEngine::rebuild_index() {
  waiter_begin_.fill(0);
  starter_begin_.fill(0);
  for (const PatternDef& d : patterns_) {
    if (!d.enabled) continue;
    ++starter_begin_[d.step[0].source + 1];
    for (unsigned k = 1; k < d.steps; ++k) ++waiter_begin_[d.step[k].source + 1];
  }
  for (unsigned s = 0; s < regs::kSources; ++s) {
    waiter_begin_[s + 1] = static_cast<std::uint16_t>(waiter_begin_[s + 1] + waiter_begin_[s]);
    starter_begin_[s + 1] = static_cast<std::uint16_t>(starter_begin_[s + 1] + starter_begin_[s]);
  }
  std::array<std::uint16_t, regs::kSources> wfill{}, sfill{};
  for (unsigned p = 0; p < regs::kPatterns; ++p) {
    const PatternDef& d = patterns_[p];
    if (!d.enabled) continue;
    const unsigned s0 = d.step[0].source;
    starters_[starter_begin_[s0] + sfill[s0]++] = static_cast<std::uint8_t>(p);
    for (unsigned k = d.steps - 1u; k >= 1; --k) {
      const unsigned s = d.step[k].source;
      waiters_[waiter_begin_[s] + wfill[s]++] = static_cast<std::uint16_t>(queue_id(p, k));
    }
  }
}

}  // namespace irqshape::isu
