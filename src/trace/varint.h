// LEB128 varints and zigzag encoding, as the native trace format uses them.
#pragma once

#include <cstdint>
#include <vector>

namespace irqshape::trace {

[[nodiscard]] constexpr std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
[[nodiscard]] constexpr std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

inline void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

// Decodes one varint at p (p < end). Fails on a truncated varint and on one that
// does not fit 64 bits; at most 10 bytes are read.
[[nodiscard]] inline bool get_varint(const std::uint8_t*& p, const std::uint8_t* end, std::uint64_t& v) {
  if (p < end && *p < 0x80) {
    v = *p++;
    return true;
  }
  std::uint64_t result = 0;
  for (unsigned shift = 0; shift < 64 && p < end; shift += 7) {
    const std::uint8_t b = *p++;
    if (shift == 63 && b > 1) return false;
    result |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      v = result;
      return true;
    }
  }
  return false;
}

}  // namespace irqshape::trace
