// Runs one scenario under several policies, side by side, on the same input: the same
// seed, so every open-loop arrival and every request's service and think times are the
// same under every policy (closed-loop devices issue at times that depend on the
// policy: that is the point). `none` always runs too, as the reference that "added
// latency" is measured against. Runs are independent, so they go on worker threads;
// the results do not depend on how many.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sim/machine.h"
#include "sim/metrics.h"
#include "sim/policies/registry.h"
#include "sim/scenario.h"
#include "sim/trace_recorder.h"

namespace irqshape::sim {

using PolicyFactory = std::function<Result<std::unique_ptr<Policy>>(const PolicySpec&)>;

struct PolicyRun {
  PolicySpec spec;
  bool reference_only = false;  // `none` added as the reference, not asked for
  RunResult result;
  std::unique_ptr<TraceRecorder> trace;  // when CompareOptions::trace is set
};

struct Comparison {
  std::vector<PolicyRun> runs;  // in the order asked, `none` first when it was added
  int reference = -1;           // index of the `none` run
  [[nodiscard]] const PolicyRun* reference_run() const { return reference < 0 ? nullptr : &runs[reference]; }
};

struct CompareOptions {
  unsigned threads = 0;                 // 0: one per core, at most one per policy
  std::optional<TraceWindow> trace;     // record a timeline of every run (--perfetto)
  Nanos drain_limit_ns = 1 * kSec;
};

// Every policy is built (and its spec checked) before any run starts, so a typo fails
// at once. `factory` defaults to the registry's make_policy; tests pass their own.
Result<Comparison> compare_policies(const Scenario& scenario, const std::vector<PolicySpec>& specs,
                                    const CompareOptions& options = {}, const PolicyFactory& factory = make_policy);

// Runs fn(i) for i in [0, n) on `threads` threads (0: hardware concurrency), each index
// exactly once. fn must not throw.
void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn);

}  // namespace irqshape::sim
