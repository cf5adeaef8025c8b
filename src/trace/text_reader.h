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
#include <string_view>

#include "trace/input.h"
#include "trace/reader.h"

namespace irqshape::trace {

enum class TextDialect : std::uint8_t { ftrace, perf_script };

std::unique_ptr<TraceReader> make_text_reader(std::unique_ptr<Input> input, TextDialect dialect);

// Parses "669.818029" (seconds with up to 9 decimals) or "669818029" (a raw clock
// count, taken as nanoseconds) into nanoseconds.
[[nodiscard]] bool parse_text_timestamp(std::string_view s, Nanos& out);

// Text layouts that look like traces but are not read, and what to do instead (the
// readers' and format detection's message for them).
//   - perf script printed without its "[cpu]" field (-F without cpu):
//       cc1plus 17609 74725.261973:   irq:irq_handler_entry: irq=36 name=virtio1-req.0
//   - the kernel's latency-format (options/latency-format, latency tracers): times are
//     microseconds since the ring buffer was last reset, not the trace clock:
//       # nop latency trace v1.1.5 on 6.18.44
//        cc1plus-24414     1d.h.. 28396us : irq_handler_entry: irq=36 name=virtio1-req.0
//     (`trace-cmd report -l` prints the same columns with the trace clock's times, and
//     is read.)
inline constexpr std::string_view kPerfScriptWithoutCpu =
    "perf script output without the [cpu] field, which irqshape needs: add cpu to perf script's -F "
    "(-F comm,tid,cpu,time,event,trace), or leave -F out (the default prints it)";
inline constexpr std::string_view kKernelLatencyFormat =
    "the kernel's latency-format output, whose times count in microseconds from the ring buffer's last reset "
    "rather than by the trace clock: read the trace with latency-format off (echo 0 > "
    "/sys/kernel/tracing/options/latency-format), or record a .dat and use trace-cmd report (with or without -l)";

// "# <tracer> latency trace v1.1.5 on <release>": the kernel's latency-format header.
[[nodiscard]] bool is_kernel_latency_header(std::string_view line);

// True if `line` looks like a perf script event line rather than an ftrace one
// (used by format detection): "system:event:" after the timestamp. For a line of a
// layout above, `why` (if given) is set to its message.
enum class LineShape : std::uint8_t { not_event, ftrace_event, perf_event };
[[nodiscard]] LineShape classify_text_line(std::string_view line, std::string_view* why = nullptr);

}  // namespace irqshape::trace
