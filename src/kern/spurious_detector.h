// Linux's note_interrupt rule for a line that keeps firing with nobody claiming it: in
// every window of 100,000 interrupts, more than 99,900 unhandled means the line is
// stuck, so it is masked and reported. (Linux also forgets old unhandled interrupts
// after 100 ms of quiet; the core has no clock, so windows are counted, not timed.)
//
// Several CPUs may note interrupts of one source at once (the old and new CPU of a
// moving line), so everything is atomic; interrupts racing with a window boundary may
// be counted in the neighbouring window, which does not matter for a 99.9% rule.
#pragma once

#include <atomic>
#include <cstdint>

namespace irqshape::kern {

class SpuriousDetector {
 public:
  static constexpr std::uint32_t kWindow = 100'000;
  static constexpr std::uint32_t kThreshold = 99'900;  // strictly more than this trips

  // Returns the unhandled count of the window this interrupt closed when it crossed the
  // threshold, 0 otherwise. Exactly one caller sees each window close.
  std::uint32_t note(bool handled) {
    if (!handled) {
      window_unhandled_.fetch_add(1, std::memory_order_relaxed);
      unhandled_total_.fetch_add(1, std::memory_order_relaxed);
    }
    const std::uint64_t n = total_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n % kWindow != 0) return 0;
    const std::uint32_t unhandled = window_unhandled_.exchange(0, std::memory_order_relaxed);
    return unhandled > kThreshold ? unhandled : 0;
  }

  void reset() {
    total_.store(0, std::memory_order_relaxed);
    unhandled_total_.store(0, std::memory_order_relaxed);
    window_unhandled_.store(0, std::memory_order_relaxed);
  }

  [[nodiscard]] std::uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t unhandled() const { return unhandled_total_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> total_{0};
  std::atomic<std::uint64_t> unhandled_total_{0};
  std::atomic<std::uint32_t> window_unhandled_{0};
};

}  // namespace irqshape::kern
