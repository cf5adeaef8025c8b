#include "devices/hpet.h"

namespace guest::hpet {

namespace {
// Register offsets (HPET spec 1.0a, 2.3.1).
constexpr std::uint64_t kCapabilities = 0x000;  // GCAP_ID: bits 63:32 counter period (fs)
constexpr std::uint64_t kCounter64 = 1u << 13;  // GCAP_ID COUNT_SIZE_CAP: 64-bit main counter
constexpr std::uint64_t kConfiguration = 0x010; // GEN_CONF
constexpr std::uint64_t kMainCounter = 0x0F0;
constexpr std::uint64_t kEnable = 1u << 0;      // ENABLE_CNF
constexpr std::uint64_t kLegacyRoute = 1u << 1; // LEG_RT_CNF
// The spec bounds the period to (0, 100 ns]: 0x05F5E100 fs.
constexpr std::uint64_t kMaxPeriodFs = 100'000'000;
constexpr std::uint64_t kFemtosecondsPerNanosecond = 1'000'000;

std::uint64_t base_address = 0;
std::uint64_t period_fs = 0;
std::uint64_t start = 0;

volatile std::uint64_t& reg(std::uint64_t offset) { return *reinterpret_cast<volatile std::uint64_t*>(base_address + offset); }
}  // namespace

bool init(std::uint64_t base) {
  base_address = base;
  const std::uint64_t capabilities = reg(kCapabilities);
  period_fs = capabilities >> 32;
  if (period_fs == 0 || period_fs > kMaxPeriodFs) return false;
  // A 32-bit counter wraps in minutes (about 5 at 14.3 MHz) and nanoseconds() cannot see
  // a wrap: refuse it rather than let time jump back.
  if ((capabilities & kCounter64) == 0) return false;
  reg(kConfiguration) = (reg(kConfiguration) & ~kLegacyRoute) | kEnable;
  start = reg(kMainCounter);
  return true;
}

std::uint64_t nanoseconds() {
  const std::uint64_t ticks = reg(kMainCounter) - start;
  // period_fs <= 1e8 and the product stays below 2^64 for over five hours of ticks.
  return ticks * period_fs / kFemtosecondsPerNanosecond;
}

std::uint64_t period_femtoseconds() { return period_fs; }

}  // namespace guest::hpet
