// Where the dispatcher reports lines it masked for spurious storms: a small ring the
// owner of the core drains at leisure (the guest logs it; tests assert on it). When the
// ring is full the newest report is dropped and counted, never blocking the dispatcher.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "kern/spinlock.h"
#include "kern/system_interrupt.h"

namespace irqshape::kern {

struct StormReport {
  SystemVector source;
  SourceKind kind = SourceKind::Unused;
  std::uint32_t gsi = 0;
  unsigned cpu = 0;
  std::uint8_t vector = 0;
  std::uint32_t unhandled = 0;  // in the window that tripped (of SpuriousDetector::kWindow)
  bool masked = false;          // false for MSI: the core cannot mask a message source
  const char* owner = "";
};

class StormReportRing {
 public:
  static constexpr unsigned kCapacity = 16;

  void push(const StormReport& r, Platform& platform) {
    IrqSpinLockGuard guard(lock_, platform);
    if (count_ == kCapacity) {
      ++dropped_;
      return;
    }
    ring_[(head_ + count_++) % kCapacity] = r;
  }
  // Moves up to out.size() reports (oldest first) into `out`; returns how many.
  std::size_t drain(std::span<StormReport> out, Platform& platform) {
    IrqSpinLockGuard guard(lock_, platform);
    std::size_t n = 0;
    for (; n < out.size() && count_ > 0; ++n, --count_, head_ = (head_ + 1) % kCapacity) out[n] = ring_[head_];
    return n;
  }
  [[nodiscard]] std::uint64_t dropped(Platform& platform) {
    IrqSpinLockGuard guard(lock_, platform);
    return dropped_;
  }

 private:
  KSPIN_LOCK lock_;
  std::array<StormReport, kCapacity> ring_{};
  unsigned head_ = 0;
  unsigned count_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace irqshape::kern
