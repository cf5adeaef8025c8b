#include "trace/stats.h"

#include <algorithm>
#include <bit>
#include <map>

#include "trace/views.h"

namespace irqshape::trace {

namespace {

constexpr unsigned kSubBits = 5;  // 32 sub-buckets per power of two
constexpr std::size_t kLinear = 64;
constexpr std::size_t kMaxDepthBucket = 1024;  // deeper queues are counted in the last bucket

}  // namespace

std::size_t Histogram::bucket_of(std::uint64_t v) {
  if (v < kLinear) return static_cast<std::size_t>(v);
  const unsigned e = 63u - static_cast<unsigned>(std::countl_zero(v));  // 6..63
  const std::uint64_t sub = (v >> (e - kSubBits)) & ((1u << kSubBits) - 1);
  return kLinear + (e - 6) * (1u << kSubBits) + sub;
}

std::uint64_t Histogram::bucket_low(std::size_t b) {
  if (b < kLinear) return b;
  const std::size_t e = (b - kLinear) / (1u << kSubBits) + 6;
  const std::uint64_t sub = (b - kLinear) % (1u << kSubBits);
  return (std::uint64_t{1} << e) | (sub << (e - kSubBits));
}

std::uint64_t Histogram::bucket_high(std::size_t b) {
  if (b < kLinear) return b;
  const std::size_t e = (b - kLinear) / (1u << kSubBits) + 6;
  return bucket_low(b) + (std::uint64_t{1} << (e - kSubBits)) - 1;
}

void Histogram::add(std::uint64_t v) {
  const std::size_t b = bucket_of(v);
  if (buckets_.size() <= b) buckets_.resize(b + 1);
  ++buckets_[b];
  if (count_ == 0 || v < min_) min_ = v;
  max_ = std::max(max_, v);
  ++count_;
  sum_ += static_cast<double>(v);
}

std::uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the q-quantile, 1-based: the smallest value with at least q of the samples at or below it.
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999);
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) {
      const std::uint64_t lo = std::max(bucket_low(b), min_);
      const std::uint64_t hi = std::min(bucket_high(b), max_);
      return lo + (hi - lo) / 2;
    }
  }
  return max_;
}

Summary summarize(const Histogram& h) {
  Summary s;
  s.count = h.count();
  s.mean = h.mean();
  s.min = h.min();
  s.max = h.max();
  s.p50 = h.quantile(0.5);
  s.p90 = h.quantile(0.9);
  s.p99 = h.quantile(0.99);
  return s;
}

namespace {

struct SourceAcc {
  std::uint64_t entries = 0, unhandled = 0;
  std::map<std::uint32_t, std::uint64_t> per_cpu;  // sparse: a source fires on few CPUs
  Nanos last_entry = 0;
  Histogram inter_arrival, handler;
  std::map<DeviceId, std::uint64_t> charged;  // completions or polls charged to it, by device
  std::uint64_t charged_packets = 0;          // packets of the NAPI polls charged to it
};

struct BlockAcc {
  BlockDeviceStats s;
  Histogram service, read_service, write_service, think;
};

struct NetAcc {
  NetDeviceStats s;
  Histogram work;
};

struct CpuState {
  std::vector<SourceId> open;  // handlers running, innermost last
  SourceId last_exit = 0;
  Nanos last_exit_ts = 0;
  bool any_exit = false;
  bool any_record = false;
};

class StatsBuilder {
 public:
  Status feed(const Record& r, const Catalog& cat);
  TraceStats finish(TraceReader& reader);

 private:
  std::optional<SourceId> charge_to(const Record& r) const;

  TraceStats t_;
  bool first_ = true;
  std::vector<SourceAcc> src_;
  std::vector<BlockAcc> blk_;  // index: DeviceId (net devices leave theirs unused)
  std::vector<NetAcc> net_;
  std::vector<CpuState> cpu_;
  BlockMatcher blocks_;
  HandlerMatcher handlers_;
};

std::optional<SourceId> StatsBuilder::charge_to(const Record& r) const {
  if (r.cpu >= cpu_.size()) return std::nullopt;
  const CpuState& c = cpu_[r.cpu];
  if (!c.open.empty()) return c.open.back();
  if (c.any_exit && r.ts >= c.last_exit_ts && r.ts - c.last_exit_ts <= kAttributionWindow) return c.last_exit;
  return std::nullopt;
}

Status StatsBuilder::feed(const Record& r, const Catalog& cat) {
  if (first_) {
    t_.first_ts = r.ts;
    first_ = false;
  }
  t_.first_ts = std::min(t_.first_ts, r.ts);
  t_.last_ts = std::max(t_.last_ts, r.ts);
  ++t_.records;
  t_.cpus = std::max<std::uint32_t>(t_.cpus, r.cpu + 1u);
  if (cpu_.size() <= r.cpu) cpu_.resize(r.cpu + 1u);
  if (src_.size() < cat.sources.size()) src_.resize(cat.sources.size());
  if (blk_.size() < cat.devices.size()) blk_.resize(cat.devices.size());
  if (net_.size() < cat.devices.size()) net_.resize(cat.devices.size());
  CpuState& cpu = cpu_[r.cpu];
  if (!cpu.any_record) {
    cpu.any_record = true;
    ++t_.cpus_with_records;
  }
  switch (r.type) {
    case RecordType::irq_entry: {
      SourceAcc& s = src_[r.id];
      if (s.entries > 0 && r.ts >= s.last_entry) s.inter_arrival.add(r.ts - s.last_entry);
      s.last_entry = r.ts;
      ++s.entries;
      ++s.per_cpu[r.cpu];
      if (cpu.open.size() == 16) cpu.open.erase(cpu.open.begin());
      cpu.open.push_back(r.id);
      handlers_.feed(r);
      break;
    }
    case RecordType::irq_exit: {
      if (!r.handled) ++src_[r.id].unhandled;
      if (auto span = handlers_.feed(r)) src_[r.id].handler.add(span->duration_ns());
      auto it = std::find(cpu.open.rbegin(), cpu.open.rend(), r.id);
      if (it != cpu.open.rend()) cpu.open.erase(std::next(it).base());
      cpu.last_exit = r.id;
      cpu.last_exit_ts = r.ts;
      cpu.any_exit = true;
      break;
    }
    case RecordType::block_issue: {
      ++blk_[r.id].s.issued;
      blocks_.feed(r);  // a request is summed up when it completes
      break;
    }
    case RecordType::block_complete: {
      BlockAcc& b = blk_[r.id];
      ++b.s.completed;
      if (auto q = blocks_.feed(r)) {
        if (q->flags.is_read()) {
          ++b.s.reads;
          b.s.bytes_read += q->bytes;
        }
        if (q->flags.is_write()) {
          ++b.s.writes;
          b.s.bytes_written += q->bytes;
        }
        if (q->flags.is_sync()) ++b.s.syncs;
        if (q->flags.is_flush()) ++b.s.flushes;
        if (q->error != 0) ++b.s.errors;
        const Nanos svc = q->service_ns();
        b.service.add(svc);
        if (q->flags.is_read()) b.read_service.add(svc);
        if (q->flags.is_write()) b.write_service.add(svc);
        const std::size_t d = std::min<std::size_t>(q->queue_depth, kMaxDepthBucket);
        if (b.s.depth_at_issue.size() <= d) b.s.depth_at_issue.resize(d + 1);
        ++b.s.depth_at_issue[d];
        if (q->after_completion) {
          b.think.add(q->think_ns);
          ++b.s.issues_after_completion;
        }
      }
      if (auto src = charge_to(r)) ++src_[*src].charged[r.id];
      break;
    }
    case RecordType::block_requeue:
      ++blk_[r.id].s.requeues;
      blocks_.feed(r);
      break;
    case RecordType::napi_poll: {
      NetAcc& n = net_[r.id];
      ++n.s.polls;
      if (r.work > 0) n.s.packets += static_cast<std::uint64_t>(r.work);
      if (r.budget > 0 && r.work >= r.budget) ++n.s.budget_exhausted;
      n.work.add(r.work > 0 ? static_cast<std::uint64_t>(r.work) : 0);
      // The backlog's polls follow whatever interrupt last ran on the CPU (a local
      // process's loopback traffic after an unrelated tx interrupt): never charged.
      if (is_napi_backlog(cat.devices[r.id])) break;
      if (auto src = charge_to(r)) {
        ++src_[*src].charged[r.id];
        if (r.work > 0) src_[*src].charged_packets += static_cast<std::uint64_t>(r.work);
      }
      break;
    }
    case RecordType::lost_events:
      t_.lost.add(r);
      cpu.open.clear();
      handlers_.feed(r);
      break;
  }
  return {};
}

TraceStats StatsBuilder::finish(TraceReader& reader) {
  t_.catalog = reader.catalog();
  t_.meta = reader.meta();
  t_.skipped_events = reader.skipped_events();
  t_.unmatched_completions = blocks_.unmatched_completions();
  t_.unfinished_requests = blocks_.in_flight_total() + blocks_.dropped_issues();
  t_.unmatched_exits = handlers_.unmatched_exits();
  t_.reissues = blocks_.reissues();
  const Catalog& cat = t_.catalog;
  src_.resize(cat.sources.size());
  blk_.resize(cat.devices.size());
  net_.resize(cat.devices.size());
  const double secs = static_cast<double>(t_.duration_ns()) / 1e9;
  for (SourceId id = 0; id < cat.sources.size(); ++id) {
    SourceAcc& a = src_[id];
    SourceStats s;
    s.id = id;
    s.entries = a.entries;
    s.unhandled = a.unhandled;
    s.per_cpu.assign(a.per_cpu.begin(), a.per_cpu.end());
    s.rate_hz = secs > 0 ? static_cast<double>(a.entries) / secs : 0;
    s.inter_arrival_ns = summarize(a.inter_arrival);
    s.handler_ns = summarize(a.handler);
    std::uint64_t best = 0;
    for (auto [dev, n] : a.charged) {
      if (n > best) {
        best = n;
        s.serves = dev;
      }
    }
    if (s.serves) {
      if (cat.devices[*s.serves].kind == DeviceKind::block) {
        blk_[*s.serves].s.interrupts += a.entries;
      } else {
        net_[*s.serves].s.interrupts += a.entries;
        if (a.charged_packets > 0) net_[*s.serves].s.rx_interrupts += a.entries;
      }
    }
    t_.sources.push_back(std::move(s));
  }
  for (DeviceId id = 0; id < cat.devices.size(); ++id) {
    if (cat.devices[id].kind == DeviceKind::block) {
      BlockAcc& b = blk_[id];
      b.s.id = id;
      b.s.reissues = blocks_.reissues(id);
      b.s.partial_completions = blocks_.partial_completions(id);
      b.s.issued -= std::min(b.s.issued, b.s.reissues);
      b.s.service_ns = summarize(b.service);
      b.s.read_service_ns = summarize(b.read_service);
      b.s.write_service_ns = summarize(b.write_service);
      b.s.think_after_completion_ns = summarize(b.think);
      if (b.s.completed) b.s.interrupts_per_completion = static_cast<double>(b.s.interrupts) / static_cast<double>(b.s.completed);
      t_.block.push_back(std::move(b.s));
    } else {
      NetAcc& n = net_[id];
      n.s.id = id;
      n.s.work = summarize(n.work);
      if (n.s.rx_interrupts) {
        n.s.packets_per_rx_interrupt = static_cast<double>(n.s.packets) / static_cast<double>(n.s.rx_interrupts);
      }
      t_.net.push_back(std::move(n.s));
    }
  }
  return std::move(t_);
}

}  // namespace

Result<TraceStats> compute_stats(TraceReader& reader) {
  StatsBuilder b;
  Record r;
  for (;;) {
    auto more = reader.next(r);
    if (!more) return more.error();
    if (!*more) break;
    if (auto s = b.feed(r, reader.catalog()); !s) return s.error();
  }
  return b.finish(reader);
}

}  // namespace irqshape::trace
