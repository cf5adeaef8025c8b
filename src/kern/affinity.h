// Processor sets (NT's KAFFINITY): one bit per CPU index. A 64-bit mask bounds the
// interrupt core to 64 CPUs; the guest uses at most 8. CPU indexes are the kernel's
// numbering (0..n-1); APIC ids are a separate space (see CoreConfig::apic_ids).
#pragma once

#include <bit>
#include <cstdint>

namespace irqshape::kern {

using KAFFINITY = std::uint64_t;
inline constexpr unsigned kMaxCpus = 64;

[[nodiscard]] constexpr KAFFINITY affinity_of(unsigned cpu) { return cpu < kMaxCpus ? KAFFINITY{1} << cpu : 0; }
[[nodiscard]] constexpr KAFFINITY first_cpus(unsigned n) {
  return n >= kMaxCpus ? ~KAFFINITY{0} : (KAFFINITY{1} << n) - 1;
}
[[nodiscard]] constexpr bool contains(KAFFINITY set, unsigned cpu) { return (set & affinity_of(cpu)) != 0; }
[[nodiscard]] constexpr unsigned cpu_count_of(KAFFINITY set) { return static_cast<unsigned>(std::popcount(set)); }

// Calls f(cpu) for each member, lowest first.
template <typename F>
constexpr void for_each_cpu(KAFFINITY set, F&& f) {
  while (set != 0) {
    const auto cpu = static_cast<unsigned>(std::countr_zero(set));
    set &= set - 1;
    f(cpu);
  }
}

}  // namespace irqshape::kern
