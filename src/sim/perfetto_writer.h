// --perfetto: Chrome trace-event JSON (opens in ui.perfetto.dev and chrome://tracing).
//
// Layout (docs/sim-output.md): a process per policy run; in it a track per vCPU (ISR
// executions as spans, nested when a higher class preempted; exits as instants; halted
// periods as spans) and a track per source (each delivered interrupt as an instant; the
// coalescing window - from the first event it carries to its delivery - as a span);
// counter tracks per source: interrupt rate and, for request sources, requests
// outstanding. Only what TraceRecorder kept (a window of simulated time, an event cap)
// is written, and the file says so.
// Written with the project's trace-event writer (src/export/trace_event_writer.h).
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>

#include "sim/runner.h"
#include "sim/scenario.h"

namespace irqshape::sim {

// Writes every run of `c` that has a trace (CompareOptions::trace).
void write_perfetto(std::ostream& out, const Scenario& sc, const Comparison& c);

}  // namespace irqshape::sim
