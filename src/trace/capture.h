// Capturing real interrupt activity from the running Linux kernel through tracefs.
//
// capture() creates its own tracing instance (so it neither disturbs nor is disturbed
// by other users of the top-level buffer), enables irq:irq_handler_entry/exit,
// block:block_rq_issue/complete and napi:napi_poll (and kvm:* when asked), starts an
// optional command, and drains the per-CPU ring buffers (trace_pipe_raw) into
// temporary files while it runs, so a long capture loses nothing unless the buffers
// overflow between two drains (then the kernel marks the lost events, and the report
// says how many). Afterwards it writes a trace-cmd v6 .dat file, or converts that
// into the native format.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"

namespace irqshape::trace {

struct CaptureOptions {
  std::string output;                // ".dat" -> trace-cmd .dat, anything else -> native
  std::uint64_t duration_ns = 0;     // 0: until the command exits (or SIGINT without one)
  std::string duration_text;         // how progress messages name it ("300ms"); empty: "<n> ns"
  std::vector<std::string> command;  // run while capturing; empty: none
  bool kvm = false;                  // also record kvm:* (kept in .dat; not in the model)
  std::uint32_t buffer_kb = 16384;   // ring buffer per CPU
  // Progress and warnings, one line each.
  std::function<void(const std::string&)> log = nullptr;
};

struct CaptureReport {
  std::string output;
  std::string format;               // "trace-cmd-dat" or "native"
  std::uint64_t pages = 0;          // ring-buffer pages drained
  std::uint64_t bytes = 0;          // of raw page data
  std::uint64_t overrun = 0;        // events the kernel overwrote before they were drained
  std::uint64_t dropped = 0;        // events the kernel could not record
  std::uint64_t records = 0;        // records written (native output)
  double seconds = 0;
  int command_status = -1;          // wait status of the command (-1: none)
  bool command_stopped = false;     // capture ended the command (--duration ran out, SIGINT/SIGTERM)
  std::vector<std::string> events;  // system:event enabled
  std::vector<std::string> missing_events;  // requested but not provided by this kernel
};

// What capture needs: root and a mounted (or mountable) tracefs with the irq events.
// The error says what is missing and how to get it.
Status check_capture_prerequisites(bool try_mount);

Result<CaptureReport> capture(const CaptureOptions& options);

}  // namespace irqshape::trace
