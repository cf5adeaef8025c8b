// The ISU register file: decode, access checks, shadow registers and COMMIT, and the
// snapshot windows. A rejected write changes nothing except the error registers.
#include <array>
#include <bit>

#include "isu/isu.h"

namespace irqshape::isu {

using namespace regs;

namespace {

// Offset -> index into kRegisters, for O(1) decode.
constexpr auto kDecode = [] {
  std::array<std::int16_t, kWindowSize / 4> index{};
  for (auto& i : index) i = -1;
  for (std::size_t i = 0; i < std::size(kRegisters); ++i) index[kRegisters[i].offset / 4] = static_cast<std::int16_t>(i);
  return index;
}();

const RegisterInfo* decode(std::uint32_t offset) {
  if ((offset & 3) != 0 || offset >= kWindowSize) return nullptr;
  const std::int16_t i = kDecode[offset / 4];
  return i < 0 ? nullptr : &kRegisters[static_cast<std::size_t>(i)];
}

constexpr std::uint32_t lo(std::uint64_t v) { return static_cast<std::uint32_t>(v); }
constexpr std::uint32_t hi(std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); }
constexpr std::uint32_t sat32(std::uint64_t v) { return v > 0xFFFF'FFFFull ? 0xFFFF'FFFFu : static_cast<std::uint32_t>(v); }
constexpr bool valid_vector(std::uint32_t v) { return v == 0 || v >= 32; }

}  // namespace

void Isu::reset_state() {
  ctrl_ = 0;
  err_status_ = err_addr_ = err_data_ = err_count_ = 0;
  commit_status_ = 0;
  rate_window_ = 1'000'000;
  pred_shift_ = 3;
  hist_log2_ = hist_cfg::kReset;
  ctx_log2_ = ctx_cfg::kReset;
  unshaped_in_ = 0;
  shadow_ = Shadows{};
  view_ = Views{};
  history_.configure(hist_log2_);
  patterns_.reset();
  rules_.reset();
  deadlines_.clear();
  source_.fill(SourceState{});
  for (auto& ring : context_) ring.fill(ContextRecord{});
  context_sequence_.fill(0);
}

void Isu::access_error(std::uint32_t bit, std::uint32_t offset, std::uint32_t value) {
  if ((err_status_ & err::kAccessErrors) == 0) {
    err_addr_ = offset;
    err_data_ = value;
  }
  err_status_ |= bit;
  if (err_count_ != ~0u) ++err_count_;
}

std::uint32_t Isu::read32(std::uint32_t offset) {
  const RegisterInfo* r = decode(offset);
  if (r == nullptr) {
    access_error(err::Unmapped::mask, offset, 0);
    return 0;
  }
  if (r->access == Access::WO) return 0;
  return read_register(offset);
}

void Isu::write32(std::uint32_t offset, std::uint32_t value) {
  const RegisterInfo* r = decode(offset);
  if (r == nullptr) return access_error(err::Unmapped::mask, offset, value);
  if (r->access == Access::RO) return access_error(err::ReadOnlyWrite::mask, offset, value);
  if ((value & ~r->defined) != 0) return access_error(err::ReservedBits::mask, offset, value);
  if (const std::uint32_t e = write_register(offset, value); e != 0) access_error(e, offset, value);
}

std::uint32_t Isu::read_register(std::uint32_t offset) {
  if (offset >= CTX_DATA0 && offset < ctx_data(16)) {
    const auto words = std::bit_cast<std::array<std::uint32_t, 16>>(view_.ctx);
    return words[(offset - CTX_DATA0) / 4];
  }
  if (offset >= TEL_HOLD0 && offset < tel_hold(kHoldBuckets)) return view_.source.hold[(offset - TEL_HOLD0) / 4];
  if (offset >= PAT_SRC0 && offset < pat_max(kMaxSteps)) {
    const unsigned k = (offset - PAT_SRC0) / 4 % kMaxSteps;
    if (offset < PAT_MIN0) return shadow_.pat_src[k];
    return offset < PAT_MAX0 ? shadow_.pat_min[k] : shadow_.pat_max[k];
  }
  const SourceTelemetry& t = view_.source;
  switch (offset) {
    case CTRL: return ctrl_;
    case STATUS:
      return status::Enabled::make(enabled() ? 1 : 0) | status::BatchesPending::make(deadlines_.empty() ? 0 : 1) |
             status::HistoryFrozen::make(ctrl::HistoryFreeze::get(ctrl_)) |
             status::Error::make(err_status_ != 0 ? 1 : 0);
    case ERR_STATUS: return err_status_;
    case ERR_ADDR: return err_addr_;
    case ERR_DATA: return err_data_;
    case ERR_COUNT: return err_count_;
    case COMMIT_STATUS: return commit_status_;
    case RATE_WINDOW: return rate_window_;
    case PRED_SHIFT: return pred_shift_;
    case HIST_CFG: return hist_log2_;
    case CTX_CFG: return ctx_log2_;
    case NOW_LO: view_.now_hi = hi(now_); return lo(now_);
    case NOW_HI: return view_.now_hi;
    case UNSHAPED_IN: return unshaped_in_;
    case PM_LIVE: return patterns_.live();
    case PM_DROPPED: return sat32(patterns_.dropped());
    case HIST_COUNT_LO: view_.hist_count_hi = hi(history_.count()); return lo(history_.count());
    case HIST_COUNT_HI: return view_.hist_count_hi;
    case HIST_INDEX: return view_.hist_index;
    case HIST_TS_LO: return lo(view_.hist.time);
    case HIST_TS_HI: return hi(view_.hist.time);
    case HIST_ENTRY:
      return hist_entry::Source::make(view_.hist.source) | hist_entry::Vector::make(view_.hist.vector) |
             hist_entry::Flags::make(view_.hist_valid ? view_.hist.flags | hist_flag::kValid : 0u);
    case HIST_SEQ: return view_.hist.sequence;
    case PAT_SEL: return shadow_.pat_sel;
    case PAT_CTRL: return shadow_.pat_ctrl;
    case RULE_SEL: return shadow_.rule_sel;
    case RULE_COND: return shadow_.rule_cond;
    case RULE_SOURCE: return shadow_.rule_source;
    case RULE_PARAM: return shadow_.rule_param;
    case RULE_ACTION: return shadow_.rule_action;
    case SRC_SEL: return shadow_.src_sel;
    case SRC_CTRL: return shadow_.src_ctrl;
    case SRC_COAL_COUNT: return shadow_.src_coal_count;
    case SRC_COAL_TIME: return shadow_.src_coal_time;
    case SRC_STORM_LIMIT: return shadow_.src_storm_limit;
    case SRC_PRIO: return shadow_.src_prio;
    case TEL_SRC_SEL: return view_.tel_src;
    case TEL_IN_LO: return lo(t.in);
    case TEL_IN_HI: return hi(t.in);
    case TEL_OUT_LO: return lo(t.out);
    case TEL_OUT_HI: return hi(t.out);
    case TEL_EVENTS_LO: return lo(t.events);
    case TEL_EVENTS_HI: return hi(t.events);
    case TEL_COALESCED_LO: return lo(t.coalesced);
    case TEL_COALESCED_HI: return hi(t.coalesced);
    case TEL_DEFERRED_LO: return lo(t.deferred);
    case TEL_DEFERRED_HI: return hi(t.deferred);
    case TEL_DROPPED_LO: return lo(t.dropped);
    case TEL_DROPPED_HI: return hi(t.dropped);
    case TEL_RAISED_LO: return lo(t.raised);
    case TEL_RAISED_HI: return hi(t.raised);
    case TEL_LOWERED_LO: return lo(t.lowered);
    case TEL_LOWERED_HI: return hi(t.lowered);
    case TEL_PATTERNS_LO: return lo(t.patterns);
    case TEL_PATTERNS_HI: return hi(t.patterns);
    case TEL_RATE: return view_.rate;
    case TEL_PRED_MEAN: return view_.pred_mean;
    case TEL_PRED_DEV: return view_.pred_dev;
    case TEL_PRED_NEXT_LO: return lo(view_.pred_next);
    case TEL_PRED_NEXT_HI: return hi(view_.pred_next);
    case TEL_PENDING: return view_.pending;
    case TEL_HOLD_SUM_LO: return lo(t.hold_sum);
    case TEL_HOLD_SUM_HI: return hi(t.hold_sum);
    case TEL_HOLD_MAX: return sat32(t.hold_max);
    case TEL_RULE_SEL: return view_.tel_rule;
    case TEL_RULE_MATCHES_LO: return lo(view_.rule_matches);
    case TEL_RULE_MATCHES_HI: return hi(view_.rule_matches);
    case TEL_PAT_SEL: return view_.tel_pat;
    case TEL_PAT_MATCHES_LO: return lo(view_.pat_matches);
    case TEL_PAT_MATCHES_HI: return hi(view_.pat_matches);
    case TEL_PAT_LIVE: return view_.pat_live;
    case CTX_SEL: return view_.ctx_sel;
    default: break;
  }
  const RegisterInfo* r = decode(offset);
  return r != nullptr && r->access == Access::RO ? r->reset : 0;  // ID, VERSION, CAP_*
}

std::uint32_t Isu::write_register(std::uint32_t offset, std::uint32_t value) {
  switch (offset) {
    case CTRL: return write_ctrl(value);
    case ERR_STATUS:
      err_status_ &= ~value;
      return 0;
    case COMMIT: return execute(value);
    case RATE_WINDOW:
      if (value < kMinRateWindow) return err::OutOfRange::mask;
      rate_window_ = value;
      for (SourceState& s : source_) s.rate = RateMeter{};  // window boundaries moved
      return 0;
    case PRED_SHIFT:
      if (value < 1 || value > 8) return err::OutOfRange::mask;
      pred_shift_ = value;
      return 0;
    case HIST_CFG:
    case CTX_CFG: {
      const bool hist = offset == HIST_CFG;
      if (hist ? (value < kHistoryLog2Min || value > kHistoryLog2Max)
               : (value < kContextLog2Min || value > kContextLog2Max)) {
        return err::OutOfRange::mask;
      }
      if (enabled()) return err::ConfigLocked::mask;
      if (hist) {
        hist_log2_ = value;
        history_.configure(value);
      } else {
        ctx_log2_ = value;
        for (auto& ring : context_) ring.fill(ContextRecord{});
        context_sequence_.fill(0);
      }
      return 0;
    }
    case HIST_INDEX:
      view_.hist_index = value;
      latch_history_view();
      return 0;
    case TEL_SRC_SEL:
    case TEL_RULE_SEL:
    case TEL_PAT_SEL:
    case CTX_SEL: return write_selector(offset, value);
    default: return write_shadow(offset, value);
  }
}

std::uint32_t Isu::write_ctrl(std::uint32_t value) {
  if (ctrl::SoftReset::test(value)) {
    flush_all();  // held events are delivered before the unit forgets them
    const std::uint64_t now = now_;
    reset_state();
    now_ = now;  // time is the host's, not a register: it survives reset
    return 0;
  }
  const bool was_enabled = enabled();
  ctrl_ = value;
  if (was_enabled && !enabled()) flush_all();
  return 0;
}

std::uint32_t Isu::write_selector(std::uint32_t offset, std::uint32_t value) {
  switch (offset) {
    case TEL_SRC_SEL:
      view_.tel_src = value;
      latch_source_view();
      return 0;
    case TEL_RULE_SEL:
      view_.tel_rule = value;
      view_.rule_matches = rules_.matches(value);
      return 0;
    case TEL_PAT_SEL:
      view_.tel_pat = value;
      view_.pat_matches = patterns_.matches(value);
      view_.pat_live = patterns_.live(value);
      return 0;
    default:  // CTX_SEL
      if (ctx_sel::Destination::get(value) >= kDestinations || ctx_sel::Slot::get(value) >= (1u << ctx_log2_)) {
        return err::OutOfRange::mask;
      }
      view_.ctx_sel = value;
      latch_context_view();
      return 0;
  }
}

std::uint32_t Isu::write_shadow(std::uint32_t offset, std::uint32_t value) {
  if (offset >= PAT_SRC0 && offset < pat_max(kMaxSteps)) {
    const unsigned k = (offset - PAT_SRC0) / 4 % kMaxSteps;
    (offset < PAT_MIN0 ? shadow_.pat_src : offset < PAT_MAX0 ? shadow_.pat_min : shadow_.pat_max)[k] = value;
    return 0;
  }
  switch (offset) {
    case PAT_SEL: shadow_.pat_sel = value; return 0;
    case PAT_CTRL: {
      // 0..8: the reset value (0) can be written back; an enabled pattern needs 2..8,
      // which COMMIT checks (BAD_STEPS).
      if (pat_ctrl::Steps::get(value) > kMaxSteps) return err::OutOfRange::mask;
      shadow_.pat_ctrl = value;
      return 0;
    }
    case RULE_SEL: shadow_.rule_sel = value; return 0;
    case RULE_COND:
      if (rule_cond::Kind::get(value) > rule_cond::kMaxKind) return err::OutOfRange::mask;
      shadow_.rule_cond = value;
      return 0;
    case RULE_SOURCE:
      if (value >= kSources && value != kAnySource) return err::OutOfRange::mask;
      shadow_.rule_source = value;
      return 0;
    case RULE_PARAM: shadow_.rule_param = value; return 0;
    case RULE_ACTION: shadow_.rule_action = value; return 0;
    case SRC_SEL: shadow_.src_sel = value; return 0;
    case SRC_CTRL: shadow_.src_ctrl = value; return 0;
    case SRC_COAL_COUNT: shadow_.src_coal_count = value; return 0;
    case SRC_COAL_TIME: shadow_.src_coal_time = value; return 0;
    case SRC_STORM_LIMIT:
      if (value > kThresholdMax) return err::OutOfRange::mask;
      shadow_.src_storm_limit = value;
      return 0;
    case SRC_PRIO:
      if (!valid_vector(src_prio::RaiseVector::get(value)) || !valid_vector(src_prio::LowerVector::get(value))) {
        return err::OutOfRange::mask;
      }
      shadow_.src_prio = value;
      return 0;
    default: return err::Unmapped::mask;  // not reached: every RW register is handled above
  }
}

std::uint32_t Isu::execute(std::uint32_t command) {
  std::uint32_t result = commit::kOk;
  switch (commit::Command::get(command)) {
    case commit::kCommitPattern: result = commit_pattern(); break;
    case commit::kCommitRule: result = commit_rule(); break;
    case commit::kCommitSource: result = commit_source(); break;
    case commit::kLoadPattern: load_pattern(); break;
    case commit::kLoadRule: load_rule(); break;
    case commit::kLoadSource: load_source(); break;
    case commit::kClearPattern: patterns_.clear(shadow_.pat_sel); break;
    case commit::kClearRule: rules_.set(shadow_.rule_sel, Rule{}); break;
    case commit::kClearTelemetry:
      // Events held right now count as received in the new epoch, so that
      // TEL_IN = TEL_EVENTS + TEL_DROPPED + TEL_PENDING holds at every moment.
      for (SourceState& s : source_) s.telemetry = SourceTelemetry{.in = s.batch.count};
      rules_.clear_counters();
      patterns_.clear_counters();
      unshaped_in_ = 0;
      break;
    case commit::kClearHistory: history_.clear(); break;
    default: result = commit::kBadCommand; break;
  }
  commit_status_ = commit::Result::make(result) | commit::LastCommand::make(commit::Command::get(command));
  if (result == commit::kBadCommand) return err::OutOfRange::mask;
  return result == commit::kOk ? 0 : err::CommitRejected::mask;
}

std::uint32_t Isu::commit_pattern() {
  PatternDef def;
  def.enabled = pat_ctrl::Enable::test(shadow_.pat_ctrl);
  def.steps = static_cast<std::uint8_t>(pat_ctrl::Steps::get(shadow_.pat_ctrl));
  if (def.enabled && (def.steps < kMinSteps || def.steps > kMaxSteps)) return commit::kBadSteps;
  for (unsigned k = 0; k < kMaxSteps; ++k) {
    def.step[k] = PatternStep{static_cast<std::uint16_t>(shadow_.pat_src[k]), shadow_.pat_min[k], shadow_.pat_max[k]};
    if (def.enabled && k >= 1 && k < def.steps && shadow_.pat_min[k] > shadow_.pat_max[k]) return commit::kBadWindow;
  }
  patterns_.set(shadow_.pat_sel, def);
  return commit::kOk;
}

std::uint32_t Isu::commit_rule() {
  Rule r;
  r.enabled = rule_cond::Enable::test(shadow_.rule_cond);
  r.kind = static_cast<std::uint8_t>(rule_cond::Kind::get(shadow_.rule_cond));
  r.source = static_cast<std::uint16_t>(shadow_.rule_source);
  r.param = shadow_.rule_param;
  r.actions = static_cast<std::uint8_t>(shadow_.rule_action);
  if (r.enabled) {
    const bool rate = r.kind == rule_cond::kRateAbove || r.kind == rule_cond::kRateBelow;
    if (r.kind == 0 || (r.kind == rule_cond::kPattern && r.param >= kPatterns) || (rate && r.param > kThresholdMax)) {
      return commit::kBadCondition;
    }
    if ((rule_action::Raise::test(r.actions) && rule_action::Lower::test(r.actions)) ||
        (rule_action::Coalesce::test(r.actions) && rule_action::Urgent::test(r.actions))) {
      return commit::kBadAction;
    }
  }
  rules_.set(shadow_.rule_sel, r);
  return commit::kOk;
}

std::uint32_t Isu::commit_source() {
  const std::uint32_t c = shadow_.src_ctrl;
  // Count-only coalescing is not offered: it could hold an event forever.
  const bool coalesce = src_ctrl::Coalesce::test(c) || src_ctrl::Adaptive::test(c);
  if (coalesce && shadow_.src_coal_time == 0) return commit::kBadCoalescing;
  const bool guard = src_ctrl::StormGuard::test(c);
  if ((guard && shadow_.src_storm_limit == 0) || (src_ctrl::StormDrop::test(c) && !guard)) return commit::kBadStorm;
  SourceConfig& cfg = source_[shadow_.src_sel].config;
  cfg.ctrl = c;
  cfg.frames = static_cast<std::uint16_t>(shadow_.src_coal_count);
  cfg.time = shadow_.src_coal_time;
  cfg.storm_limit = shadow_.src_storm_limit;
  cfg.raise_vector = static_cast<std::uint8_t>(src_prio::RaiseVector::get(shadow_.src_prio));
  cfg.lower_vector = static_cast<std::uint8_t>(src_prio::LowerVector::get(shadow_.src_prio));
  return commit::kOk;
}

void Isu::load_pattern() {
  const PatternDef& def = patterns_.get(shadow_.pat_sel);
  shadow_.pat_ctrl = pat_ctrl::Enable::make(def.enabled ? 1 : 0) | pat_ctrl::Steps::make(def.steps);
  for (unsigned k = 0; k < kMaxSteps; ++k) {
    shadow_.pat_src[k] = def.step[k].source;
    shadow_.pat_min[k] = def.step[k].min_delay;
    shadow_.pat_max[k] = def.step[k].max_delay;
  }
}

void Isu::load_rule() {
  const Rule& r = rules_.get(shadow_.rule_sel);
  shadow_.rule_cond = rule_cond::Enable::make(r.enabled ? 1 : 0) | rule_cond::Kind::make(r.kind);
  shadow_.rule_source = r.source;
  shadow_.rule_param = r.param;
  shadow_.rule_action = r.actions;
}

void Isu::load_source() {
  const SourceConfig& cfg = source_[shadow_.src_sel].config;
  shadow_.src_ctrl = cfg.ctrl;
  shadow_.src_coal_count = cfg.frames;
  shadow_.src_coal_time = cfg.time;
  shadow_.src_storm_limit = cfg.storm_limit;
  shadow_.src_prio = src_prio::RaiseVector::make(cfg.raise_vector) | src_prio::LowerVector::make(cfg.lower_vector);
}

void Isu::latch_source_view() {
  const SourceState& s = source_[view_.tel_src];
  view_.source = s.telemetry;
  view_.rate = s.rate.estimate(now_, rate_window_);
  view_.pred_mean = sat32(s.predictor.mean());
  view_.pred_dev = sat32(s.predictor.deviation());
  view_.pred_next = s.predictor.predicted_next();
  view_.pending = s.batch.count;
}

void Isu::latch_history_view() {
  const HistoryEntry* e = history_.find(view_.hist_index);
  view_.hist_valid = e != nullptr;
  view_.hist = e != nullptr ? *e : HistoryEntry{};
}

void Isu::latch_context_view() {
  view_.ctx = context_[ctx_sel::Destination::get(view_.ctx_sel)][ctx_sel::Slot::get(view_.ctx_sel)];
}

}  // namespace irqshape::isu
