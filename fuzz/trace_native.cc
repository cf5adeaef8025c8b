// libFuzzer target: the native reader must turn any input into records or a clean
// error (never a crash, hang or unbounded allocation). What it accepts must survive a
// write-and-read round trip unchanged, and everything read also goes through the
// statistics, which exercise the derived views.
#include <cstddef>
#include <cstdint>

#include "trace/native.h"
#include "trace/reader.h"
#include "trace/stats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace irqshape::trace;
  auto input = [&] { return memory_input(std::span<const std::uint8_t>(data, size), "fuzz"); };
  auto reader = open_trace(input(), Format::native);
  if (!reader) {
    if (reader.message().rfind("fuzz", 0) != 0) __builtin_trap();  // every error names its input
    return 0;
  }
  auto stats = compute_stats(**reader);
  if (!stats) {
    if (stats.message().rfind("fuzz", 0) != 0) __builtin_trap();
    return 0;
  }
  // Accepted: re-encode and compare.
  auto again = open_trace(input(), Format::native);
  if (!again) __builtin_trap();
  auto trace = read_all(**again);
  if (!trace) __builtin_trap();
  std::vector<std::uint8_t> bytes;
  auto writer = NativeWriter::to_memory(bytes);
  if (!writer->write_meta(trace->meta)) return 0;  // metadata a writer refuses (duplicate keys are fine)
  for (const auto& s : trace->catalog.sources) (void)writer->define_source(s);
  for (const auto& d : trace->catalog.devices) (void)writer->define_device(d);
  for (const auto& r : trace->records) {
    if (!writer->write(r)) __builtin_trap();
  }
  if (!writer->finish()) __builtin_trap();
  auto back = open_trace(memory_input(std::span<const std::uint8_t>(bytes), "fuzz"), Format::native);
  if (!back) __builtin_trap();
  auto round = read_all(**back);
  if (!round || round->records != trace->records || round->catalog != trace->catalog) __builtin_trap();
  return 0;
}
