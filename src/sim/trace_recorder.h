// What a run records for the Perfetto timeline, when asked: interrupts, coalescing
// windows, ISR executions, exits, idle spans and queue depths inside a time window,
// up to an event cap (so a 60 s run at 200,000 interrupts/s cannot write gigabytes).
// Recording is plain appends to vectors of small structs; perfetto_writer.h turns them
// into Chrome trace-event JSON after the run.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/metrics.h"
#include "sim/policy.h"

namespace irqshape::sim {

struct TraceWindow {
  Nanos start_ns = 0;
  Nanos length_ns = 20'000'000;         // 20 ms of simulated time by default
  std::size_t max_events = 1'000'000;   // per run, over all kinds
};

class TraceRecorder {
 public:
  struct Irq {           // an interrupt the policy delivered
    Nanos time;
    Nanos window_start;  // first carried event (== time when nothing was held)
    std::uint32_t source;
    std::uint32_t events;
    std::uint32_t dropped;
    std::uint8_t vector;
  };
  struct Isr {           // one ISR frame on a vCPU (nested frames nest in time)
    Nanos start;
    Nanos end;
    std::uint32_t source;  // ~0u: a vector the kernel had no source for
    std::uint32_t events;
    std::uint16_t cpu;
    std::uint8_t vector;
  };
  struct Exit {
    Nanos time;
    Nanos cost;
    std::uint32_t source;  // ~0u: not caused by a source (HLT)
    std::uint16_t cpu;
    ExitReason reason;
  };
  struct Idle {  // a halted span of a vCPU
    Nanos start;
    Nanos end;
    std::uint16_t cpu;
  };
  struct Depth {  // requests outstanding at a request source, from `time` on
    Nanos time;
    std::uint32_t source;
    std::uint32_t depth;
  };

  explicit TraceRecorder(TraceWindow w = {}) : window_(w) {}

  // Whether an event at `t` is to be recorded: inside the window, and room left (when
  // there is none, `capped` records that one was missed).
  [[nodiscard]] bool want(Nanos t) { return admit(t); }
  [[nodiscard]] bool full() const { return recorded() >= window_.max_events; }
  [[nodiscard]] std::size_t recorded() const {
    return irqs.size() + isrs.size() + exits.size() + idles.size() + depths.size();
  }
  [[nodiscard]] const TraceWindow& window() const { return window_; }
  // Set when an event inside the window was not recorded because of the cap.
  bool capped = false;

  void irq(const Irq& e) { if (admit(e.time)) irqs.push_back(e); }
  // A handler that started before the window and ends inside it is kept, as a halted
  // span is: the vCPU track must not show a gap at the window's start.
  void isr(const Isr& e) { if (admit(e.start) || overlaps(e.start, e.end)) isrs.push_back(e); }
  void exit(const Exit& e) { if (admit(e.time)) exits.push_back(e); }
  void idle(const Idle& e) { if (admit(e.start) || overlaps(e.start, e.end)) idles.push_back(e); }
  void depth(const Depth& e) { if (admit(e.time)) depths.push_back(e); }

  std::vector<Irq> irqs;
  std::vector<Isr> isrs;
  std::vector<Exit> exits;
  std::vector<Idle> idles;
  std::vector<Depth> depths;

 private:
  bool admit(Nanos t) {
    if (t < window_.start_ns || t - window_.start_ns >= window_.length_ns) return false;
    if (full()) {
      capped = true;
      return false;
    }
    return true;
  }
  bool overlaps(Nanos s, Nanos e) {
    if (e <= window_.start_ns || s >= window_.start_ns + window_.length_ns) return false;
    if (full()) {
      capped = true;
      return false;
    }
    return true;
  }
  TraceWindow window_;
};

}  // namespace irqshape::sim
