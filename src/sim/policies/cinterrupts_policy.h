// `cinterrupts`: calibrated interrupts (Tai, Smolyar, Wei, Tsafrir, "Optimizing Storage
// Performance with Calibrated Interrupts", OSDI 2021; artifact github.com/amytai/
// cinterrupts-osdi, drivers/nvme/host/pci.c irq_poller()). Per completion queue:
//
//   - adaptive coalescing: an interrupt when no new completion arrived for Delta since
//     the last one (the artifact waits irq_poller_delay microseconds after each
//     completion), or when `thr` completions are held (irq_poller_max_thr);
//   - URGENT completions (DeviceEvent::urgent) interrupt at once. With urgent-ooo=1 (the
//     artifact's urgent_ooo, "cint-ooo") the urgent completion is delivered alone, out of
//     order; the held batch keeps waiting (its count unchanged, its quiet timer restarted
//     - the device saw a completion). With urgent-ooo=0 the urgent completion flushes the
//     batch with it, in order - which is what the paper's BARRIER annotation does for the
//     last request of a submitted batch (DeviceEvent has no barrier flag; see
//     docs/policies.md).
//
// Delta: the artifact sets it per device by hand (6 us for an Optane SSD, 15 us for an
// Intel P3700: fig5/env-*). Here it starts at delta-us and, with adaptive=1, is
// re-learned as the p99 of the recent inter-completion gaps of the queue: the last
// `window` gaps no longer than delta-max-us (longer gaps are pauses between bursts, not
// the spacing of a burst), recomputed every `window` such gaps, clamped to
// [delta-min-us, delta-max-us].
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "sim/policies/held_batches.h"
#include "sim/policies/params.h"
#include "sim/policy.h"

namespace irqshape::sim {

struct CinterruptsParams {
  std::uint32_t thr = 32;          // artifact: irq_poller_max_thr=32
  std::uint32_t delta_us = 6;      // artifact: irq_poller_delay=6 (Optane); 0 disables coalescing
  bool adaptive = true;
  std::uint32_t delta_min_us = 1;
  std::uint32_t delta_max_us = 15;
  std::uint32_t window = 256;      // gaps per recomputation
  std::uint32_t percentile = 99;
  bool urgent_ooo = true;          // artifact: urgent_ooo=1
  ClassSet classes{SourceKind::block};

  static Result<CinterruptsParams> read(ParamReader& r);
};

// The p-th percentile of the last `window` gaps, recomputed every `window` gaps: exact
// (nth_element over the window), O(1) amortized per gap, deterministic.
class GapQuantile {
 public:
  GapQuantile(std::uint32_t window, std::uint32_t percentile) : window_(window), percentile_(percentile) {
    gaps_.reserve(window);
  }
  // Records a gap; returns true when a new quantile was computed.
  bool record(Nanos gap);
  [[nodiscard]] Nanos value() const { return value_; }
  [[nodiscard]] std::uint64_t recomputations() const { return recomputations_; }

 private:
  std::uint32_t window_, percentile_;
  std::vector<Nanos> gaps_;
  Nanos value_ = 0;
  std::uint64_t recomputations_ = 0;
};

class CinterruptsPolicy final : public Policy {
 public:
  explicit CinterruptsPolicy(const CinterruptsParams& p) : p_(p) {}

  [[nodiscard]] std::string_view name() const override { return "cinterrupts"; }
  [[nodiscard]] std::string describe() const override;
  void add_source(const SourceInfo& source) override;
  void on_event(const DeviceEvent& event, InterruptSink& out) override;
  void on_timer(Nanos now, InterruptSink& out) override { held_.fire_due(now, out); }
  [[nodiscard]] Nanos next_deadline() const override { return held_.next_deadline(); }
  void flush(Nanos now, InterruptSink& out) override { held_.flush(now, out); }
  [[nodiscard]] std::string telemetry_json() const override;

  // The quiet period a source currently waits for (0: not coalesced).
  [[nodiscard]] Nanos delta(std::uint32_t source) const { return queues_.at(source).delta; }

 private:
  struct Queue {
    bool coalesced = false;
    Nanos delta = 0;
    bool seen = false;
    Nanos last_completion = 0;
    GapQuantile gaps{1, 99};
    std::uint64_t urgent = 0, by_count = 0;
  };
  Queue& queue(std::uint32_t source);
  void init(Queue& q, SourceKind cls) const;
  void learn(Queue& q, Nanos t) const;

  CinterruptsParams p_;
  HeldBatches held_;
  std::vector<Queue> queues_;
};

}  // namespace irqshape::sim
