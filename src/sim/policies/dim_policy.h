// `dim`: Linux's Dynamic Interrupt Moderation (net_dim.h) driving per-queue count/time
// moderation, as mlx5e does with adaptive-rx on. Each source in `classes` (default: net
// and other) has its own DIM instance, as each NIC receive queue does; its current
// profile {usec, pkts} moderates the source like rx-usecs/rx-frames (EQE mode: time from
// the first held event; CQE mode: time restarts at every event). After every interrupt
// of the source DIM gets a sample (interrupts, packets = events delivered, bytes).
//
// Block and timer sources are not moderated (one interrupt per event) by default: Linux
// runs net_dim on network queues only; the NVMe PCI driver does not use DIM (RDMA's
// rdma_dim is a different algorithm). `classes=net+other+block` moderates block queues
// with the same net DIM instead, for comparison.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "sim/policies/held_batches.h"
#include "sim/policies/net_dim.h"
#include "sim/policies/params.h"
#include "sim/policy.h"

namespace irqshape::sim {

struct DimParams {
  dim::PeriodMode mode = dim::PeriodMode::Eqe;
  std::uint32_t default_bytes = 1500;  // for events that report no size (DIM ranks bytes first)
  ClassSet classes{SourceKind::net, SourceKind::other};

  static Result<DimParams> read(ParamReader& r);
};

class DimPolicy final : public Policy {
 public:
  explicit DimPolicy(const DimParams& p) : p_(p) {}

  [[nodiscard]] std::string_view name() const override { return "dim"; }
  [[nodiscard]] std::string describe() const override;
  void add_source(const SourceInfo& source) override;
  void on_event(const DeviceEvent& event, InterruptSink& out) override;
  void on_timer(Nanos now, InterruptSink& out) override;
  [[nodiscard]] Nanos next_deadline() const override { return held_.next_deadline(); }
  void flush(Nanos now, InterruptSink& out) override;
  [[nodiscard]] std::string telemetry_json() const override;

  // For tests: the profile a source's DIM has applied, and how often it changed.
  [[nodiscard]] unsigned profile(std::uint32_t source) const { return queues_.at(source).applied; }
  [[nodiscard]] const dim::NetDim& tuner(std::uint32_t source) const { return queues_.at(source).dim; }

 private:
  struct Queue {
    bool moderated = false;
    dim::NetDim dim;
    unsigned applied = dim::kDefaultProfile;  // the profile the "hardware" uses
    std::uint64_t changes = 0, interrupts = 0;
    dim::Sample counters;                     // running interrupt/packet/byte counters
    std::uint64_t held_bytes = 0;
  };
  Queue& queue(std::uint32_t source);
  void sampled(const Interrupt& i);

  DimParams p_;
  HeldBatches held_;
  std::vector<Queue> queues_;
};

}  // namespace irqshape::sim
