// log, exp and cos for sampling distributions, in plain arithmetic: faster than the C
// library's (the simulator draws one or two samples per device event) and the same
// bits on every platform, compiler and libm - which <cmath> does not promise - so a
// seed gives the same run everywhere. Relative error below 1e-12 on the ranges used
// (cos: absolute error below 1e-14; tests/sim/engine_test.cc checks them against <cmath>).
#pragma once

#include <bit>
#include <cstdint>

namespace irqshape::sim::fastmath {

inline constexpr double kLn2 = 0.6931471805599453;
inline constexpr double kSqrt2 = 1.4142135623730951;
inline constexpr double kPi = 3.141592653589793;

// Natural log of a positive, normal x.
[[nodiscard]] inline double log(double x) {
  std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  int e = static_cast<int>((bits >> 52) & 0x7FF) - 1023;
  bits = (bits & 0x000F'FFFF'FFFF'FFFFull) | 0x3FF0'0000'0000'0000ull;
  double m = std::bit_cast<double>(bits);  // [1, 2)
  if (m > kSqrt2) {
    m *= 0.5;
    ++e;
  }
  // log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: the series to s^17
  // leaves s^19 / 19 < 2e-16.
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  const double p =
      s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13 + s2 * (1.0 / 15 + s2 * (1.0 / 17))))))));
  return static_cast<double>(e) * kLn2 + 2.0 * s * (1.0 + p);
}

// e^x for |x| < 700.
[[nodiscard]] inline double exp(double x) {
  const double kf = x * (1.0 / kLn2);
  const auto k = static_cast<std::int64_t>(kf < 0 ? kf - 0.5 : kf + 0.5);
  const double r = x - static_cast<double>(k) * kLn2;  // |r| <= ln2 / 2
  // Taylor to r^13: (ln2/2)^14 / 14! < 1e-17. Horner, written out so it is unrolled.
  const double p =
      1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 +
      r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 +
      r * (1.0 / 6227020800.0)))))))))))));
  const std::uint64_t scale = static_cast<std::uint64_t>(k + 1023) << 52;
  return p * std::bit_cast<double>(scale);
}

// cos(2 pi u) for any finite u (one turn = 1).
[[nodiscard]] inline double cos_turns(double u) {
  double t = u - static_cast<double>(static_cast<std::int64_t>(u));  // (-1, 1)
  if (t < 0) t = -t;
  if (t > 0.5) t = 1.0 - t;   // cos is even and 1-periodic: t in [0, 0.5]
  double sign = 1.0;
  if (t > 0.25) {             // cos(2 pi t) = -cos(2 pi (0.5 - t))
    t = 0.5 - t;
    sign = -1.0;
  }
  const double x = 2.0 * kPi * t;  // [0, pi/2]
  const double x2 = x * x;
  // Taylor to x^18: (pi/2)^20 / 20! < 2e-15. Coefficients (-1)^n / (2n)!.
  const double p =
      1.0 + x2 * (-1.0 / 2 + x2 * (1.0 / 24 + x2 * (-1.0 / 720 + x2 * (1.0 / 40320 + x2 * (-1.0 / 3628800 +
      x2 * (1.0 / 479001600 + x2 * (-1.0 / 87178291200.0 + x2 * (1.0 / 20922789888000.0 +
      x2 * (-1.0 / 6402373705728000.0)))))))));
  return sign * p;
}

}  // namespace irqshape::sim::fastmath
