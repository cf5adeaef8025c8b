// The ISU data path: history, rate, prediction, patterns, rules, then the modulator
// (priority, augmentation, coalescing, storm guard). See docs/isu-spec.md, "Data path".
#include "isu/isu.h"

#include <bit>

namespace irqshape::isu {

using namespace regs;

Isu::Isu(VirtualInterruptSink& sink) : sink_(sink) { reset_state(); }

// Time never goes backwards inside the unit: a regressing timestamp is clamped to the
// last one seen and reported, so a host bug cannot reorder deadlines.
std::uint64_t Isu::accept_time(std::uint64_t t) {
  if (t < now_) {
    err_status_ |= err::InputTime::mask;
    return now_;
  }
  now_ = t;
  return t;
}

void Isu::advance(std::uint64_t now) { fire_deadlines(accept_time(now)); }

void Isu::fire_deadlines(std::uint64_t now) {
  while (deadlines_.due(now)) {
    const unsigned source = deadlines_.earliest_source();
    flush(source, deadlines_.earliest(), ctx_flag::kTimer, false);
  }
}

void Isu::pass_through(const hw::InterruptMessage& m, std::uint64_t t) {
  if (unshaped_in_ != ~0u) ++unshaped_in_;
  VirtualInterrupt vi;
  vi.time = t;
  vi.message = m;
  vi.first_time = vi.last_time = t;
  vi.shaped = false;
  sink_.inject(vi);
}

void Isu::receive(const hw::InterruptMessage& m, std::uint64_t now) {
  const std::uint64_t t = accept_time(now);
  fire_deadlines(t);
  const bool vectored = m.delivery_mode == hw::DeliveryMode::Fixed ||
                        m.delivery_mode == hw::DeliveryMode::LowestPriority;
  if (!enabled() || !vectored) return pass_through(m, t);
  if (m.source >= kSources) {
    err_status_ |= err::InputSource::mask;
    return pass_through(m, t);
  }
  const unsigned source = m.source;
  SourceState& s = source_[source];
  ++s.telemetry.in;

  // Conditions see the prediction as it stood before this arrival, and a rate that
  // includes it.
  const bool confident = s.predictor.confident();
  const std::uint64_t deviation = s.predictor.deviation(), predicted = s.predictor.predicted_next();
  s.rate.record(t, rate_window_);
  s.predictor.record(t, pred_shift_);

  const std::uint64_t completed = patterns_.on_arrival(source, t);
  if (patterns_.take_overflow()) err_status_ |= err::PartialOverflow::mask;
  if (completed != 0) ++s.telemetry.patterns;
  const Actions a =
      rules_.evaluate(source, completed, ConditionInputs{t, s.rate, rate_window_, confident, deviation, predicted});

  std::uint8_t flags = shape(source, m, t, a, completed);
  if (completed != 0) flags |= hist_flag::kPattern;
  if (!ctrl::HistoryFreeze::test(ctrl_)) history_.push(t, static_cast<std::uint16_t>(source), m.vector, flags);
}

bool Isu::storm_guard_active(const SourceState& s, std::uint64_t t) const {
  return src_ctrl::StormGuard::test(s.config.ctrl) && s.rate.above(t, rate_window_, s.config.storm_limit);
}

// Whether a batch of `count` events keeps waiting for more. The count threshold is
// fixed, or in adaptive mode the number of events expected within the time threshold at
// the predicted rate, floor(time / mean gap), capped by the fixed count (256 when none)
// and at least 1 - so a lone event among sparse arrivals is delivered at once. A mean gap
// of 0 is the highest rate, so the cap (floor(T / 0) has no bound). Written without a
// division: count < floor(T / g) <=> (count + 1) * g <= T, which holds for g = 0.
bool Isu::keep_holding(const SourceState& s, std::uint32_t count) const {
  const SourceConfig& c = s.config;
  if (!src_ctrl::Adaptive::test(c.ctrl)) return c.frames == 0 || count < c.frames;
  const std::uint64_t gap = s.predictor.mean();
  const std::uint32_t cap = c.frames != 0 ? c.frames : 256;
  if (s.predictor.gaps() < 2 || gap > c.time || count >= cap) return false;
  return (std::uint64_t{count} + 1) * gap <= c.time;  // count < 2^16 and gap <= 2^32: no overflow
}

// Decides what happens to one arrival; returns its history flags.
std::uint8_t Isu::shape(unsigned source, const hw::InterruptMessage& m, std::uint64_t t, const Actions& a,
                        std::uint64_t completed) {
  SourceState& s = source_[source];
  Batch& b = s.batch;
  // Level-triggered lines throttle themselves through remote IRR: holding or dropping
  // one would only stall the line, so they are never held.
  const bool holdable = m.trigger_mode == hw::TriggerMode::Edge;
  if (holdable && storm_guard_active(s, t)) return defer_or_drop(source, m, t, a, completed);

  if (b.held_for_another_target(m)) flush(source, t, 0, false);  // it goes where it was headed
  add_to_batch(source, m, t, a, completed);

  // Only a source with a time threshold coalesces (a COALESCE action on one without has
  // no effect): every held event has a deadline.
  const bool coalescing = holdable && !a.urgent() && !a.raise() && s.config.time != 0 &&
                          (src_ctrl::Coalesce::test(s.config.ctrl) || a.coalesce());
  if (coalescing) {
    // A deadline already behind t (SRC_COAL_TIME shortened while the batch was held)
    // delivers now: a virtual interrupt is never dated before an event it carries.
    const std::uint64_t by_time = b.first + s.config.time;
    if (by_time <= t) {
      const bool lowered = b.lower && s.config.lower_vector != 0;  // as flush() decides it
      flush(source, t, ctx_flag::kTimer, false);
      return lowered ? hist_flag::kFlushed | hist_flag::kLowered : hist_flag::kFlushed;
    }
    if (keep_holding(s, b.count) && b.count != ~0u) {
      // A new batch has no deadline yet (kNever); 2^64 - 1 is a valid one all the same.
      if (by_time < b.deadline || b.deadline == kNever) {
        b.deadline = by_time;
        deadlines_.set(source, b.deadline);
      }
      return hist_flag::kHeld;
    }
  }
  std::uint8_t flags = hist_flag::kFlushed;
  if (a.raise() && s.config.raise_vector != 0) flags |= hist_flag::kRaised;
  else if (b.lower && s.config.lower_vector != 0) flags |= hist_flag::kLowered;
  flush(source, t, a.urgent() ? ctx_flag::kUrgent : 0, a.raise());
  return flags;
}

std::uint8_t Isu::defer_or_drop(unsigned source, const hw::InterruptMessage& m, std::uint64_t t, const Actions& a,
                                std::uint64_t completed) {
  SourceState& s = source_[source];
  if (src_ctrl::StormDrop::test(s.config.ctrl)) {
    ++s.telemetry.dropped;
    if (s.dropped_since_record != ~0u) ++s.dropped_since_record;
    return hist_flag::kDropped;
  }
  Batch& b = s.batch;
  if (b.held_for_another_target(m)) flush(source, t, 0, false);
  add_to_batch(source, m, t, a, completed);
  b.deferred = true;
  ++s.telemetry.deferred;
  // Held until the end of the current rate window: at most one virtual interrupt per
  // window while the storm lasts.
  const std::uint64_t window_end = s.rate.window_end(rate_window_);
  if (b.deadline == kNever || b.deadline < window_end) {
    b.deadline = window_end;
    deadlines_.set(source, b.deadline);
  }
  if (b.count == ~0u) flush(source, t, 0, false);
  return hist_flag::kDeferred;
}

void Isu::add_to_batch(unsigned source, const hw::InterruptMessage& m, std::uint64_t t, const Actions& a,
                       std::uint64_t completed) {
  Batch& b = source_[source].batch;
  if (b.count == 0) {
    // Field by field: building a temporary Batch and copying it costs a store-forwarding
    // stall on every interrupt.
    b.message = m;
    b.first = t;
    b.deadline = kNever;
    b.prev_step = 0;
    b.pattern_mask = 0;
    b.offset_sum = 0;
    b.rule = ctx::kNoRule;
    b.augment = b.lower = b.deferred = false;
  }
  ++b.count;
  b.offset_sum += t - b.first;
  b.last = t;
  for (std::uint64_t rest = completed; rest != 0; rest &= rest - 1) {
    const std::uint64_t prev = patterns_.prev_step_time(static_cast<unsigned>(std::countr_zero(rest)));
    if (prev > b.prev_step) b.prev_step = prev;
  }
  b.pattern_mask |= completed;
  if (a.first_rule != ctx::kNoRule) b.rule = static_cast<std::uint8_t>(a.first_rule);
  b.augment |= a.augment();
  b.lower |= a.lower();
}

void Isu::flush(unsigned source, std::uint64_t t, std::uint32_t flags, bool raise) {
  SourceState& s = source_[source];
  Batch& b = s.batch;
  VirtualInterrupt vi;
  vi.time = t;
  vi.message = b.message;
  vi.count = b.count;
  vi.first_time = b.first;
  vi.last_time = b.last;
  if (raise && s.config.raise_vector != 0) {
    vi.message.vector = s.config.raise_vector;
    flags |= ctx_flag::kRaised;
    ++s.telemetry.raised;
  } else if (b.lower && s.config.lower_vector != 0) {  // also a RAISE with no raise vector
    vi.message.vector = s.config.lower_vector;
    flags |= ctx_flag::kLowered;
    ++s.telemetry.lowered;
  }
  if (b.count > 1) flags |= ctx_flag::kCoalesced;
  if (b.deferred) flags |= ctx_flag::kDeferred;
  if (b.pattern_mask != 0) flags |= ctx_flag::kPattern;
  vi.flags = flags;
  if (b.augment) vi.context_slot = write_context(source, vi);

  SourceTelemetry& tel = s.telemetry;
  ++tel.out;
  tel.events += b.count;
  tel.coalesced += b.count - 1;
  const std::uint64_t longest = t - b.first;  // the first event waited longest
  tel.hold_sum += b.count * longest - b.offset_sum;
  if (longest > tel.hold_max) tel.hold_max = longest;
  tel.hold[hold_bucket(longest)] += b.count;
  b.count = 0;
  b.deadline = kNever;
  deadlines_.remove(source);
  sink_.inject(vi);
}

std::uint16_t Isu::write_context(unsigned source, const VirtualInterrupt& vi) {
  const std::uint32_t dest = vi.message.destination;
  if (vi.message.destination_mode != hw::DestinationMode::Physical || dest >= kDestinations) {
    err_status_ |= err::InputDestination::mask;
    return kNoContext;
  }
  SourceState& s = source_[source];
  const Batch& b = s.batch;
  // The sequence wraps from ctx::kLastSequence, a multiple of every ring size, back to 1:
  // 0 keeps meaning "empty slot", and slots stay consecutive across the wrap.
  const std::uint32_t seq = context_sequence_[dest] == ctx::kLastSequence ? 1 : context_sequence_[dest] + 1;
  context_sequence_[dest] = seq;
  const auto slot = static_cast<std::uint16_t>((seq - 1) & ((1u << ctx_log2_) - 1));
  context_[dest][slot] = ContextRecord{
      .sequence = seq,
      .source = static_cast<std::uint16_t>(source),
      .vector = vi.message.vector,
      .rule = b.rule,
      .count = b.count,
      .flags = vi.flags,
      .first_time = b.first,
      .last_time = b.last,
      .prev_step_time = b.prev_step,
      .predicted_next = s.predictor.predicted_next(),
      .pattern_mask = b.pattern_mask,
      .dropped = s.dropped_since_record,
      .reserved = 0,
  };
  s.dropped_since_record = 0;
  return slot;
}

// Delivers every held event now (on disable and reset): nothing is ever lost.
void Isu::flush_all() {
  // Every deadline still pending lies after NOW (due ones fired when time reached
  // them), so none of these deliveries is a timer's.
  while (!deadlines_.empty()) flush(deadlines_.earliest_source(), now_, 0, false);
  for (unsigned source = 0; source < kSources; ++source)
    if (source_[source].batch.count != 0) flush(source, now_, 0, false);
}

}  // namespace irqshape::isu
