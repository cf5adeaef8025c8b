// Sequence pattern matching: up to 64 patterns of 2..8 steps, each step a source and a
// [min, max] delay window from the previous step ("A, then B 4-6 ms later, then C within
// 1 ms"), matched incrementally as interrupts arrive.
//
// Semantics (docs/isu-spec.md, "Pattern matching"): every arrival of a pattern's first
// source starts a partial match; a partial waiting for step k advances on the FIRST later
// arrival of step k's source whose delay from step k-1 lies in the window, and dies when
// the window has passed. A pattern completes on an arrival when some partial advances past
// its last step; it completes at most once per arrival.
//
// Implementation: the partials waiting for step k of pattern p sit in a FIFO ordered by
// the time of their previous step. Expired partials are therefore at the head, and the
// ones an arrival advances are a prefix; partials advanced by the same arrival have the
// same future and are merged into one. When a step's window starts at 0, the newest
// partial waiting for it supersedes older ones (every arrival that would advance an older
// one advances the newest, with the same merged result), so that queue keeps one. An
// arrival visits only the queues waiting for its source, so the cost is proportional to
// live partial matches, not to history size.
#pragma once

#include <array>
#include <cstdint>

#include "isu/regs.h"

namespace irqshape::isu {

struct PatternStep {
  std::uint16_t source = 0;
  std::uint32_t min_delay = 0;  // from the previous step, ns (ignored for step 0)
  std::uint32_t max_delay = 0;
};

struct PatternDef {
  bool enabled = false;
  std::uint8_t steps = 0;  // 2..8 when enabled
  std::array<PatternStep, regs::kMaxSteps> step{};
};

class PatternEngine {
 public:
  PatternEngine() { reset(); }

  void reset();
  // Installs pattern p (dropping its partial matches) or disables it.
  void set(unsigned p, const PatternDef& def);
  void clear(unsigned p) { set(p, PatternDef{}); }
  [[nodiscard]] const PatternDef& get(unsigned p) const { return patterns_[p]; }

  // Feeds one arrival; returns the set of patterns it completed (bit p = pattern p).
  std::uint64_t on_arrival(unsigned source, std::uint64_t t) {
    const bool involved = waiter_begin_[source] != waiter_begin_[source + 1] ||
                          starter_begin_[source] != starter_begin_[source + 1];
    return involved ? match(source, t) : 0;  // most sources are in no pattern: no call
  }
  // For a pattern the last arrival completed: when the previous step of its sequence
  // happened (the latest one when several sequences completed together).
  [[nodiscard]] std::uint64_t prev_step_time(unsigned p) const { return completion_prev_[p]; }

  [[nodiscard]] unsigned live() const { return live_; }
  [[nodiscard]] unsigned live(unsigned p) const;
  [[nodiscard]] std::uint64_t matches(unsigned p) const { return matches_[p]; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }
  // True once since the last call if a partial was dropped because the table was full.
  bool take_overflow() {
    const bool o = overflow_;
    overflow_ = false;
    return o;
  }
  void clear_counters();

 private:
  // Queue (p, k) holds the partials of pattern p waiting for step k (1..7); id p*8 + k.
  static constexpr unsigned kQueueShift = 3;
  static_assert(regs::kMaxSteps == 1u << kQueueShift);
  static constexpr unsigned kQueues = regs::kPatterns << kQueueShift;
  static constexpr std::uint16_t kNil = 0xFFFF;

  struct Node {
    std::uint64_t prev;  // time of the step this partial reached last
    std::uint16_t next;
  };
  // The step's window is copied here so the data path never reads the pattern table.
  struct Queue {
    std::uint32_t min_delay = 0, max_delay = 0;
    std::uint16_t head = kNil, tail = kNil, count = 0;
    bool last_step = false;  // advancing past this step completes the pattern
  };

  static unsigned queue_id(unsigned p, unsigned step) { return (p << kQueueShift) | step; }
  static unsigned pattern_of(unsigned qid) { return qid >> kQueueShift; }
  static unsigned step_of(unsigned qid) { return qid & (regs::kMaxSteps - 1); }
  std::uint64_t match(unsigned source, std::uint64_t t);
  void expire(Queue& q, std::uint64_t t);
  bool advance_queue(unsigned qid, std::uint64_t t, std::uint64_t& latest_prev);
  // Inlined into match() (pattern_engine.cc): about two calls an interrupt.
  [[gnu::always_inline]] inline void push(unsigned p, unsigned step, std::uint64_t t);
  std::uint16_t allocate(std::uint64_t t);
  void reclaim(std::uint64_t t);
  void pop_head(Queue& q);
  void drop_all(unsigned p);
  void rebuild_index();

  std::array<PatternDef, regs::kPatterns> patterns_{};
  std::array<Node, regs::kPartials> pool_{};
  std::array<Queue, kQueues> queues_{};
  std::uint16_t free_ = kNil;
  unsigned live_ = 0;
  // Queues waiting for each source (CSR): per source, by pattern, later steps first so an
  // arrival never advances a partial twice. At most 7 per pattern.
  std::array<std::uint16_t, regs::kPatterns*(regs::kMaxSteps - 1)> waiters_{};
  std::array<std::uint16_t, regs::kSources + 1> waiter_begin_{};
  // Patterns whose first step is each source (CSR).
  std::array<std::uint8_t, regs::kPatterns> starters_{};
  std::array<std::uint16_t, regs::kSources + 1> starter_begin_{};
  std::array<std::uint64_t, regs::kPatterns> completion_prev_{};
  std::array<std::uint64_t, regs::kPatterns> matches_{};
  std::uint64_t dropped_ = 0;
  bool overflow_ = false;
};

}  // namespace irqshape::isu
