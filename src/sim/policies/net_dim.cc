#include "sim/policies/net_dim.h"

namespace irqshape::sim::dim {

const std::array<Moderation, kNumProfiles>& rx_profiles(PeriodMode mode) {
  // usec, pkts
  static constexpr std::array<Moderation, kNumProfiles> kEqe = {
      Moderation{1, 256}, Moderation{8, 256}, Moderation{64, 256}, Moderation{128, 256}, Moderation{256, 256}};
  static constexpr std::array<Moderation, kNumProfiles> kCqe = {
      Moderation{2, 256}, Moderation{8, 128}, Moderation{16, 64}, Moderation{32, 64}, Moderation{64, 64}};
  return mode == PeriodMode::Eqe ? kEqe : kCqe;
}

namespace {

// (end - start) modulo 2^bits, as BIT_GAP does for the wrapping hardware counters.
std::uint64_t gap(std::uint64_t end, std::uint64_t start, unsigned bits) {
  return (end - start) & ((std::uint64_t{1} << bits) - 1);
}

std::uint64_t div_round_up(std::uint64_t n, std::uint64_t d) { return (n + d - 1) / d; }

// More than 10% away from a non-zero reference.
bool significant(std::int64_t val, std::int64_t ref) {
  if (ref == 0) return false;
  const std::int64_t diff = val > ref ? val - ref : ref - val;
  return (100 * diff) / ref > static_cast<std::int64_t>(kSignificantPercent);
}

}  // namespace

// Rates over the measurement, in units per millisecond rounded up; false (no decision)
// when less than a microsecond passed - the kernel ignores such unreliable samples.
bool NetDim::calc_stats(const Sample& start, const Sample& end, Stats& out) {
  const std::uint64_t delta_us = static_cast<std::uint32_t>((end.time - start.time) / 1000);
  if (delta_us == 0) return false;
  const std::uint64_t npkts = gap(end.pkt_ctr, start.pkt_ctr, 32);
  const std::uint64_t nbytes = gap(end.byte_ctr, start.byte_ctr, 32);
  out.ppms = static_cast<std::int64_t>(div_round_up(npkts * 1000, delta_us));
  out.bpms = static_cast<std::int64_t>(div_round_up(nbytes * 1000, delta_us));
  out.epms = static_cast<std::int64_t>(div_round_up(std::uint64_t{kNevents} * 1000, delta_us));
  return true;
}

// Throughput first (bytes, then packets: more is better), then interrupt rate (fewer is
// better). A zero previous value makes any non-zero current value better.
Compare NetDim::compare(const Stats& curr, const Stats& prev) {
  if (prev.bpms == 0) return curr.bpms != 0 ? Compare::Better : Compare::Same;
  if (significant(curr.bpms, prev.bpms)) return curr.bpms > prev.bpms ? Compare::Better : Compare::Worse;
  if (prev.ppms == 0) return curr.ppms != 0 ? Compare::Better : Compare::Same;
  if (significant(curr.ppms, prev.ppms)) return curr.ppms > prev.ppms ? Compare::Better : Compare::Worse;
  if (prev.epms == 0) return Compare::Same;
  if (significant(curr.epms, prev.epms)) return curr.epms < prev.epms ? Compare::Better : Compare::Worse;
  return Compare::Same;
}

NetDim::Step NetDim::step() {
  if (tired_ == kNumProfiles * 2) return Step::TooTired;
  switch (tune_state_) {
    case TuneState::ParkingOnTop:
    case TuneState::ParkingTired:
      break;
    case TuneState::GoingRight:
      if (profile_ix_ == kNumProfiles - 1) return Step::OnEdge;
      ++profile_ix_;
      ++steps_right_;
      break;
    case TuneState::GoingLeft:
      if (profile_ix_ == 0) return Step::OnEdge;
      --profile_ix_;
      ++steps_left_;
      break;
  }
  ++tired_;
  return Step::Stepped;
}

void NetDim::exit_parking() {
  tune_state_ = profile_ix_ != 0 ? TuneState::GoingLeft : TuneState::GoingRight;
  step();
}

// Just turned back after more than one step the other way: between the two, this is
// the best profile seen.
bool NetDim::on_top() const {
  switch (tune_state_) {
    case TuneState::ParkingOnTop:
    case TuneState::ParkingTired: return true;
    case TuneState::GoingRight: return steps_left_ > 1 && steps_right_ == 1;
    case TuneState::GoingLeft: return steps_right_ > 1 && steps_left_ == 1;
  }
  return true;
}

void NetDim::turn() {
  if (tune_state_ == TuneState::GoingRight) {
    tune_state_ = TuneState::GoingLeft;
    steps_left_ = 0;
  } else if (tune_state_ == TuneState::GoingLeft) {
    tune_state_ = TuneState::GoingRight;
    steps_right_ = 0;
  }
}

void NetDim::park_on_top() {
  steps_right_ = steps_left_ = tired_ = 0;
  tune_state_ = TuneState::ParkingOnTop;
}

void NetDim::park_tired() {
  steps_right_ = steps_left_ = 0;  // `tired` is kept: it counts the measurements to sit out
  tune_state_ = TuneState::ParkingTired;
}

bool NetDim::decision(const Stats& curr) {
  const TuneState prev_state = tune_state_;
  const unsigned prev_ix = profile_ix_;
  switch (tune_state_) {
    case TuneState::ParkingOnTop:
      if (compare(curr, prev_stats_) != Compare::Same) exit_parking();
      break;
    case TuneState::ParkingTired:
      if (--tired_ == 0) exit_parking();
      break;
    case TuneState::GoingRight:
    case TuneState::GoingLeft:
      if (compare(curr, prev_stats_) != Compare::Better) turn();
      if (on_top()) {
        park_on_top();
        break;
      }
      switch (step()) {
        case Step::OnEdge: park_on_top(); break;
        case Step::TooTired: park_tired(); break;
        case Step::Stepped: break;
      }
      break;
  }
  if (prev_state != TuneState::ParkingOnTop || tune_state_ != TuneState::ParkingOnTop) prev_stats_ = curr;
  return profile_ix_ != prev_ix;
}

bool NetDim::update(const Sample& end) {
  switch (state_) {
    case State::MeasureInProgress: {
      if (gap(end.event_ctr, start_.event_ctr, 16) < kNevents) return false;
      Stats curr;
      if (!calc_stats(start_, end, curr)) return false;
      if (decision(curr)) {
        state_ = State::ApplyNewProfile;
        return true;
      }
      start_ = end;  // the kernel falls through to start the next measurement here
      return false;
    }
    case State::StartMeasure:
      start_ = end;
      state_ = State::MeasureInProgress;
      return false;
    case State::ApplyNewProfile:
      return false;
  }
  return false;
}

}  // namespace irqshape::sim::dim
