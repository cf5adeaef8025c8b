// The ISD configuration: what a person writes in a TOML file (docs/isd.md, "Configuration
// reference"), parsed and checked, but not yet tied to a platform. Every value remembers
// where it came from (file, line, column), so that any later complaint - an unknown
// source when the config meets a SourceMap, a register the unit rejected - names the key
// that caused it:
//
//   rules.toml:12:14: rule "disk-then-nic": sequence: unknown source "nvme9"
//
// parse_config() checks everything that does not depend on the platform: syntax, types,
// unknown keys, ranges of register fields, steps 2..8, min <= max, conflicting actions,
// coalescing without a time. compile() (program.h) checks the rest against a SourceMap
// and the unit's capabilities, and produces register values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "isd/units.h"

namespace irqshape::isd {

struct Origin {
  std::string file;  // empty: built in code (default_config, learn)
  std::uint32_t line = 0, column = 0;

  // "rules.toml:12:3", "rules.toml", or "<built-in>".
  [[nodiscard]] std::string str() const;
};

template <typename T>
struct Located {
  T value{};
  Origin at;
};

enum class StormAction : std::uint8_t { defer, drop };

// [unit]: geometry, programmed while the unit is disabled.
struct UnitSettings {
  std::optional<Located<std::uint32_t>> history_log2;      // history = 256 .. 8192 entries (HIST_CFG)
  std::optional<Located<std::uint32_t>> context_log2;      // context-slots = 16 .. 256 (CTX_CFG)
  std::optional<Located<std::uint64_t>> rate_window_ns;    // rate-window (RATE_WINDOW)
  std::optional<Located<std::uint32_t>> prediction_shift;  // prediction-shift = 1 .. 8 (PRED_SHIFT)
};

// [source.NAME]: per-source shaping (the SRC_* shadow registers).
struct SourceSettings {
  std::string name;  // the table key: the name rules use for this source in this file
  Origin at;
  std::optional<Located<std::string>> match;  // how the platform names it ("irq=36"); default: `name`
  std::optional<Located<std::uint32_t>> frames;  // rx-frames / aggregation-threshold (SRC_COAL_COUNT)
  std::optional<Located<std::uint64_t>> time_ns;  // rx-usecs / aggregation-time (SRC_COAL_TIME)
  std::optional<Located<bool>> coalesce;          // default: true when a time is given (SRC_CTRL.COALESCE)
  std::optional<Located<bool>> adaptive;          // adaptive-rx (SRC_CTRL.ADAPTIVE)
  std::optional<Located<Rate>> storm_limit;       // storm-limit (SRC_STORM_LIMIT, SRC_CTRL.STORM_GUARD)
  std::optional<Located<StormAction>> storm_action;  // storm-action (SRC_CTRL.STORM_DROP)
  std::optional<Located<std::uint32_t>> raise_vector, lower_vector;  // SRC_PRIO
  std::string frames_key = "rx-frames", time_key = "rx-usecs";  // the spelling the file used, for messages
  std::vector<std::string> comment;  // written above the table by write_config()
};

enum class ConditionKind : std::uint8_t { sequence, always, rate_above, rate_below, periodic, off_prediction };

struct SequenceStep {
  Located<std::string> source;
  std::uint64_t min_ns = 0, max_ns = 0;  // window on the delay from the previous step (unused for step 0)
  Origin window_at;
};

struct Condition {
  ConditionKind kind = ConditionKind::always;
  std::vector<SequenceStep> steps;             // sequence: 2..8 steps
  std::optional<Located<std::string>> source;  // the other kinds: the source filter (nullopt: any source)
  Rate rate;                                   // rate_above, rate_below
  std::uint64_t ns = 0;                        // periodic: jitter bound; off_prediction: tolerance
  Origin at;                                   // the `sequence` / `when` value
};

// Rule actions, as the RULE_ACTION bits.
enum Action : std::uint32_t {
  kRaisePriority = 1u << 0,
  kLowerPriority = 1u << 1,
  kAugment = 1u << 2,
  kCoalesce = 1u << 3,
  kUrgent = 1u << 4,
};
inline constexpr std::uint32_t kAllActions = 0x1F;

// "raise-priority", ...; nullopt for an unknown name.
std::optional<Action> parse_action(std::string_view name);
std::string_view action_name(Action a);
std::vector<std::string> action_names(std::uint32_t actions);

// [[rule]]
struct RuleSettings {
  std::string name;
  Origin at;
  Condition condition;
  std::uint32_t actions = 0;  // Action bits; 0: the rule only counts matches
  Origin actions_at;
  bool enabled = true;
  std::vector<std::string> comment;  // written above the table by write_config()
};

// [adapt]: online adaptation of each coalescing source's time to a latency budget
// (docs/isd.md, "Adaptation"; isd::Adapter runs it, adapter_options() converts).
struct AdaptSettings {
  Origin at;                                        // the [adapt] table
  Located<std::uint64_t> max_added_p99_ns;          // max-added-p99 (required): the budget
  std::optional<Located<std::uint64_t>> period_ns;  // period (default 10ms)
};

struct Config {
  std::string file;  // for messages; empty for built-in configurations
  UnitSettings unit;
  std::optional<AdaptSettings> adapt;
  std::vector<SourceSettings> sources;
  std::vector<RuleSettings> rules;
  std::vector<std::string> comment;  // file header, written by write_config()
};

// Parses and checks a configuration. `filename` is only used in messages.
Result<Config> parse_config(std::string_view text, std::string_view filename);
Result<Config> load_config(const std::string& path);

// The condition in the syntax parse_config reads ("nvme0 -> nic0 within 4ms..6ms",
// "rate(nic0) > 1000/s", ...), without the key.
std::string format_condition(const Condition& c);
// The whole configuration as a TOML file that parse_config reads back to an equal
// configuration (comments included as TOML comments).
std::string write_config(const Config& config);

// Limits a file is checked against before it meets a unit (the register field widths of
// isu/regs.h; the unit's CAP_* registers are checked by compile()).
inline constexpr std::uint32_t kMaxFrames = 0xFFFF;
inline constexpr std::uint64_t kMaxTimeNs = 0xFFFF'FFFF;
inline constexpr std::uint32_t kMinVector = 32, kMaxVector = 255;

// The adaptation's two user settings, wherever they are written (the [adapt] table, a
// command-line flag, the simulator's `isu:max-added-p99=...,adapt-period=...`). The
// budget is a coalescing time the unit can hold (T never exceeds it); periods shorter
// than 100us see too few events for a decision and cost a register sweep each. The
// messages say what is wrong, not where: callers add the file position, flag or key.
inline constexpr std::uint64_t kMinAdaptBudgetNs = kNsPerUs;
inline constexpr std::uint64_t kMinAdaptPeriodNs = 100 * kNsPerUs, kMaxAdaptPeriodNs = 60 * kNsPerS;
Status check_adapt_budget(std::uint64_t budget_ns);
Status check_adapt_period(std::uint64_t period_ns);

}  // namespace irqshape::isd
