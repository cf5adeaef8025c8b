// Synthetic interrupt traffic with planted sequences - the known answer the miner's
// tests and `irqshape learn --synthetic` measure precision and recall against.
//
// Sources (ids in this order):
//   disk -> nic   at 4.5..5.5 ms, probability 0.8 (nic also has 300/s of its own)
//   ctrl -> ack   at 170..230 us, probability 0.7 (ack: 200/s of its own)
//   e -> f        at 0.9..1.1 ms, probability 0.9, then f -> g at 2.7..3.3 ms, probability 0.8
//                 (f, g: 100/s each of their own; e -> g at 3.6..4.4 ms follows)
//   noise1, noise2  Poisson 1000/s and 5000/s;  burst: bursts of 8 (2 us apart), 2000/s
//   timer         1 kHz, jitter up to 5 us
// disk 200/s, ctrl 500/s, e 100/s are Poisson.
#pragma once

#include <cstdint>
#include <vector>

#include "isd/miner.h"
#include "isd/source_map.h"

namespace irqshape::isd::harness {

struct PlantedRelation {
  std::uint32_t from = 0, to = 0;
  std::uint64_t lo = 0, hi = 0;  // delay range
};

struct PlantedTrace {
  std::vector<Event> events;  // time order
  SourceMap names;
  std::vector<PlantedRelation> pairs;     // planted
  std::vector<PlantedRelation> implied;   // consequences of planted chains (e -> g)
  std::vector<std::vector<std::uint32_t>> chains;  // planted chains of three or more ({e, f, g})
  std::vector<std::uint64_t> chain_starts;  // times of e events whose e -> f -> g was planted
};

PlantedTrace planted_trace(std::uint64_t duration_ns, std::uint64_t seed);

// Precision and recall of mined sequences against the planted answer. A found sequence
// is correct when each of its steps is a planted or implied relation whose window holds
// the planted delay's centre; recall counts the planted pairs and chains found.
struct PlantedScore {
  std::size_t found = 0, correct = 0, planted = 0, recalled = 0;
  double precision = 0, recall = 0;
  std::vector<bool> found_correct;  // per result.sequences entry
};
PlantedScore score_against(const MiningResult& result, const PlantedTrace& truth);

}  // namespace irqshape::isd::harness
