// Modulation rules: a condition on an arriving interrupt and the actions to take when it
// holds. Rules are evaluated in index order; all that hold contribute their actions, the
// first one with RAISE or LOWER decides the priority change (docs/isu-spec.md, "Rules").
#pragma once

#include <array>
#include <cstdint>

#include "isu/predictor.h"
#include "isu/rate_meter.h"
#include "isu/regs.h"

namespace irqshape::isu {

struct Rule {
  bool enabled = false;
  std::uint8_t kind = 0;                    // regs::rule_cond::KindCode
  std::uint16_t source = regs::kAnySource;  // filter
  std::uint32_t param = 0;
  std::uint8_t actions = 0;                 // regs::rule_action bits
};

// The combined actions for one arrival, as regs::rule_action bits (RAISE and LOWER as
// decided by the first rule that had either).
struct Actions {
  std::uint32_t bits = 0;
  std::uint32_t first_rule = regs::ctx::kNoRule;  // lowest-index rule that held

  [[nodiscard]] bool raise() const { return regs::rule_action::Raise::test(bits); }
  [[nodiscard]] bool lower() const { return regs::rule_action::Lower::test(bits); }
  [[nodiscard]] bool augment() const { return regs::rule_action::Augment::test(bits); }
  [[nodiscard]] bool coalesce() const { return regs::rule_action::Coalesce::test(bits); }
  [[nodiscard]] bool urgent() const { return regs::rule_action::Urgent::test(bits); }
};

// What rule conditions look at: the source's rate (this arrival included) and its
// prediction as it stood before this arrival.
struct ConditionInputs {
  std::uint64_t time;
  const RateMeter& rate;
  std::uint32_t rate_window;
  bool confident;
  std::uint64_t deviation;
  std::uint64_t predicted;
};

class RuleTable {
 public:
  RuleTable() { reset(); }
  void reset();
  void set(unsigned index, const Rule& rule);
  [[nodiscard]] const Rule& get(unsigned index) const { return rules_[index]; }

  // Evaluates the rules that apply to an arrival of `source` that completed the patterns
  // in `completed`; counts a match for every rule that held.
  Actions evaluate(unsigned source, std::uint64_t completed, const ConditionInputs& in) {
    const std::uint64_t unconditional = any_source_ | by_source_[source];
    if ((unconditional | completed) == 0) return Actions{};  // the common case: no call
    return evaluate_rules(source, unconditional, completed, in);
  }

  [[nodiscard]] std::uint64_t matches(unsigned index) const { return matches_[index]; }
  void clear_counters() { matches_.fill(0); }

 private:
  // evaluate() past its no-rule early exit; `candidates`: the rules that apply whatever
  // the patterns (any source, or this one).
  Actions evaluate_rules(unsigned source, std::uint64_t candidates, std::uint64_t completed,
                         const ConditionInputs& in);
  [[nodiscard]] bool holds(const Rule& r, const ConditionInputs& in) const;
  void rebuild_index();

  std::array<Rule, regs::kRules> rules_{};
  std::array<std::uint64_t, regs::kRules> matches_{};
  std::uint64_t any_source_ = 0;                             // non-pattern rules for every source
  std::array<std::uint64_t, regs::kSources> by_source_{};    // non-pattern rules for one source
  std::array<std::uint64_t, regs::kPatterns> by_pattern_{};  // PATTERN rules per pattern
};

}  // namespace irqshape::isu
