// Seeded randomness for the simulator, identical on every platform and standard library.
//
// Every random stream is derived from the run seed and the stream's *name* ("src:nvme0q1",
// "vcpu:2"), never from the order streams are created in, so adding a device to a scenario
// does not change any other device's stream. Samples are drawn by our own code (inverse
// CDF, Box-Muller), not by <random>'s distributions, whose algorithms the standard leaves
// to each library, and the math is our own (fast_math.h): the same seed gives the same
// run on any compiler and C library.
//
// Two ways to draw:
//   Rng          a sequential generator (xoshiro256**) for open-loop arrival processes;
//   CounterRng   value k of a stream, computed from (stream, k) alone. Closed-loop devices
//                use it so that request k gets the same service and think time under every
//                policy, whatever order requests complete in.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include "sim/fast_math.h"

namespace irqshape::sim {

[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a over the name, mixed with the run seed.
[[nodiscard]] constexpr std::uint64_t stream_seed(std::uint64_t run_seed, std::string_view name) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
  return splitmix64(splitmix64(run_seed) ^ h);
}

// A double in (0, 1]: never 0, so log(u) is finite.
[[nodiscard]] constexpr double unit_interval(std::uint64_t bits) {
  return static_cast<double>((bits >> 11) + 1) * 0x1.0p-53;
}

class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed = 0) {
    std::uint64_t z = seed;
    for (auto& w : s_) {
      z = splitmix64(z);
      w = z;
    }
  }
  constexpr std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  constexpr double uniform() { return unit_interval(next()); }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

// Uniforms number `lane` of draw `k` of a stream: a pure function of its arguments.
class CounterRng {
 public:
  constexpr CounterRng(std::uint64_t stream, std::uint64_t k) : base_(splitmix64(stream ^ splitmix64(k))) {}
  [[nodiscard]] constexpr double uniform(unsigned lane) const {
    return unit_interval(splitmix64(base_ + 0xD1B54A32D192ED03ull * (lane + 1)));
  }

 private:
  std::uint64_t base_;
};

// Distributions of durations (service times, think times, gaps), in nanoseconds.
struct Dist {
  enum class Kind : std::uint8_t { Fixed, Exponential, Lognormal, Uniform };
  Kind kind = Kind::Fixed;
  double mean_ns = 0;
  double shape = 0;  // Lognormal: sigma of the underlying normal; Uniform: half-width as a fraction of the mean

  [[nodiscard]] static constexpr Dist fixed(double ns) { return {Kind::Fixed, ns, 0}; }
  [[nodiscard]] static constexpr Dist exponential(double mean) { return {Kind::Exponential, mean, 0}; }
  [[nodiscard]] static constexpr Dist lognormal(double mean, double sigma) { return {Kind::Lognormal, mean, sigma}; }
  [[nodiscard]] static constexpr Dist uniform(double mean, double half_width_fraction) {
    return {Kind::Uniform, mean, half_width_fraction};
  }

  // From two independent uniforms in (0, 1].
  [[nodiscard]] double sample(double u1, double u2) const {
    switch (kind) {
      case Kind::Fixed: return mean_ns;
      case Kind::Exponential: return -mean_ns * fastmath::log(u1);
      case Kind::Lognormal: {
        // Box-Muller; mu chosen so that the mean is mean_ns.
        const double z = std::sqrt(-2.0 * fastmath::log(u1)) * fastmath::cos_turns(u2);
        return mean_ns * fastmath::exp(shape * z - 0.5 * shape * shape);
      }
      case Kind::Uniform: return mean_ns * (1.0 + shape * (2.0 * u1 - 1.0));
    }
    return mean_ns;
  }
  [[nodiscard]] std::uint64_t sample_ns(double u1, double u2) const {
    const double v = sample(u1, u2);
    return v <= 0 ? 0 : static_cast<std::uint64_t>(v + 0.5);
  }
  [[nodiscard]] std::uint64_t sample_ns(Rng& rng) const {
    const double u1 = rng.uniform();
    return sample_ns(u1, kind == Kind::Lognormal ? rng.uniform() : 0.5);
  }
  [[nodiscard]] std::uint64_t sample_ns(const CounterRng& c, unsigned lane) const {
    return sample_ns(c.uniform(2 * lane), c.uniform(2 * lane + 1));
  }
};

}  // namespace irqshape::sim
