// The history ring: the last 2^n interrupts the unit saw (n = 8..13), each with its
// source, vector, timestamp and what the unit did with it.
#pragma once

#include <array>
#include <cstdint>

#include "isu/regs.h"

namespace irqshape::isu {

struct HistoryEntry {
  std::uint64_t time = 0;
  std::uint32_t sequence = 0;  // low 32 bits of the entry's absolute index
  std::uint16_t source = 0;
  std::uint8_t vector = 0;
  std::uint8_t flags = 0;      // regs::hist_flag bits (without kValid)
};

class HistoryRing {
 public:
  static constexpr std::uint32_t kMaxEntries = 1u << regs::kHistoryLog2Max;

  void configure(unsigned log2_size) {
    mask_ = (1u << log2_size) - 1;
    clear();
  }
  void clear() { count_ = 0; }

  void push(std::uint64_t time, std::uint16_t source, std::uint8_t vector, std::uint8_t flags) {
    entries_[count_ & mask_] = HistoryEntry{time, static_cast<std::uint32_t>(count_), source, vector, flags};
    ++count_;
  }

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] std::uint32_t capacity() const { return mask_ + 1; }

  // The entry whose absolute index has these low 32 bits, if it is still in the ring.
  [[nodiscard]] const HistoryEntry* find(std::uint32_t sequence) const {
    std::uint64_t index = (count_ & ~std::uint64_t{0xFFFF'FFFF}) | sequence;
    if (index >= count_) {
      if (index < (std::uint64_t{1} << 32)) return nullptr;
      index -= std::uint64_t{1} << 32;
    }
    if (count_ - index > capacity()) return nullptr;
    return &entries_[index & mask_];
  }
  // Entries oldest first, for hosted tools that read the ring directly.
  template <typename F>
  void for_each(F&& f) const {
    const std::uint64_t first = count_ > capacity() ? count_ - capacity() : 0;
    for (std::uint64_t i = first; i < count_; ++i) f(entries_[i & mask_]);
  }

 private:
  std::array<HistoryEntry, kMaxEntries> entries_{};
  std::uint32_t mask_ = (1u << regs::hist_cfg::kReset) - 1;
  std::uint64_t count_ = 0;
};

}  // namespace irqshape::isu
