// libFuzzer target: the native reader must turn any input into records or a clean
// error (never a crash, hang or unbounded allocation). What it accepts must survive a
// write-and-read round trip unchanged, and everything read also goes through the
// statistics, which exercise the derived views.
#include <cstddef>
#include <cstdint>

#include "trace/native.h"
#include "trace_fuzz.h"
#include "trace/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace irqshape::trace;
  if (!fuzzing::reads_cleanly(data, size, Format::native)) return 0;
  auto input = [&] { return fuzzing::fuzz_input(data, size); };
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
