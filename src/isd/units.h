// Durations and rates as people write them in configuration files, exactly (integer
// nanoseconds, no floating point on the way): "4ms", "1.5ms", "250us", "2s", "100ns";
// rates "1000/s", "20/ms", "50/window".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace irqshape::isd {

inline constexpr std::uint64_t kNsPerUs = 1'000, kNsPerMs = 1'000'000, kNsPerS = 1'000'000'000;

// "<number><unit>" with unit ns, us (or µs), ms, s; the number may have up to 9 decimals
// as long as the result is a whole number of nanoseconds. Leading/trailing blanks are
// allowed. The error message says what is wrong, without a location (callers add it).
Result<std::uint64_t> parse_duration(std::string_view text);

// Exact spelling that parse_duration reads back, in the largest unit not above the value:
// 4500000 -> "4.5ms", 50000 -> "50us", 1234 -> "1.234us", 7 -> "7ns", 0 -> "0ns",
// 4885747100 -> "4.8857471s".
std::string format_duration(std::uint64_t ns);

// A rate: `count` events per `per_ns` nanoseconds, or per rate window when per_ns == 0.
struct Rate {
  std::uint64_t count = 0;
  std::uint64_t per_ns = 0;

  friend bool operator==(const Rate&, const Rate&) = default;
};

// "1000/s", "20/ms", "5/us", "50/window", or a bare number (per rate window). Counts per
// time may have decimals and the time may be a duration: "0.5/us" is Rate{1, 2000} (kept
// exact, reduced), as is "1/2us", which is how format_rate writes it.
Result<Rate> parse_rate(std::string_view text);
std::string format_rate(const Rate& rate);

// The rate as events per rate window of `window_ns`, rounded down (round_up: up).
// nullopt when it does not fit 64 bits.
std::optional<std::uint64_t> per_window(const Rate& rate, std::uint64_t window_ns, bool round_up);

}  // namespace irqshape::isd
