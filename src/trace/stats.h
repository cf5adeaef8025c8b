// What a trace says about the system that recorded it: sources and their rates,
// inter-arrival times, handler durations, block service times and queue depths, NAPI
// batching, and how many interrupts each completion cost. Computed in one streaming
// pass with bounded memory (log-linear histograms, not stored samples).
//
// Attribution: a block completion or NAPI poll is charged to the interrupt source
// whose handler is running on that CPU at that moment, or else the one that last
// exited on that CPU within kAttributionWindow (completions usually run in the softirq
// right after the hard irq). A source serves the device it was charged with most
// often; a device's interrupts per completion is the entries of the sources it is
// served by divided by its completions. For a network device, only the sources whose
// polls carried packets count as receive interrupts (virtio-net's tx queue interrupts
// lead to polls with no work). The polls of the kernel's backlog (device "(no_device)",
// kNoNapiDevice below) are charged to no source: no device interrupt leads to them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "trace/model.h"
#include "trace/reader.h"

namespace irqshape::trace {

// Log-linear histogram of non-negative integers: exact below 64, then 32 buckets per
// power of two (about 3% relative error). Memory grows with the largest value only.
class Histogram {
 public:
  void add(std::uint64_t v);
  [[nodiscard]] std::uint64_t count() const { return count_; }
  // Value at quantile q in [0, 1] (the middle of the bucket holding it); 0 if empty.
  [[nodiscard]] std::uint64_t quantile(double q) const;
  [[nodiscard]] std::uint64_t min() const { return count_ ? min_ : 0; }
  [[nodiscard]] std::uint64_t max() const { return max_; }
  [[nodiscard]] double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }

  static std::size_t bucket_of(std::uint64_t v);
  static std::uint64_t bucket_low(std::size_t b);
  static std::uint64_t bucket_high(std::size_t b);  // inclusive

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  double sum_ = 0;
};

struct Summary {
  std::uint64_t count = 0;
  double mean = 0;
  std::uint64_t min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
[[nodiscard]] Summary summarize(const Histogram& h);

inline constexpr Nanos kAttributionWindow = 2'000'000;  // 2 ms

// The device napi:napi_poll names for a NAPI context without one (NO_DEV in the kernel's
// include/trace/events/napi.h): the per-CPU backlog (process_backlog), which polls the
// packets the kernel queued itself - loopback traffic, netif_rx from tunnels and veth,
// RPS steering. No device interrupt leads to those polls.
inline constexpr std::string_view kNoNapiDevice = "(no_device)";
[[nodiscard]] inline bool is_napi_backlog(const Device& d) {
  return d.kind == DeviceKind::net && d.name == kNoNapiDevice;
}

struct SourceStats {
  SourceId id = 0;
  std::uint64_t entries = 0;
  std::uint64_t unhandled = 0;       // exits that returned IRQ_NONE
  std::vector<std::pair<std::uint32_t, std::uint64_t>> per_cpu;  // (cpu, entries), by CPU
  double rate_hz = 0;                // entries over the trace's duration
  Summary inter_arrival_ns;
  Summary handler_ns;
  std::optional<DeviceId> serves;    // the device its completions/polls belong to
};

struct BlockDeviceStats {
  DeviceId id = 0;
  std::uint64_t issued = 0;     // requests issued (issues of a request already issued excluded)
  std::uint64_t completed = 0;  // completions (matched or not)
  std::uint64_t partial_completions = 0;  // of those, ones that finished part of a request, not its last
  std::uint64_t requeues = 0;   // block_rq_requeue records
  std::uint64_t reissues = 0;   // issues of a request already issued
  // Of the completed requests whose issue is in the trace:
  std::uint64_t reads = 0, writes = 0, syncs = 0, flushes = 0, errors = 0;
  std::uint64_t bytes_read = 0, bytes_written = 0;
  Summary service_ns, read_service_ns, write_service_ns;
  Summary think_after_completion_ns;  // closed-loop think times (see views.h)
  std::uint64_t issues_after_completion = 0;
  std::vector<std::uint64_t> depth_at_issue;  // [d] = issues that found d in flight (this one included)
  std::uint64_t interrupts = 0;                // entries of the sources serving it
  double interrupts_per_completion = 0;
};

struct NetDeviceStats {
  DeviceId id = 0;
  std::uint64_t polls = 0, packets = 0, budget_exhausted = 0;
  Summary work;
  std::uint64_t interrupts = 0;     // entries of every source serving it
  std::uint64_t rx_interrupts = 0;  // of those whose polls carried packets (not tx completions)
  double packets_per_rx_interrupt = 0;
};

struct TraceStats {
  Nanos first_ts = 0, last_ts = 0;
  std::uint64_t records = 0;
  std::uint64_t skipped_events = 0;
  LostEvents lost;
  std::uint32_t cpus = 0;  // highest CPU seen + 1
  std::uint32_t cpus_with_records = 0;
  std::uint64_t unmatched_completions = 0, unfinished_requests = 0, unmatched_exits = 0;
  std::uint64_t reissues = 0;
  std::vector<SourceStats> sources;  // index: SourceId
  std::vector<BlockDeviceStats> block;
  std::vector<NetDeviceStats> net;
  Catalog catalog;
  TraceMeta meta;

  [[nodiscard]] Nanos duration_ns() const { return last_ts >= first_ts ? last_ts - first_ts : 0; }
};

// Reads `reader` to the end.
Result<TraceStats> compute_stats(TraceReader& reader);

}  // namespace irqshape::trace
