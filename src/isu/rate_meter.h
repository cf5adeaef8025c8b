// Per-source arrival rate over a sliding window of W ns, estimated from two aligned
// buckets (the current window and the previous one, weighted by how much of it still
// overlaps the sliding window) - the usual constant-space sliding-window counter.
//
//   estimate(t) = current + previous * (W - (t - window_start)) / W
//
// Comparisons are made on estimate * W, so the data path needs no division. Counts
// saturate at 2^31 and thresholds are at most 2^31 - 1, so products fit in 64 bits.
// Window tests subtract (t - start, never below 0: time does not go backwards) rather than
// add, so the last window before the end of the clock, which would end past 2^64 - 1,
// counts like any other; its end saturates there (docs/isu-spec.md 5.7).
#pragma once

#include <cstdint>

namespace irqshape::isu {

class RateMeter {
 public:
  static constexpr std::uint32_t kCountMax = 0x8000'0000;

  void record(std::uint64_t t, std::uint32_t window) {
    rotate(t, window);
    if (current_ < kCountMax) ++current_;
  }

  // estimate(t) * window.
  [[nodiscard]] std::uint64_t scaled(std::uint64_t t, std::uint32_t window) const {
    std::uint64_t cur = current_, prev = previous_, start = start_;
    if (t - start >= window) {  // windows have passed since the last record: age the buckets
      prev = t - start < 2ull * window ? cur : 0;
      cur = 0;
      start = t - t % window;
    }
    return cur * window + prev * (window - (t - start));
  }
  [[nodiscard]] bool above(std::uint64_t t, std::uint32_t window, std::uint32_t threshold) const {
    return scaled(t, window) > std::uint64_t{threshold} * window;
  }
  [[nodiscard]] bool below(std::uint64_t t, std::uint32_t window, std::uint32_t threshold) const {
    return scaled(t, window) < std::uint64_t{threshold} * window;
  }
  [[nodiscard]] std::uint32_t estimate(std::uint64_t t, std::uint32_t window) const {
    return static_cast<std::uint32_t>(scaled(t, window) / window);
  }
  // End of the aligned window that holds the last recorded arrival (2^64 - 1 at most).
  [[nodiscard]] std::uint64_t window_end(std::uint32_t window) const {
    return start_ > ~std::uint64_t{0} - window ? ~std::uint64_t{0} : start_ + window;
  }

 private:
  void rotate(std::uint64_t t, std::uint32_t window) {
    if (t - start_ < window) return;
    previous_ = t - start_ < 2ull * window ? current_ : 0;
    current_ = 0;
    start_ = t - t % window;
  }

  std::uint64_t start_ = 0;
  std::uint32_t current_ = 0;
  std::uint32_t previous_ = 0;
};

}  // namespace irqshape::isu
