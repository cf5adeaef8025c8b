// libFuzzer target: the perf script reader must turn any input into records or a
// clean error (never a crash, hang or unbounded allocation). Everything read also
// goes through the statistics, which exercise the derived views.
#include <cstddef>
#include <cstdint>

#include "trace/reader.h"
#include "trace/stats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace irqshape::trace;
  auto reader = open_trace(memory_input(std::span<const std::uint8_t>(data, size), "fuzz"), Format::perf_script);
  if (!reader) {
    if (reader.message().rfind("fuzz", 0) != 0) __builtin_trap();  // every error names its input
    return 0;
  }
  auto stats = compute_stats(**reader);
  if (!stats && stats.message().rfind("fuzz", 0) != 0) __builtin_trap();  // every error names its input
  return 0;
}
