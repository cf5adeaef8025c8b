// Derived views of a record stream: what the simulator replays.
//
//   - BlockMatcher: block requests matched issue -> completion, with service time,
//     queue depth at issue, and the think time a closed-loop replay needs.
//   - HandlerMatcher: irq handler entry -> exit spans per CPU (handler durations).
//   - arrivals_by_source(): per-source interrupt arrival times (open-loop replay).
//   - queue_depth_series(): a device's queue depth over time.
// The matchers stream (feed one record at a time, memory bounded by what is in flight);
// the functions taking a Trace are conveniences for traces held in memory.
//
// Think time, per device queue. At each issue on device D at time t:
//   - if a request of D completed since D's previous issue, the issue is taken to answer
//     that completion: think_ns = t - (that latest completion), after_completion = true;
//   - otherwise the submitter did not wait (it keeps several requests in flight):
//     think_ns = t - (D's previous issue), after_completion = false.
// A closed-loop replay issues each request think_ns after the simulated completion it
// answers (after_completion) or after the simulated issue of the previous request.
//
// Requeues: a driver may hand an issued request back (block_rq_requeue, e.g. the
// device queue was full) and the block layer issues it again later. The request keeps
// its think time; issue_ts becomes the last issue (when the device took it), so the
// service time is the device's. An issue of exactly the request already in flight
// (same device, sector and size) is treated the same way, for traces recorded without
// block_rq_requeue.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "trace/model.h"
#include "trace/reader.h"

namespace irqshape::trace {

struct BlockRequest {
  DeviceId device = 0;
  Nanos issue_ts = 0;
  Nanos complete_ts = 0;
  std::uint16_t issue_cpu = 0;
  std::uint16_t complete_cpu = 0;
  std::uint64_t sector = 0;
  std::uint32_t nr_sectors = 0;
  std::uint32_t bytes = 0;
  BlockFlags flags;
  std::int32_t error = 0;
  std::uint32_t queue_depth = 0;  // requests in flight on the device at issue, this one included
  std::uint32_t requeues = 0;     // times the driver gave it back before it completed
  Nanos think_ns = 0;             // see the header comment
  bool after_completion = false;

  [[nodiscard]] Nanos service_ns() const { return complete_ts >= issue_ts ? complete_ts - issue_ts : 0; }
};

// Matches block_rq_issue to block_rq_complete by (device, sector), oldest first.
// A completion whose issue is not in the trace (it began before the capture) counts
// as unmatched; so does an issue still in flight at the end.
//
// Partial completions: the kernel traces block_rq_complete for every part of a request
// a driver completes (blk_update_request), with the sector the remainder starts at and
// the sectors done. A completion of fewer sectors than the request still has to do
// moves the request on to the remainder (where a later completion, requeue or issue
// finds it); the request completes with its last part.
class BlockMatcher {
 public:
  static constexpr std::size_t kMaxInFlight = 1u << 18;

  // Feeds one record (any type); returns the request `r` completes, if any.
  std::optional<BlockRequest> feed(const Record& r);

  [[nodiscard]] std::uint32_t in_flight(DeviceId device) const;
  [[nodiscard]] std::uint64_t unmatched_completions() const { return unmatched_completions_; }
  // Re-issues of a request already issued (after a requeue, or without one).
  [[nodiscard]] std::uint64_t reissues() const { return reissues_; }
  [[nodiscard]] std::uint64_t reissues(DeviceId device) const;
  [[nodiscard]] std::uint64_t in_flight_total() const { return in_flight_total_; }
  // Issues not tracked because kMaxInFlight requests were already in flight.
  [[nodiscard]] std::uint64_t dropped_issues() const { return dropped_issues_; }
  // Completions that finished part of a request, not the last part.
  [[nodiscard]] std::uint64_t partial_completions() const { return partial_completions_; }
  [[nodiscard]] std::uint64_t partial_completions(DeviceId device) const;

 private:
  struct DeviceState {
    std::uint32_t in_flight = 0;
    Nanos last_issue = 0;
    Nanos last_complete = 0;
    bool any_issue = false;
    bool completed_since_issue = false;
    std::uint64_t reissues = 0;
    std::uint64_t partial_completions = 0;
  };
  // A request in flight and the part of it still to be done.
  struct Pending {
    BlockRequest request;
    std::uint64_t next_sector = 0;  // where the part not yet completed starts
    std::uint32_t remaining = 0;    // its sectors
  };
  using Queue = std::unordered_map<std::uint64_t, std::vector<Pending>>;
  static std::uint64_t key(DeviceId d, std::uint64_t sector) { return sector * 0x9E3779B97F4A7C15ull ^ d; }
  // block_rq_issue prints a flush request's sector as 0, block_rq_complete as (sector_t)-1.
  static std::uint64_t sector_of(const Record& r) { return r.sector == ~std::uint64_t{0} ? 0 : r.sector; }
  // Removes and returns the oldest request in `q` whose remaining part is at (device,
  // sector) [and of the same size].
  static std::optional<Pending> take(Queue& q, const Record& r, bool same_size);
  static void put(Queue& q, const Pending& p) { q[key(p.request.device, p.next_sector)].push_back(p); }
  void issue(const Record& r, DeviceState& dev);

  Queue pending_;   // issued, not completed
  Queue requeued_;  // given back by the driver, to be issued again
  std::vector<DeviceState> devices_;
  std::uint64_t unmatched_completions_ = 0;
  std::uint64_t reissues_ = 0;
  std::uint64_t in_flight_total_ = 0;  // pending_ and requeued_
  std::uint64_t dropped_issues_ = 0;
  std::uint64_t partial_completions_ = 0;
};

struct HandlerSpan {
  SourceId source = 0;
  std::uint16_t cpu = 0;
  Nanos entry_ts = 0;
  Nanos exit_ts = 0;
  bool handled = false;

  [[nodiscard]] Nanos duration_ns() const { return exit_ts >= entry_ts ? exit_ts - entry_ts : 0; }
};

// Pairs irq_entry with the irq_exit of the same source on the same CPU.
class HandlerMatcher {
 public:
  std::optional<HandlerSpan> feed(const Record& r);
  // Exits without a matching entry (the entry was before the trace, or lost).
  [[nodiscard]] std::uint64_t unmatched_exits() const { return unmatched_exits_; }

 private:
  struct Open {
    SourceId source;
    Nanos ts;
  };
  std::vector<std::vector<Open>> open_;  // per CPU
  std::uint64_t unmatched_exits_ = 0;
};

struct DepthStep {
  Nanos ts = 0;
  std::uint32_t depth = 0;  // from ts until the next step
};

// In-memory conveniences.
[[nodiscard]] std::vector<BlockRequest> match_block_requests(const Trace& trace);  // in issue order
[[nodiscard]] std::vector<HandlerSpan> handler_spans(const Trace& trace);          // in entry order
[[nodiscard]] std::vector<std::vector<Nanos>> arrivals_by_source(const Trace& trace);  // index: SourceId
[[nodiscard]] std::vector<DepthStep> queue_depth_series(const Trace& trace, DeviceId device);
[[nodiscard]] std::vector<Record> napi_polls(const Trace& trace);

}  // namespace irqshape::trace
