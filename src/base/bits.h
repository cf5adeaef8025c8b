// Register bit-field descriptors. Every register layout in the project is written as a
// set of BitField aliases, so one line states where a field lives and tests can check
// that line against the datasheet.
#pragma once

#include <cstdint>
#include <type_traits>

namespace irqshape {

template <unsigned Lo, unsigned Width, typename Reg = std::uint32_t>
struct BitField {
  static_assert(std::is_unsigned_v<Reg> && sizeof(Reg) >= 4, "use 32- or 64-bit registers");
  static_assert(Width >= 1 && Lo + Width <= sizeof(Reg) * 8, "field outside the register");

  using reg_type = Reg;
  static constexpr unsigned lo = Lo;
  static constexpr unsigned hi = Lo + Width - 1;
  static constexpr unsigned width = Width;
  static constexpr Reg max = Width == sizeof(Reg) * 8 ? ~Reg{0} : (Reg{1} << Width) - 1;
  static constexpr Reg mask = max << Lo;

  [[nodiscard]] static constexpr Reg get(Reg r) { return (r & mask) >> Lo; }
  [[nodiscard]] static constexpr Reg make(Reg v) { return (v << Lo) & mask; }
  [[nodiscard]] static constexpr Reg set(Reg r, Reg v) { return (r & ~mask) | make(v); }
  [[nodiscard]] static constexpr bool fits(Reg v) { return v <= max; }
  [[nodiscard]] static constexpr bool test(Reg r) requires(Width == 1) { return (r & mask) != 0; }
};

template <unsigned Pos, typename Reg = std::uint32_t>
using Bit = BitField<Pos, 1, Reg>;

// Union of the masks of several fields: the defined bits of a register.
template <typename... Fields>
inline constexpr auto fields_mask = (Fields::mask | ...);

}  // namespace irqshape
