#include "isu/rule_table.h"

#include <bit>

namespace irqshape::isu {

using namespace regs;

void RuleTable::reset() {
  rules_.fill(Rule{});
  matches_.fill(0);
  rebuild_index();
}

void RuleTable::set(unsigned index, const Rule& rule) {
  rules_[index] = rule;  // a disabled one is kept as written (LOAD_RULE reads it back) but never indexed
  rebuild_index();
}

void RuleTable::rebuild_index() {
  any_source_ = 0;
  by_source_.fill(0);
  by_pattern_.fill(0);
  for (unsigned i = 0; i < kRules; ++i) {
    const Rule& r = rules_[i];
    if (!r.enabled) continue;
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (r.kind == rule_cond::kPattern) by_pattern_[r.param] |= bit;
    else if (r.source == kAnySource) any_source_ |= bit;
    else by_source_[r.source] |= bit;
  }
}

bool RuleTable::holds(const Rule& r, const ConditionInputs& in) const {
  switch (r.kind) {
    case rule_cond::kAlways:
    case rule_cond::kPattern: return true;
    case rule_cond::kRateAbove: return in.rate.above(in.time, in.rate_window, r.param);
    case rule_cond::kRateBelow: return in.rate.below(in.time, in.rate_window, r.param);
    case rule_cond::kPeriodic: return in.confident && in.deviation <= r.param;
    case rule_cond::kOffPrediction: {
      if (!in.confident) return false;
      const std::uint64_t miss = in.time > in.predicted ? in.time - in.predicted : in.predicted - in.time;
      return miss > r.param;
    }
    default: return false;
  }
}

Actions RuleTable::evaluate_rules(unsigned source, std::uint64_t candidates, std::uint64_t completed,
                                  const ConditionInputs& in) {
  while (completed != 0) {
    const unsigned p = static_cast<unsigned>(std::countr_zero(completed));
    completed &= completed - 1;
    candidates |= by_pattern_[p];
  }
  constexpr std::uint32_t kPriority = rule_action::Raise::mask | rule_action::Lower::mask;
  Actions a;
  std::uint32_t priority = 0;  // from the first rule that has RAISE or LOWER
  while (candidates != 0) {
    const unsigned i = static_cast<unsigned>(std::countr_zero(candidates));
    candidates &= candidates - 1;
    const Rule& r = rules_[i];
    if (r.source != kAnySource && r.source != source) continue;  // PATTERN rules with a filter
    if (!holds(r, in)) continue;
    ++matches_[i];
    if (a.first_rule == ctx::kNoRule) a.first_rule = i;
    if (priority == 0) priority = r.actions & kPriority;
    a.bits |= r.actions & ~kPriority;
  }
  a.bits |= priority;
  return a;
}

}  // namespace irqshape::isu
