// Latency histogram with bounded relative error (HDR-histogram style, log-linear).
//
// Values below 256 ns are counted exactly. Above, each power of two is split into 128
// equal buckets, so a bucket spans at most 1/128 of its lower bound; quantiles report
// the bucket's midpoint, which is within 1/256 (0.39 %) of every value in it. Count,
// sum (so the mean), min and max are exact. Recording is an index computation and an
// increment: no allocation, no branch on the value's size beyond one comparison.
//
// Range: up to 2^44 ns (about 4.9 hours); larger values land in the last bucket (max is
// still exact).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace irqshape::sim {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 8;                      // 2^8 exact values, then 128 per octave
  static constexpr unsigned kHalf = 1u << (kSubBits - 1);      // 128
  static constexpr unsigned kMaxExponent = 44;
  static constexpr unsigned kBuckets = (kMaxExponent - kSubBits + 3) * kHalf;
  static constexpr double kRelativeError = 1.0 / (2.0 * kHalf);  // of a reported quantile

  LatencyHistogram() : counts_(kBuckets, 0) {}

  void record(std::uint64_t v) {
    ++counts_[index(v)];
    ++count_;
    sum_ += v;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }
  void merge(const LatencyHistogram& o) {
    for (unsigned i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] std::uint64_t min() const { return count_ ? min_ : 0; }
  [[nodiscard]] std::uint64_t max() const { return max_; }
  [[nodiscard]] double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  [[nodiscard]] std::uint64_t sum() const { return sum_; }

  // The q-quantile (0 <= q <= 1): the smallest recorded value v such that at least
  // ceil(q * count) values are <= v, reported as its bucket's midpoint and clamped to
  // [min, max] (so q = 0 and q = 1 are exact).
  [[nodiscard]] std::uint64_t quantile(double q) const {
    if (count_ == 0) return 0;
    if (q <= 0) return min();
    if (q >= 1) return max_;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999999);
    if (rank == 0) rank = 1;
    std::uint64_t seen = 0;
    for (unsigned i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(midpoint(i), min(), max_);
    }
    return max_;
  }

  // Bucket geometry (exposed for tests).
  [[nodiscard]] static unsigned index(std::uint64_t v) {
    if (v < 2 * kHalf) return static_cast<unsigned>(v);
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
    if (msb > kMaxExponent) return kBuckets - 1;
    const unsigned k = msb - kSubBits + 1;  // >= 1
    return k * kHalf + static_cast<unsigned>(v >> k);
  }
  [[nodiscard]] static std::uint64_t lower_bound(unsigned i) {
    if (i < 2 * kHalf) return i;
    const unsigned k = i / kHalf - 1;
    return static_cast<std::uint64_t>(i - k * kHalf) << k;
  }
  [[nodiscard]] static std::uint64_t midpoint(unsigned i) {
    if (i < 2 * kHalf) return i;
    const unsigned k = i / kHalf - 1;
    return lower_bound(i) + ((std::uint64_t{1} << k) >> 1);
  }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;  // 2^64 ns is 584 years of summed latency
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
};

}  // namespace irqshape::sim
