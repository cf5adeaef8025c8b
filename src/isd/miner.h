// Learning from interrupt arrivals (a trace, or the ISU's history ring read through the
// registers): per-source rate and periodicity, and frequent sequences between sources
// with their delay windows - then rules a person can edit (docs/isd.md, "Learning").
//
// Method, per ordered pair of sources (A, B):
//   1. the cross-correlogram of delays from each A to every B within the horizon (log
//      bins), against what independent arrivals at those rates give in each bin
//      (n_A * rate_B * bin width);
//   2. the candidate window is the run of bins with the largest excess over twice that
//      expectation (a maximum-sum subarray), tightened to the delays actually seen in it
//      and widened by a margin;
//   3. support = A events followed by a B inside the window (what the unit's pattern
//      engine matches); the null distribution of that count comes from the same B
//      timeline circularly shifted (R shifts), which keeps each source's own burstiness
//      and periodicity and only destroys the A-B relation;
//   4. a pair is kept when it is frequent (support >= min_support, confidence = support /
//      n_A >= min_confidence), clearly above chance (lift = support / null mean >=
//      min_lift, and at least min_excess of the A events are followed beyond what chance
//      gives: (support - null mean) / n_A), and significant (z-score against the shifted
//      nulls >= min_z; with the default 6, about one false pair in 10^8 tested under a
//      normal approximation).
// Kept pairs A->B and B->C are chained into triples A->B->C (longer chains likewise, up
// to max_steps) when the chain itself passes the same test against shifted C timelines.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "isd/config.h"
#include "isd/source_map.h"
#include "isd/units.h"

namespace irqshape::isd {

struct Event {
  std::uint64_t time = 0;
  std::uint32_t source = 0;
};

struct MinerOptions {
  std::uint64_t horizon_ns = 20 * kNsPerMs;  // longest delay between two steps considered (at most kMaxTimeNs)
  std::uint64_t resolution_ns = 1 * kNsPerUs;  // the first bin is [0, resolution)
  unsigned bins_per_decade = 20;               // log bins above that (about 12% wide)
  double max_pairs_per_event = 32;  // the horizon shrinks for a busy B: a window that holds many B by chance is no pattern
  std::uint32_t min_events = 20;    // sources with fewer events are not mined
  std::uint32_t min_support = 20;
  double min_confidence = 0.05;
  double min_lift = 1.5;
  double min_excess = 0.05;
  double min_z = 6.0;
  unsigned shifts = 16;         // R, for the null distribution
  double margin = 0.1;          // windows widen by this fraction of their width on each side ...
  std::uint64_t slack_ns = 1 * kNsPerUs;  // ... plus this
  unsigned max_steps = 3;       // longest chains proposed (2: pairs only)
  std::size_t max_sources = 64; // the busiest sources, when a trace has more
};

struct SourceProfile {
  std::uint32_t source = 0;
  std::uint64_t events = 0;
  double rate_per_s = 0;
  double gap_mean_ns = 0, gap_cv = 0;  // coefficient of variation: ~1 Poisson, >1 bursty, ~0 periodic
  bool periodic = false;
  std::uint64_t period_ns = 0;        // median gap, when periodic
  std::uint64_t jitter_ns = 0;        // mean absolute deviation of the gaps from their mean
};

struct SequenceFinding {
  std::vector<std::uint32_t> sources;                         // 2..max_steps
  std::vector<std::pair<std::uint64_t, std::uint64_t>> windows;  // [min, max] delay before step k (k >= 1)
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;     // the delays observed, before the margin
  std::uint64_t starts = 0;     // events of the first source
  std::uint64_t support = 0;    // of those, followed by the whole sequence
  double confidence = 0;        // support / starts
  double null_mean = 0, null_sd = 0;  // support under shifted (independent) timelines
  double lift = 0, z = 0;
  double excess = 0;            // (support - null mean) / starts: starts followed beyond chance
};

struct MiningResult {
  std::uint64_t events = 0;
  std::uint64_t start_ns = 0, end_ns = 0;
  std::vector<SourceProfile> sources;      // busiest first
  std::vector<SequenceFinding> sequences;  // by support x confidence, best first
  // Sequences found whose delays exceed what a pattern step can wait (PAT_MAXk, at most
  // kMaxTimeNs = 4.294967295s): reported, never proposed as rules.
  std::vector<SequenceFinding> unprogrammable;
  std::uint64_t pairs_tested = 0;
  // Pairs frequent enough to be judged (support and confidence passed, statistics filled)
  // that failed the lift, excess or z test, highest z first: what a looser threshold would
  // admit (the command line shows the best when nothing was found).
  std::vector<SequenceFinding> rejected;
};

// `events` in time order (ties in any order).
MiningResult mine(std::span<const Event> events, const MinerOptions& options = {});

// Completions of a sequence in `events` with the unit's semantics (each step advances on
// the first later event of its source inside its window; a completion counts once per
// completing event).
std::uint64_t count_matches(std::span<const Event> events, const std::vector<std::uint32_t>& sources,
                            const std::vector<std::pair<std::uint64_t, std::uint64_t>>& windows);

struct ProposalOptions {
  std::size_t max_rules = 16;             // of the unit's 64
  std::uint32_t partials = 1024;          // CAP_PARTIALS, for the sizing note
  double coalesce_above_per_s = 2000;     // suggest coalescing for busier sources
  // Sources not to suggest coalescing for, and why (learn from a trace: a disk whose
  // requests are issued one at a time, where holding a completion delays the next request).
  std::map<std::uint32_t, std::string> not_coalescing;
  std::string input;                      // what was mined, for the header
};

// A commented configuration: one rule per sequence (augment: the guest learns when the
// sequence started), a counting rule per periodic source, coalescing suggestions as
// comments. parse_config() reads it back; sources are named through `names`.
Config propose_rules(const MiningResult& result, const SourceMap& names, const ProposalOptions& options = {});

// How a source is named in a rule file: its name when it is one token, else irq=N or id=N.
std::string rule_source_name(const SourceMap& names, std::uint32_t id);

}  // namespace irqshape::isd
