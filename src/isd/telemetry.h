// Periodic telemetry: the collector reads a snapshot through the driver every period and
// turns cumulative registers into period figures - deltas, rates, events per interrupt,
// hold-time quantiles from the hold histogram - and the exporters write them as JSON
// lines, Prometheus text exposition, or Perfetto counter tracks (docs/isd.md,
// "Telemetry").
//
// Counter arithmetic. The 64-bit counters are differenced as they are (a counter that
// went down was cleared with CLEAR_TELEMETRY: its new value is the delta). The hold
// histogram buckets are 32-bit and wrap: their deltas are taken modulo 2^32, which is
// right as long as a bucket gains fewer than 2^32 events per period, and the collector
// keeps 64-bit running totals for exporters that need monotonic counters.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "export/trace_event_writer.h"
#include "isd/driver.h"
#include "isd/source_map.h"
#include "isu/regs.h"

namespace irqshape::isd {

using HoldCounts = std::array<std::uint64_t, isu::regs::kHoldBuckets>;

// Quantile q (0..1) of the added delay from a hold histogram, interpolating linearly
// inside the bucket (as Prometheus' histogram_quantile does). `bound_ns`, when given, is
// a known upper bound on every hold (e.g. TEL_HOLD_MAX, which is 0 when every hold was
// 0): the open last bucket ends there and no estimate exceeds it. Returns 0 for an empty
// histogram.
double hold_quantile(const HoldCounts& counts, double q, std::optional<std::uint64_t> bound_ns = std::nullopt);
// An upper bound of quantile q: the upper edge of the bucket that holds it, capped by
// `bound_ns` (the open last bucket: `bound_ns`, or twice its floor without one). Since
// the unit counts every event of a batch at the batch's longest hold, no event of the
// period waited longer than this at the q-th rank. What the adaptation controller
// checks the budget against.
double hold_quantile_bound(const HoldCounts& counts, double q, std::optional<std::uint64_t> bound_ns = std::nullopt);
// Upper edge of bucket k in ns (bucket 15 is open: returns 0).
std::uint64_t hold_bucket_ceiling(unsigned k);

struct SourcePeriod {
  std::uint32_t id = 0;
  std::string name;
  SourceTelemetry total;  // as read (cumulative)
  SourceTelemetry delta;  // this period (hold[] and the gauges rate/pending/pred_* as read)
  HoldCounts hold_total{};  // 64-bit running totals of the wrapping buckets
  std::uint64_t hold_sum_total = 0;  // running total of TEL_HOLD_SUM, kept like hold_total (across clears)
  HoldCounts hold_delta{};
  // live settings, read back with LOAD_SOURCE
  std::uint32_t ctrl = 0, coal_count = 0, coal_time_ns = 0;
  // derived
  double in_per_s = 0, out_per_s = 0, events_per_interrupt = 0;
  double hold_mean_ns = 0, hold_p50_ns = 0, hold_p99_ns = 0;
};

struct NamedCount {
  std::uint32_t index = 0;
  std::string name;
  std::uint64_t total = 0, delta = 0;
  std::uint32_t live = 0;  // patterns: live partial matches
};

struct Period {
  std::uint64_t start_ns = 0, end_ns = 0;  // unit time (NOW)
  std::uint64_t index = 0;
  UnitTelemetry unit;
  std::uint64_t pm_dropped_delta = 0, unshaped_delta = 0;
  std::vector<SourcePeriod> sources;
  std::vector<NamedCount> rules, patterns;
  std::vector<std::string> warnings;  // e.g. partial matches dropped this period
};

// The change of a counter between two reads. One that went down was cleared
// (CLEAR_TELEMETRY, a reset): its new value is the change.
[[nodiscard]] constexpr std::uint64_t counter_delta(std::uint64_t cur, std::uint64_t prev) {
  return cur >= prev ? cur - prev : cur;
}

class TelemetryCollector {
 public:
  // `names`: how to call sources in the output (may be null: "id=N").
  explicit TelemetryCollector(const SourceMap* names = nullptr) : names_(names) {}

  // Reads one snapshot (and each source's live settings) through the driver.
  Period sample(Driver& driver);
  // The same from a snapshot taken elsewhere (settings left 0).
  Period sample(const TelemetrySnapshot& snap, const Program& program);

 private:
  std::string source_name(std::uint32_t id, const Program& program) const;

  const SourceMap* names_;
  std::uint32_t partials_ = isu::regs::kPartials;  // CAP_PARTIALS, as probed by the driver
  std::optional<TelemetrySnapshot> prev_;
  std::vector<HoldCounts> hold_totals_;  // indexed by source id
  std::map<std::uint32_t, std::uint64_t> hold_sum_totals_;  // by source id
  std::uint64_t periods_ = 0;
};

// One JSON lines record (schema in docs/isd.md).
nlohmann::json to_json(const Period& period);
// Prometheus text exposition of the cumulative counters (metric names in docs/isd.md).
std::string to_prometheus(const Period& period);

// Perfetto counter tracks: one process per source ("ISU source nvme0q1") with tracks
// in/s, interrupts/s, events per interrupt, hold p99 (us), coalescing time (us); and one
// "ISU" process with unit-wide tracks. Adds process metadata the first time it sees a source.
class PerfettoCounters {
 public:
  explicit PerfettoCounters(exporter::TraceEventWriter& out, std::uint32_t first_pid = 100)
      : out_(out), first_pid_(first_pid) {}
  void add(const Period& period);

 private:
  std::uint32_t pid_for(const SourcePeriod& s);

  exporter::TraceEventWriter& out_;
  std::uint32_t first_pid_;
  std::vector<std::uint32_t> known_;
  bool unit_named_ = false;
};

}  // namespace irqshape::isd
