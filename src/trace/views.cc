#include "trace/views.h"

#include <algorithm>

namespace irqshape::trace {

namespace {

constexpr std::size_t kMaxOpenPerCpu = 16;

}  // namespace

std::uint32_t BlockMatcher::in_flight(DeviceId device) const {
  return device < devices_.size() ? devices_[device].in_flight : 0;
}

std::uint64_t BlockMatcher::reissues(DeviceId device) const {
  return device < devices_.size() ? devices_[device].reissues : 0;
}

std::uint64_t BlockMatcher::partial_completions(DeviceId device) const {
  return device < devices_.size() ? devices_[device].partial_completions : 0;
}

std::optional<BlockMatcher::Pending> BlockMatcher::take(Queue& q, const Record& r, bool same_size) {
  const std::uint64_t sector = sector_of(r);
  auto it = q.find(key(r.id, sector));
  if (it == q.end()) return std::nullopt;
  auto& v = it->second;
  auto match = std::find_if(v.begin(), v.end(), [&](const Pending& p) {
    return p.request.device == r.id && p.next_sector == sector && (!same_size || p.remaining == r.nr_sectors);
  });
  if (match == v.end()) return std::nullopt;
  Pending p = *match;
  v.erase(match);
  if (v.empty()) q.erase(it);
  return p;
}

void BlockMatcher::issue(const Record& r, DeviceState& dev) {
  // A request issued again: after a requeue, or (without requeue events) while in flight.
  // Data-less requests (flushes: sector 0, no sectors) are never taken for a request
  // issued again while in flight: several fsync callers keep several of them in flight on
  // a multi-queue device, and they are all alike.
  std::optional<Pending> again = take(requeued_, r, false);
  if (again) {
    --in_flight_total_;  // (a requeued request stayed counted there)
  } else if (r.nr_sectors != 0) {
    again = take(pending_, r, true);
    if (again) {
      --dev.in_flight;
      --in_flight_total_;
    }
  }
  Pending p;
  BlockRequest& q = p.request;
  if (again) {
    p = *again;
    ++q.requeues;
    ++reissues_;
    ++dev.reissues;
  } else {
    q.device = r.id;
    q.sector = sector_of(r);
    q.nr_sectors = r.nr_sectors;
    q.bytes = r.bytes;
    q.flags = r.flags;
    p.next_sector = q.sector;
    p.remaining = q.nr_sectors;
    if (dev.completed_since_issue) {
      q.after_completion = true;
      q.think_ns = r.ts >= dev.last_complete ? r.ts - dev.last_complete : 0;
    } else if (dev.any_issue) {
      q.think_ns = r.ts >= dev.last_issue ? r.ts - dev.last_issue : 0;
    }
    dev.any_issue = true;
    dev.last_issue = r.ts;
    dev.completed_since_issue = false;
  }
  q.issue_ts = r.ts;
  q.issue_cpu = r.cpu;
  if (in_flight_total_ >= kMaxInFlight) {
    ++dropped_issues_;
    return;
  }
  q.queue_depth = ++dev.in_flight;
  ++in_flight_total_;
  put(pending_, p);
}

std::optional<BlockRequest> BlockMatcher::feed(const Record& r) {
  if (r.type != RecordType::block_issue && r.type != RecordType::block_complete &&
      r.type != RecordType::block_requeue) {
    return std::nullopt;
  }
  if (devices_.size() <= r.id) devices_.resize(r.id + 1);
  DeviceState& dev = devices_[r.id];
  switch (r.type) {
    case RecordType::block_issue:
      issue(r, dev);
      return std::nullopt;
    case RecordType::block_requeue:
      if (auto p = take(pending_, r, false)) {
        --dev.in_flight;
        put(requeued_, *p);  // stays counted in in_flight_total_
      }
      return std::nullopt;
    default:
      break;
  }
  auto p = take(pending_, r, false);
  if (p && r.nr_sectors != 0 && r.nr_sectors < p->remaining) {
    // One part done: the request waits for the rest, which starts after it.
    p->next_sector += r.nr_sectors;
    p->remaining -= r.nr_sectors;
    if (p->request.error == 0) p->request.error = r.error;
    ++partial_completions_;
    ++dev.partial_completions;
    put(pending_, *p);
    return std::nullopt;
  }
  dev.last_complete = r.ts;
  dev.completed_since_issue = true;
  if (p) {
    BlockRequest& q = p->request;
    q.complete_ts = r.ts;
    q.complete_cpu = r.cpu;
    if (q.error == 0) q.error = r.error;
    --dev.in_flight;
    --in_flight_total_;
    return q;
  }
  ++unmatched_completions_;
  return std::nullopt;
}

std::optional<HandlerSpan> HandlerMatcher::feed(const Record& r) {
  if (r.type == RecordType::lost_events) {
    if (r.cpu < open_.size()) open_[r.cpu].clear();
    return std::nullopt;
  }
  if (r.type != RecordType::irq_entry && r.type != RecordType::irq_exit) return std::nullopt;
  if (open_.size() <= r.cpu) open_.resize(r.cpu + 1u);
  auto& stack = open_[r.cpu];
  if (r.type == RecordType::irq_entry) {
    if (stack.size() == kMaxOpenPerCpu) stack.erase(stack.begin());
    stack.push_back({r.id, r.ts});
    return std::nullopt;
  }
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    if (it->source == r.id) {
      HandlerSpan span{r.id, r.cpu, it->ts, r.ts, r.handled};
      stack.erase(std::next(it).base());
      return span;
    }
  }
  ++unmatched_exits_;
  return std::nullopt;
}

std::vector<BlockRequest> match_block_requests(const Trace& trace) {
  BlockMatcher m;
  std::vector<BlockRequest> out;
  for (const auto& r : trace.records) {
    if (auto q = m.feed(r)) out.push_back(*q);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const BlockRequest& a, const BlockRequest& b) { return a.issue_ts < b.issue_ts; });
  return out;
}

std::vector<HandlerSpan> handler_spans(const Trace& trace) {
  HandlerMatcher m;
  std::vector<HandlerSpan> out;
  for (const auto& r : trace.records) {
    if (auto s = m.feed(r)) out.push_back(*s);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const HandlerSpan& a, const HandlerSpan& b) { return a.entry_ts < b.entry_ts; });
  return out;
}

std::vector<std::vector<Nanos>> arrivals_by_source(const Trace& trace) {
  std::vector<std::vector<Nanos>> out(trace.catalog.sources.size());
  for (const auto& r : trace.records) {
    if (r.type == RecordType::irq_entry && r.id < out.size()) out[r.id].push_back(r.ts);
  }
  return out;
}

std::vector<DepthStep> queue_depth_series(const Trace& trace, DeviceId device) {
  BlockMatcher m;
  std::vector<DepthStep> out;
  std::uint32_t depth = 0;
  for (const auto& r : trace.records) {
    if (r.id != device || (r.type != RecordType::block_issue && r.type != RecordType::block_complete &&
                           r.type != RecordType::block_requeue)) {
      continue;
    }
    m.feed(r);
    const std::uint32_t now = m.in_flight(device);
    if (now == depth) continue;
    depth = now;
    if (!out.empty() && out.back().ts == r.ts) {
      out.back().depth = depth;
    } else {
      out.push_back({r.ts, depth});
    }
  }
  return out;
}

std::vector<Record> napi_polls(const Trace& trace) {
  std::vector<Record> out;
  for (const auto& r : trace.records) {
    if (r.type == RecordType::napi_poll) out.push_back(r);
  }
  return out;
}

}  // namespace irqshape::trace
