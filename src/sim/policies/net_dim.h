// Linux's Dynamic Interrupt Moderation (DIM) for one receive queue, re-implemented from
// the kernel's description of it (lib/dim/net_dim.c: net_dim(), net_dim_decision(),
// net_dim_stats_compare(), net_dim_step(), net_dim_exit_parking(); lib/dim/dim.c:
// dim_calc_stats(), dim_on_top(), dim_turn(), dim_park_on_top(), dim_park_tired();
// include/linux/dim.h: DIM_NEVENTS, IS_SIGNIFICANT_DIFF, BIT_GAP). No kernel code is
// copied; the behaviour is the kernel's, step for step:
//
//   - The driver hands DIM a sample after every interrupt (mlx5e_handle_rx_dim at the end
//     of a NAPI poll): a 16-bit count of interrupts, 32-bit counts of packets and bytes,
//     and the time. A measurement spans DIM_NEVENTS = 64 interrupts.
//   - At its end the rates (per millisecond, rounded up) of bytes, packets and interrupts
//     are compared with the previous measurement's: a difference counts when it exceeds
//     10% of the previous value. More bytes is better, else more packets is better, else
//     fewer interrupts is better; otherwise the same.
//   - The tuner walks a table of 5 profiles {usec, pkts} (index 0: least moderation).
//     Going right/left, it keeps its direction while results get better and turns
//     otherwise; it parks "on top" when it has just turned back after more than one step
//     the other way (a local optimum) or at an edge, and "tired" after 2 x 5 steps
//     without parking. Parked on top it leaves when the traffic changes (a comparison
//     that is not SAME); parked tired it leaves after as many measurements as it was
//     tired. Leaving a parking, it goes left unless at profile 0.
//   - A decision that changes the profile makes the driver apply it (a work item) and
//     restart measuring from the next sample; the previous measurement is remembered
//     except while parked on top (so the parking compares against the state it parked in).
#pragma once

#include <array>
#include <cstdint>

#include "sim/policy.h"

namespace irqshape::sim::dim {

inline constexpr unsigned kNumProfiles = 5;       // NET_DIM_PARAMS_NUM_PROFILES
inline constexpr unsigned kNevents = 64;          // DIM_NEVENTS
inline constexpr unsigned kDefaultProfile = 1;    // NET_DIM_DEF_PROFILE_EQE, NET_DIM_DEF_PROFILE_CQE
inline constexpr unsigned kSignificantPercent = 10;  // IS_SIGNIFICANT_DIFF

struct Moderation {
  std::uint16_t usec = 0;
  std::uint16_t pkts = 0;
};

// DIM_CQ_PERIOD_MODE_START_FROM_EQE: the moderation timer starts at the first completion
// after an interrupt; _FROM_CQE: it restarts at every completion.
enum class PeriodMode : std::uint8_t { Eqe, Cqe };

// The default receive profiles of lib/dim/net_dim.c (NET_DIM_RX_EQE_PROFILES,
// NET_DIM_RX_CQE_PROFILES).
const std::array<Moderation, kNumProfiles>& rx_profiles(PeriodMode mode);

struct Sample {
  Nanos time = 0;
  std::uint16_t event_ctr = 0;  // interrupts, wrapping at 2^16
  std::uint32_t pkt_ctr = 0;    // wrapping at 2^32
  std::uint32_t byte_ctr = 0;
};

struct Stats {
  std::int64_t ppms = 0, bpms = 0, epms = 0;  // packets, bytes, interrupts per millisecond
};

enum class TuneState : std::uint8_t { ParkingOnTop, ParkingTired, GoingRight, GoingLeft };
enum class Compare : std::uint8_t { Worse, Same, Better };

class NetDim {
 public:
  // One sample, after an interrupt. Returns true when the decision changed the profile:
  // the caller applies profile() and calls applied() (the kernel's work item).
  bool update(const Sample& end);
  void applied() { state_ = State::StartMeasure; }

  [[nodiscard]] unsigned profile() const { return profile_ix_; }
  [[nodiscard]] TuneState tune_state() const { return tune_state_; }
  [[nodiscard]] unsigned tired() const { return tired_; }
  [[nodiscard]] const Stats& prev_stats() const { return prev_stats_; }

  // The pieces, public for tests.
  static bool calc_stats(const Sample& start, const Sample& end, Stats& out);
  static Compare compare(const Stats& curr, const Stats& prev);
  bool decision(const Stats& curr);

 private:
  enum class State : std::uint8_t { StartMeasure, MeasureInProgress, ApplyNewProfile };
  enum class Step : std::uint8_t { Stepped, TooTired, OnEdge };

  Step step();
  void exit_parking();
  [[nodiscard]] bool on_top() const;
  void turn();
  void park_on_top();
  void park_tired();

  // Drivers allocate the DIM context zeroed: measuring starts with the first sample,
  // profile index 0, parked on top, no previous statistics.
  State state_ = State::StartMeasure;
  TuneState tune_state_ = TuneState::ParkingOnTop;
  Sample start_;
  Stats prev_stats_;
  unsigned profile_ix_ = 0;
  unsigned steps_right_ = 0, steps_left_ = 0, tired_ = 0;
};

}  // namespace irqshape::sim::dim
