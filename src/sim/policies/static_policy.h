// `static`: fixed count/time coalescing per source, with the semantics of the two
// mechanisms real devices offer (docs/policies.md, "static"):
//
//   Net (and Other, Timer when asked) sources - NIC interrupt moderation as ethtool
//   configures it (include/uapi/linux/ethtool.h, struct ethtool_coalesce;
//   ETHTOOL_A_COALESCE_RX_MAX_FRAMES / ETHTOOL_A_COALESCE_RX_USECS): an interrupt after
//   rx-frames events or rx-usecs after the first held event, whichever comes first.
//     rx-usecs = 0   no timer delay: every event interrupts at once (rx-frames must then
//                    be 0 or 1 - ethtool's "coalescing off" - because count-only
//                    coalescing would hold an event without a deadline);
//     rx-frames = 0  no count limit: time only;  rx-frames = 1: no coalescing.
//
//   Block sources - NVMe Interrupt Coalescing (NVMe Base Specification, Set Features,
//   Feature Identifier 08h): Aggregation Threshold THR (0's based: THR + 1 completion
//   queue entries) and Aggregation Time TIME (100 us units, a recommended maximum
//   delay). An interrupt when either condition is met; THR = 0 (one entry) or TIME = 0
//   (no delay) disables coalescing. The feature applies to I/O completion queues only:
//   a Block source named like Linux's admin queue vector ("nvme0q0") is never coalesced.
//
// Timer sources are not coalesced unless `classes` includes timer.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "sim/policies/held_batches.h"
#include "sim/policies/params.h"
#include "sim/policy.h"

namespace irqshape::sim {

struct StaticParams {
  std::uint32_t rx_frames = 32;  // mlx5e defaults: MLX5E_PARAMS_DEFAULT_RX_CQ_MODERATION_PKTS 0x20
  std::uint32_t rx_usecs = 16;   //                MLX5E_PARAMS_DEFAULT_RX_CQ_MODERATION_USEC 0x10
  std::uint32_t nvme_thr = 7;    // 8 entries
  std::uint32_t nvme_time = 1;   // 100 us
  ClassSet classes{SourceKind::net, SourceKind::other, SourceKind::block};

  static Result<StaticParams> read(ParamReader& r);
};

// Count/time thresholds in effect for one source (frames 0: no count limit; a source
// with time_ns == 0 is not coalesced).
struct Coalescing {
  std::uint32_t frames = 0;
  Nanos time_ns = 0;
  [[nodiscard]] bool active() const { return time_ns != 0 && frames != 1; }
};

// "nvme0q0", "nvme12q0": Linux's name for an NVMe controller's admin queue vector.
bool is_nvme_admin_queue(std::string_view name);

class StaticPolicy final : public Policy {
 public:
  explicit StaticPolicy(const StaticParams& p) : p_(p) {}

  [[nodiscard]] std::string_view name() const override { return "static"; }
  [[nodiscard]] std::string describe() const override;
  void add_source(const SourceInfo& source) override;
  void on_event(const DeviceEvent& event, InterruptSink& out) override;
  void on_timer(Nanos now, InterruptSink& out) override { held_.fire_due(now, out); }
  [[nodiscard]] Nanos next_deadline() const override { return held_.next_deadline(); }
  void flush(Nanos now, InterruptSink& out) override { held_.flush(now, out); }

  // The thresholds a source of this class and name gets.
  [[nodiscard]] Coalescing coalescing_for(SourceKind cls, std::string_view name) const;

 private:
  StaticParams p_;
  HeldBatches held_;
  std::vector<Coalescing> per_source_;
};

}  // namespace irqshape::sim
