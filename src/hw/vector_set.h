// A set of the 256 interrupt vectors: the shape of the local APIC's IRR, ISR and TMR
// and of a CPU's vector allocation map.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace irqshape::hw {

class VectorSet {
 public:
  static constexpr int kNone = -1;

  constexpr void set(unsigned v) { words_[(v >> 6) & 3] |= bit(v); }
  constexpr void clear(unsigned v) { words_[(v >> 6) & 3] &= ~bit(v); }
  [[nodiscard]] constexpr bool test(unsigned v) const { return (words_[(v >> 6) & 3] & bit(v)) != 0; }
  constexpr void reset() { words_ = {}; }

  // Highest member, or kNone: the local APIC services the highest vector first.
  [[nodiscard]] constexpr int highest() const {
    for (int w = 3; w >= 0; --w)
      if (words_[w] != 0) return w * 64 + 63 - std::countl_zero(words_[w]);
    return kNone;
  }
  // Lowest member at or above `from`, or kNone.
  [[nodiscard]] constexpr int lowest_from(unsigned from) const {
    for (unsigned w = from >> 6; w < 4; ++w) {
      std::uint64_t bits = words_[w];
      if (w == (from >> 6)) bits &= ~std::uint64_t{0} << (from & 63);
      if (bits != 0) return static_cast<int>(w * 64 + std::countr_zero(bits));
    }
    return kNone;
  }
  [[nodiscard]] constexpr unsigned count() const {
    unsigned n = 0;
    for (auto w : words_) n += static_cast<unsigned>(std::popcount(w));
    return n;
  }
  // Members in priority class `cls` (vectors cls*16 .. cls*16+15), as a 16-bit mask.
  [[nodiscard]] constexpr std::uint16_t class_bits(unsigned cls) const {
    return static_cast<std::uint16_t>(words_[(cls >> 2) & 3] >> ((cls & 3) * 16));
  }
  // The 32-bit slice i (0-7) as the APIC register file shows it (ISR0..ISR7 etc.).
  [[nodiscard]] constexpr std::uint32_t word32(unsigned i) const {
    return static_cast<std::uint32_t>(words_[(i >> 1) & 3] >> ((i & 1) * 32));
  }
  [[nodiscard]] constexpr bool empty() const { return (words_[0] | words_[1] | words_[2] | words_[3]) == 0; }
  friend constexpr bool operator==(const VectorSet&, const VectorSet&) = default;

 private:
  static constexpr std::uint64_t bit(unsigned v) { return std::uint64_t{1} << (v & 63); }
  std::array<std::uint64_t, 4> words_{};
};

[[nodiscard]] constexpr unsigned priority_class(unsigned vector) { return (vector >> 4) & 0xF; }

}  // namespace irqshape::hw
