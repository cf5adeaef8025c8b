// Labelled teaching: a person marks occurrences of a sequence in a trace; the driver
// derives the pattern registers (steps and delay windows, with a margin) and a rule.
//
// Labels file (TOML; docs/isd.md, "Teaching"):
//
//   [[example]]
//   name = "disk-then-nic"       # examples with one name teach one pattern
//   from = "12.5ms"              # a time range: durations count from the trace's first
//   to = "18.1ms"                #   interrupt; integers are absolute trace times in ns
//   sources = ["nvme0q1", "eth0-TxRx-0"]  # optional: only these sources' events count
//   actions = ["raise-priority"] # optional, for the rule (default: augment)
//
//   [[example]]
//   name = "disk-then-nic"
//   events = [1041, 1050]        # or: indices into the trace's interrupt stream
//
// Derivation: each example is the sequence of sources of its events. For time ranges
// without a `sources` list, only sources that are in (nearly) every example more often
// than their rate explains are kept (a binomial test on presence): a busy background
// source that lands in every range by chance is not part of the sequence. The pattern is
// the longest sequence common to every example; each example is aligned to it, choosing
// among repeated occurrences of a step's source the ones whose delays are closest to the
// consensus (median) delays; each step's window spans the delays seen, widened by
// `margin` of its width (at least margin/2 of the delay itself) plus `slack_ns`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "isd/config.h"
#include "isd/miner.h"
#include "isd/source_map.h"

namespace irqshape::isd {

struct Label {
  std::string name;
  Origin at;
  std::optional<Located<std::uint64_t>> from, to;
  bool relative = true;                 // from/to count from the first interrupt of the trace
  std::vector<Located<std::uint64_t>> events;  // indices
  std::vector<Located<std::string>> sources;   // filter
  std::uint32_t actions = kAugment;
};

Result<std::vector<Label>> parse_labels(std::string_view text, std::string_view filename);
Result<std::vector<Label>> load_labels(const std::string& path);

struct TeachOptions {
  double margin = 0.1;
  std::uint64_t slack_ns = 1 * kNsPerUs;
};

struct TaughtPattern {
  std::string name;
  Origin at;  // the first example
  std::vector<std::uint32_t> sources;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> windows;  // with the margin
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;     // delays in the examples
  std::size_t examples = 0;
  std::uint64_t matches_in_trace = 0;  // completions over the whole trace (count_matches)
  std::uint32_t actions = kAugment;
};

// `events` in time order, as the labels' indices count them.
Result<std::vector<TaughtPattern>> teach(std::span<const Event> events, const std::vector<Label>& labels,
                                         const SourceMap& names, const TeachOptions& options = {});

// One rule per taught pattern, commented with what it was taught from.
Config taught_rules(const std::vector<TaughtPattern>& taught, const SourceMap& names, std::string_view labels_file);

}  // namespace irqshape::isd
