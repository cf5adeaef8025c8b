// Per-source arrival prediction: exponentially weighted mean and mean deviation of the
// inter-arrival gap (the estimator TCP uses for round-trip times, RFC 6298, with gain
// 2^-shift), giving a predicted next arrival of last + mean.
#pragma once

#include <cstdint>

namespace irqshape::isu {

class ArrivalPredictor {
 public:
  static constexpr std::uint32_t kMinSamplesForConfidence = 8;

  void record(std::uint64_t t, unsigned shift) {
    if (seen_) {
      const std::uint64_t gap = t - last_;
      if (gaps_ == 0) {
        mean_ = gap;
        dev_ = gap / 2;
      } else {
        const std::int64_t err = static_cast<std::int64_t>(gap - mean_);
        mean_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(mean_) + (err >> shift));
        const std::int64_t abs_err = err < 0 ? -err : err;
        dev_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(dev_) +
                                          ((abs_err - static_cast<std::int64_t>(dev_)) >> shift));
      }
      if (gaps_ != ~0u) ++gaps_;
    }
    seen_ = true;
    last_ = t;
  }

  [[nodiscard]] bool confident() const { return gaps_ >= kMinSamplesForConfidence; }
  [[nodiscard]] std::uint64_t mean() const { return mean_; }
  [[nodiscard]] std::uint64_t deviation() const { return dev_; }
  [[nodiscard]] std::uint32_t gaps() const { return gaps_; }
  // 0 until at least one gap has been seen.
  [[nodiscard]] std::uint64_t predicted_next() const { return gaps_ == 0 ? 0 : last_ + mean_; }

 private:
  std::uint64_t last_ = 0;
  std::uint64_t mean_ = 0;
  std::uint64_t dev_ = 0;
  std::uint32_t gaps_ = 0;
  bool seen_ = false;
};

}  // namespace irqshape::isu
