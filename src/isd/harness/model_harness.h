// A test bench for the driver: the ISU model behind a register window, fed with
// interrupts, and a sink that measures what the unit did to them - interrupts emitted
// and, event by event, the exact delay the unit added (the truth the driver only sees
// through the hold histogram).
//
// This is the one place on the ISD side that instantiates the model (isu/isu.h); the
// driver library itself never includes it. Tests, benches, the CLI's dry runs and the
// telemetry demo use it until the simulator exists.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "hw/register_window.h"
#include "isd/harness/synthetic_load.h"
#include "isu/isu.h"

namespace irqshape::isd::harness {

class ModelHarness final : public isu::VirtualInterruptSink {
 public:
  ModelHarness();

  [[nodiscard]] isu::Isu& unit() { return *unit_; }
  [[nodiscard]] hw::RegisterWindow& window() { return *unit_; }

  void interrupt(const Arrival& a);
  void advance(std::uint64_t now);
  // Feeds every arrival of `load` before `until`, firing coalescing deadlines on the
  // way, then advances the unit to `until`.
  void run(SyntheticLoad& load, std::uint64_t until);

  struct SourceStats {
    std::uint64_t arrivals = 0, interrupts = 0, events = 0;
    std::vector<std::uint64_t> delays;  // added delay of each delivered event, since take_delays()
  };
  [[nodiscard]] const SourceStats& stats(std::uint32_t source) const { return stats_[source % kSources]; }
  std::vector<std::uint64_t> take_delays(std::uint32_t source);
  [[nodiscard]] std::uint64_t interrupts() const { return interrupts_; }

  void inject(const isu::VirtualInterrupt& vi) override;

 private:
  static constexpr std::uint32_t kSources = isu::regs::kSources;
  std::unique_ptr<isu::Isu> unit_;
  std::vector<std::deque<std::uint64_t>> waiting_;  // arrival times not yet delivered, per source
  std::vector<SourceStats> stats_;
  std::uint64_t interrupts_ = 0;
};

// Exact p-quantile (0..1) of a sample (sorts a copy); 0 for an empty one.
double quantile(std::vector<std::uint64_t> values, double p);

}  // namespace irqshape::isd::harness
