// A deliberately simple model of the ISU's specified behaviour (docs/isu-spec.md), used
// to check the real unit on random configurations and inputs. It shares no data
// structure with the unit: patterns are found by following each candidate sequence over
// the whole input, rates are recounted from raw arrival times, timers are found by a
// linear scan. Only the estimator recurrences (EWMA) are shared, as definitions.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "hw/interrupt_message.h"
#include "isu/isu.h"

namespace irqshape::isu::testing {

struct RefConfig {
  std::uint32_t rate_window = 1'000'000;
  unsigned pred_shift = 3;
  unsigned ctx_log2 = 6;
  std::map<unsigned, PatternDef> patterns;
  std::map<unsigned, Rule> rules;
  std::map<unsigned, SourceConfig> sources;
};

struct RefInput {
  bool advance = false;  // an advance(t) call instead of an arrival
  hw::InterruptMessage message;
  std::uint64_t time = 0;
};

struct RefOutput {
  std::uint64_t time = 0;
  hw::InterruptMessage message;
  std::uint32_t count = 0;
  std::uint64_t first = 0, last = 0;
  std::uint32_t flags = 0;
  bool has_context = false;
  std::uint16_t slot = 0;
  ContextRecord record{};
};

// The sliding-window count (scaled by the window) of arrivals at or before t.
std::uint64_t scaled_rate_by_definition(const std::vector<std::uint64_t>& arrivals, std::uint64_t t,
                                        std::uint32_t window);

struct RefHold {
  std::uint64_t sum = 0, max = 0;
  std::array<std::uint32_t, regs::kHoldBuckets> buckets{};
};

struct RefResult {
  std::vector<RefOutput> outputs;
  std::map<unsigned, RefHold> hold;  // per source
};

RefResult run_reference(const RefConfig& config, const std::vector<RefInput>& inputs);

}  // namespace irqshape::isu::testing
