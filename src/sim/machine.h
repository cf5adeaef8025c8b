// One simulated virtual machine running one scenario under one policy.
//
//   devices ──► I/O APIC pin / MSI write ──► policy ──► APIC bus ──► local APIC (IRR)
//                                                                      │ delivery path: posted / exit-based
//   requesters ◄── ISR completion ◄── kern::KiInterruptDispatch ◄── vCPU takes the vector
//
// The guest side is the real interrupt core of src/kern: at boot the scenario's drivers
// allocate their sources (AllocateMessageInterrupt / AllocateSystemInterrupt) and
// connect their ISRs with IoConnectInterrupt; a vCPU that takes a vector calls
// kern::KiInterruptDispatch, which runs the ISR and writes the EOIs through the local
// APIC model. docs/simulator.md describes the event flow, the vCPU model and the costs.
#pragma once

#include "base/result.h"
#include "sim/metrics.h"
#include "sim/policy.h"
#include "sim/scenario.h"
#include "sim/trace_recorder.h"

namespace irqshape::sim {

struct RunOptions {
  TraceRecorder* recorder = nullptr;   // optional timeline for --perfetto
  // After `duration`, the run drains: in-flight requests complete and the policy's
  // timers fire. A policy still holding a deadline this long after the end is flushed.
  Nanos drain_limit_ns = 1 * kSec;
};

// Runs `scenario` (validated here) under `policy`, which must be fresh (no sources added).
// Fails with a message naming the source and the numbers when the policy breaks its
// contract or an event is not accounted for exactly once (the conservation check).
// `scenario` must outlive the call; the policy is used from the calling thread only.
Result<RunResult> simulate(const Scenario& scenario, Policy& policy, const RunOptions& options = {});

}  // namespace irqshape::sim
