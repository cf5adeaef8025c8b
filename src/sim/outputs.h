// Writing a comparison's files (--json, --csv, --perfetto, --html) for the CLI commands.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "sim/report.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/trace_recorder.h"

namespace irqshape::sim {

struct OutputPaths {
  std::string json, csv, perfetto, html;  // empty: not written; "-": standard output
};

// Writes each requested file. Errors name the file.
Status write_outputs(const Scenario& sc, const Comparison& c, const OutputPaths& paths, const ReportContext& ctx);

// Refuses, before a long simulation, an output path that could not be written (a
// directory, a missing or unwritable directory). Errors name the file.
Status check_outputs(const OutputPaths& paths);

// Writes `text` to `path` ("-": standard output), whole or not at all (trace/output_file.h:
// a temporary file renamed onto it; a device or FIFO is written in place). Errors name
// the file.
Status write_text_file(const std::string& path, const std::string& text);

// Parses --perfetto-window "START_MS:LENGTH_MS" (e.g. "0:50", "1000:20").
Result<TraceWindow> parse_trace_window(const std::string& text, std::size_t max_events);

// Parses --delivery "posted" | "exit".
Result<DeliveryPath> parse_delivery_path(const std::string& text);

}  // namespace irqshape::sim
