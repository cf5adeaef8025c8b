// "1 source", "2 sources", "3 entries": a count with its noun, for the commands' messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace irqshape::cli {

// `plural` when it is not the noun with an s.
inline std::string count(std::uint64_t n, std::string_view noun, std::string_view plural = {}) {
  if (n == 1) return fmt::format("1 {}", noun);
  return plural.empty() ? fmt::format("{} {}s", n, noun) : fmt::format("{} {}", n, plural);
}

}  // namespace irqshape::cli
