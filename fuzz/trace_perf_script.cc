// libFuzzer target: the perf script reader must turn any input into records or a
// clean error (never a crash, hang or unbounded allocation). Everything read also
// goes through the statistics, which exercise the derived views.
#include <cstddef>
#include <cstdint>

#include "trace_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  irqshape::trace::fuzzing::reads_cleanly(data, size, irqshape::trace::Format::perf_script);
  return 0;
}
