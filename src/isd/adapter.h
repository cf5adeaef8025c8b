// Online adaptation of coalescing to a latency budget (docs/isd.md, "Adaptation").
//
// The user gives a budget on the *added* delay of each source's events at the 99th
// percentile (`--max-added-p99 50us`). Every period the adapter reads each controlled
// source's hold-time histogram through the registers, estimates the period's p99 added
// delay, and moves the source's coalescing time SRC_COAL_TIME:
//
//   p99 > budget                       T <- max(T_min, T * target*budget / p99)   (at once)
//   p99 < (1 - band) * target*budget   T <- min(T_max, T * min(2, (target*budget / p99)^1/2))
//   otherwise                          T unchanged (dead band)
//
// with target = 0.9 and band = 0.2 by default. The longer T, the more events share an
// interrupt; the p99 hold of a coalescing source grows with T (it is at most T, and close
// to T once a source sends two or more events per T). In log coordinates the law is
// x <- x + g * (log r - log p99(x)) with gain g = 1 going down and 1/2 going up: a
// contraction towards the band for any plant whose p99 grows no faster than T, so it
// settles without overshoot, and the dead band (wider than a histogram bucket's
// estimation error once clamped by T) keeps it from hunting. Periods with fewer than
// `min_events` delivered events carry no decision.
//
// The p99 estimate is an upper bound, never an interpolation: the upper edge of the
// hold-histogram bucket holding the period's 99th percentile (hold_quantile_bound()),
// capped by TEL_HOLD_MAX and - when the storm guard deferred nothing that period - by
// T (coalesced events are delivered at most T after the first of their batch:
// docs/isu-spec.md 5.5; when T is shortened the driver first has the unit deliver what
// it holds, so no batch keeps a longer deadline). For a source that coalesces
// it is T itself; the log2 buckets alone would be off by up to a factor of two. Holds caused by storm-guard deferral are
// not the coalescer's: when they break the budget the adapter reports it and leaves T.
//
// Used by the simulator once per period: `adapter.step(driver, now)`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "isd/config.h"
#include "isd/driver.h"
#include "isd/units.h"

namespace irqshape::isd {

struct AdapterOptions {
  std::uint64_t budget_ns = 50 * kNsPerUs;  // max added p99 delay per source
  std::uint64_t period_ns = 10 * kNsPerMs;
  double target = 0.9;      // aim at target * budget
  double band = 0.2;        // no change while p99 is in [(1-band)*target*budget, budget]
  std::uint64_t min_time_ns = 1 * kNsPerUs;
  std::uint64_t max_time_ns = 0;  // 0: the budget (T never exceeds what a lone event may wait)
  std::uint64_t min_events = 64;  // per period, for a decision
  std::vector<std::uint32_t> sources;  // empty: every programmed source with coalescing on
};

// Checks the options; the message names the bad one.
Status validate(const AdapterOptions& options);

// The options a configuration's [adapt] table asks for (defaults for the rest).
AdapterOptions adapter_options(const AdaptSettings& settings);

struct AdapterAction {
  std::uint64_t time = 0;
  std::uint32_t source = 0;
  std::uint64_t old_time_ns = 0, new_time_ns = 0;
  double p99_ns = 0;
  std::string reason;  // "over budget", "slack", "storm deferral over budget (T kept)"
};

struct AdapterSource {
  std::uint32_t id = 0;
  std::uint64_t time_ns = 0;       // SRC_COAL_TIME now
  SourceTelemetry last{};          // telemetry at the previous step
  double p99_ns = 0;               // last estimate
  std::uint64_t events = 0;        // delivered in the last period
  std::uint64_t interrupts = 0;
  std::uint64_t changes = 0;
  bool decided = false;            // the last period had enough events for a decision
};

class Adapter {
 public:
  explicit Adapter(AdapterOptions options) : opt_(std::move(options)) {}

  [[nodiscard]] std::uint64_t period() const { return opt_.period_ns; }
  [[nodiscard]] const AdapterOptions& options() const { return opt_; }
  // One control period: read telemetry, decide, reprogram. The first call only takes
  // the baseline (and picks the sources to control).
  Result<std::vector<AdapterAction>> step(Driver& driver, std::uint64_t now);
  [[nodiscard]] const std::vector<AdapterSource>& sources() const { return sources_; }

 private:
  Status start(Driver& driver);
  [[nodiscard]] std::uint64_t max_time() const { return opt_.max_time_ns != 0 ? opt_.max_time_ns : opt_.budget_ns; }

  AdapterOptions opt_;
  std::vector<AdapterSource> sources_;
  bool started_ = false;
};

}  // namespace irqshape::isd
