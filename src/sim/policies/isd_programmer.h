// The `isu` policy's software, done the way the system does it: the ISD driver (src/isd)
// programs the unit through its registers, from a rules file (isd::load_config) or from
// its defaults per source kind (isd::default_config), and - when asked for a latency
// budget - runs isd::Adapter every period, through the same registers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "isd/adapter.h"
#include "isd/config.h"
#include "isd/driver.h"
#include "isd/source_map.h"
#include "sim/policies/isu_policy.h"
#include "sim/policy.h"

namespace irqshape::sim {

// The ISD's view of the simulator's sources: ISU id = SourceInfo::id, the name as given,
// the Linux irq number when the name is "irq=N", the kind from the source class. Sources
// the unit cannot shape (id >= 256) are left out: it passes them through unshaped.
// Two sources with one name (or irq number) are an error when `strict` (a rules file
// could not tell them apart); otherwise the later one is left nameless (still "id=N").
Result<isd::SourceMap> isd_source_map(const std::vector<SourceInfo>& sources, bool strict);

// One adaptation period of one controlled source, as telemetry_members() reports it.
struct AdaptStep {
  Nanos t_ns = 0;                 // the period's end
  std::uint32_t source = 0;
  std::uint64_t old_time_ns = 0;  // SRC_COAL_TIME during the period
  std::uint64_t new_time_ns = 0;  // ... after the step
  double p99_ns = 0;              // the period's p99 added-delay estimate (an upper bound)
  std::uint64_t events = 0;       // delivered in the period
  std::uint64_t interrupts = 0;
  std::string reason;             // the adapter's ("over budget", "slack", ...), or why T stayed
};

// The ISD as the unit's software: isd::Driver::apply of `config` (nullopt: the defaults)
// and, with `adapt`, isd::Adapter::step every adapt->period_ns. The adapter's first step
// (its baseline) is taken right after programming.
class IsdSoftware final : public IsuPolicy::Software {
 public:
  // Steps kept for telemetry_members(); later ones are counted, not kept.
  static constexpr std::size_t kMaxSteps = 2000;

  IsdSoftware(std::optional<isd::Config> config, std::optional<isd::AdapterOptions> adapt);

  Status program(hw::RegisterWindow& unit, const std::vector<SourceInfo>& sources) override;
  [[nodiscard]] Nanos period() const override { return adapter_ ? adapter_->period() : 0; }
  Status tick(Nanos boundary) override;
  // `"adapter":{"budget_ns","period_ns","periods","sources":[...],"steps":[...],"steps_omitted"}`
  // (docs/policies.md); "" without adaptation.
  [[nodiscard]] std::string telemetry_members() const override;

 private:
  std::optional<isd::Config> config_;
  std::optional<isd::Adapter> adapter_;
  std::unique_ptr<isd::Driver> driver_;
  isd::SourceMap map_;
  std::vector<AdaptStep> steps_;
  std::uint64_t steps_omitted_ = 0;
  std::uint64_t periods_ = 0;
};

}  // namespace irqshape::sim
