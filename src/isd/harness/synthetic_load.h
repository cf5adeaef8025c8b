// Synthetic interrupt load for driving the ISU model without the simulator: per-source
// Poisson, bursty or periodic arrivals whose rate can change over time (phases), merged
// in time order. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <random>
#include <vector>

namespace irqshape::isd::harness {

enum class LoadShape : std::uint8_t {
  poisson,   // exponential gaps at the phase's rate
  bursty,    // bursts of `burst_size` events `burst_gap_ns` apart; bursts are Poisson at rate / burst_size
  periodic,  // one event every 1/rate, plus uniform jitter in [0, jitter_ns]
};

struct LoadPhase {
  std::uint64_t start_ns = 0;
  double rate_per_s = 0;  // 0: silent during the phase
};

struct SyntheticSource {
  std::uint32_t source = 0;
  LoadShape shape = LoadShape::poisson;
  std::vector<LoadPhase> phases;  // sorted by start; the first should start at 0
  std::uint32_t burst_size = 8;
  std::uint64_t burst_gap_ns = 2'000;
  std::uint64_t jitter_ns = 0;
  std::uint8_t vector = 0x40;
  std::uint32_t destination = 0;
};

struct Arrival {
  std::uint64_t time = 0;
  std::uint32_t source = 0;
  std::uint8_t vector = 0x40;
  std::uint32_t destination = 0;
};

class SyntheticLoad {
 public:
  SyntheticLoad(std::vector<SyntheticSource> sources, std::uint64_t seed);

  // The next arrival (time order; ties by source order) without consuming it.
  [[nodiscard]] std::optional<Arrival> peek() const;
  std::optional<Arrival> next();
  // Every arrival with time < `until`.
  std::vector<Arrival> take_until(std::uint64_t until);

 private:
  struct State {
    std::uint64_t next = 0;
    std::uint32_t burst_left = 0;
    bool done = false;
  };
  double rate_at(const SyntheticSource& s, std::uint64_t t) const;
  std::uint64_t next_phase_start(const SyntheticSource& s, std::uint64_t t) const;
  void schedule(std::size_t i, std::uint64_t from);
  struct Later {
    bool operator()(const std::pair<std::uint64_t, std::size_t>& a, const std::pair<std::uint64_t, std::size_t>& b) const {
      return a.first > b.first || (a.first == b.first && a.second > b.second);
    }
  };

  std::vector<SyntheticSource> sources_;
  std::vector<State> state_;
  std::mt19937_64 rng_;
  std::priority_queue<std::pair<std::uint64_t, std::size_t>, std::vector<std::pair<std::uint64_t, std::size_t>>, Later> queue_;
};

}  // namespace irqshape::isd::harness
