// Turning a captured trace (src/trace: the in-memory event model every reader fills)
// into a Scenario the simulator can run under every policy.
//
// Open loop (default): each interrupt source the trace saw becomes an MSI source whose
// device events are the recorded interrupt arrivals (irq_handler_entry times, relative
// to the first record), on the vCPU that took most of them. Its ISR costs the median
// handler duration the trace recorded for it (irq_handler_entry -> exit).
//
// Closed loop (--closed-loop): each block device with matched requests becomes a
// request source instead of the block interrupt sources: request n is issued think_ns
// after the simulated completion it answered (or after request n-1's simulated issue),
// and is served in its recorded service time (issue -> complete), so shaping that delays
// a completion delays what follows, as in the recorded application. The recorded service
// time includes the recorded system's own completion path, so it is an upper bound of
// the device's.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "sim/scenario.h"
#include "trace/reader.h"

namespace irqshape::sim {

struct ReplayOptions {
  bool closed_loop = false;
  unsigned vcpus = 0;        // 0: the trace's CPU count (highest CPU seen + 1), at most 64
  Nanos max_duration = 0;    // 0: the whole trace
  std::uint64_t seed = 1;
};

struct ReplayConversion {
  Scenario scenario;
  std::vector<std::string> notes;  // what was mapped how, what was left out
  // Closed loop: the block interrupt sources the request sources replaced, and those.
  std::vector<std::string> replaced_sources, request_sources;
};

Result<ReplayConversion> scenario_from_trace(const trace::Trace& trace, const std::string& name,
                                             const ReplayOptions& options);

}  // namespace irqshape::sim
