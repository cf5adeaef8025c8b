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
  rules_[index] = rule.enabled ? rule : Rule{};
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

Actions RuleTable::evaluate(unsigned source, std::uint64_t completed, const ConditionInputs& in) {
  std::uint64_t candidates = any_source_ | by_source_[source];
  while (completed != 0) {
    const unsigned p = static_cast<unsigned>(std::countr_zero(completed));
    completed &= completed - 1;
    candidates |= by_pattern_[p];
  }
  Actions a;
  bool priority_decided = false;
  while (candidates != 0) {
    const unsigned i = static_cast<unsigned>(std::countr_zero(candidates));
    candidates &= candidates - 1;
    const Rule& r = rules_[i];
    if (r.source != kAnySource && r.source != source) continue;  // PATTERN rules with a filter
    if (!holds(r, in)) continue;
    ++matches_[i];
    if (a.first_rule == ctx::kNoRule) a.first_rule = static_cast<std::uint8_t>(i);
    if (!priority_decided && (r.actions & (rule_action::Raise::mask | rule_action::Lower::mask)) != 0) {
      a.raise = rule_action::Raise::test(r.actions);
      a.lower = rule_action::Lower::test(r.actions);
      priority_decided = true;
    }
    a.augment |= rule_action::Augment::test(r.actions);
    a.coalesce |= rule_action::Coalesce::test(r.actions);
    a.urgent |= rule_action::Urgent::test(r.actions);
  }
  return a;
}

}  // namespace irqshape::isu
