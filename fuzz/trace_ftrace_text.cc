// libFuzzer target: the ftrace text reader must turn any input into records or a clean
// error (never a crash, hang or unbounded allocation). What it accepts must read the
// same after being written back out as ftrace text, and everything read also goes
// through the statistics, which exercise the derived views.
#include <cstddef>
#include <cstdint>
#include <string>

#include "trace/reader.h"
#include "trace/stats.h"
#include "trace/text_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace irqshape::trace;
  auto input = [&] { return memory_input(std::span<const std::uint8_t>(data, size), "fuzz"); };
  auto reader = open_trace(input(), Format::ftrace_text);
  if (!reader) {
    if (reader.message().rfind("fuzz", 0) != 0) __builtin_trap();  // every error names its input
    return 0;
  }
  auto stats = compute_stats(**reader);
  if (!stats) {
    if (stats.message().rfind("fuzz", 0) != 0) __builtin_trap();
    return 0;
  }
  auto again = open_trace(input(), Format::ftrace_text);
  if (!again) __builtin_trap();
  auto trace = read_all(**again);
  if (!trace) __builtin_trap();
  std::string text;
  for (const auto& r : trace->records) text += format_ftrace_line(r, trace->catalog) + "\n";
  auto back = open_trace(memory_input(std::span<const char>(text), "fuzz"), Format::ftrace_text);
  if (!back) __builtin_trap();
  auto round = read_all(**back);
  if (!round) __builtin_trap();
  // A lost-events line has no time of its own: it takes the last event's, and events of
  // other kinds (not written back) may have moved that. Compare the rest.
  for (auto* t : {&*trace, &*round}) {
    for (auto& r : t->records) {
      if (r.type == RecordType::lost_events) r.ts = 0;
    }
  }
  if (round->records != trace->records || round->catalog != trace->catalog) __builtin_trap();
  return 0;
}
