// Readers for the two text forms kernel traces come in:
//   - ftrace text: /sys/kernel/tracing/trace and `trace-cmd report`
//       <idle>-0       [001] d.h1.   669.818029: irq_handler_entry: irq=36 name=virtio1-req.0
//   - perf script: `perf script` of tracepoint events
//       swapper     0 [000]  1223.255982:   irq:irq_handler_entry: irq=41 name=virtio3-rx
// Both print the tracepoint payloads with the kernel's own print formats, so one line
// parser serves both; the dialect decides which header and continuation lines are
// legitimate. Lines are read through LineReader (bounded memory, bounded line length).
#pragma once

#include <memory>

#include "trace/input.h"
#include "trace/reader.h"

namespace irqshape::trace {

enum class TextDialect : std::uint8_t { ftrace, perf_script };

std::unique_ptr<TraceReader> make_text_reader(std::unique_ptr<Input> input, TextDialect dialect);

// Parses "669.818029" (seconds with up to 9 decimals) or "669818029" (a raw clock
// count, taken as nanoseconds) into nanoseconds.
[[nodiscard]] bool parse_text_timestamp(std::string_view s, Nanos& out);

// True if `line` looks like a perf script event line rather than an ftrace one
// (used by format detection): "system:event:" after the timestamp.
enum class LineShape : std::uint8_t { not_event, ftrace_event, perf_event };
[[nodiscard]] LineShape classify_text_line(std::string_view line);

}  // namespace irqshape::trace
