// What every trace reader's fuzz target checks first: the input, opened as `format`,
// streams through the statistics (which exercise the derived views) or fails with an
// error that names the input - never a crash, hang or unbounded allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "trace/reader.h"
#include "trace/stats.h"

namespace irqshape::trace::fuzzing {

inline std::unique_ptr<Input> fuzz_input(const std::uint8_t* data, std::size_t size) {
  return memory_input(std::span<const std::uint8_t>(data, size), "fuzz");
}

// True when the reader accepted the whole input.
inline bool reads_cleanly(const std::uint8_t* data, std::size_t size, Format format) {
  auto reader = open_trace(fuzz_input(data, size), format);
  if (!reader) {
    if (reader.message().rfind("fuzz", 0) != 0) __builtin_trap();  // every error names its input
    return false;
  }
  auto stats = compute_stats(**reader);
  if (!stats) {
    if (stats.message().rfind("fuzz", 0) != 0) __builtin_trap();
    return false;
  }
  return true;
}

}  // namespace irqshape::trace::fuzzing
