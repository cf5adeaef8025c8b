// Turns decoded tracepoint values into model Records, growing the Catalog as new
// sources and devices appear. Shared by every reader of kernel formats (ftrace text,
// perf script, trace-cmd .dat), so they agree on what a record means.
//
// irq_handler_exit carries only the irq number; the builder pairs it with the open
// irq_handler_entry of that irq on the same CPU (shared lines run one entry/exit pair
// per action), and falls back to the last source seen on that irq.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "trace/model.h"

namespace irqshape::trace {

class RecordBuilder {
 public:
  // Each fills `out` completely. Errors carry no location; the reader adds it.
  Status irq_entry(Nanos ts, std::uint32_t cpu, std::int64_t irq, std::string_view name, Record& out);
  Status irq_exit(Nanos ts, std::uint32_t cpu, std::int64_t irq, bool handled, Record& out);
  Status block(RecordType type, Nanos ts, std::uint32_t cpu, std::uint32_t major,
               std::uint32_t minor, std::uint64_t sector, std::uint32_t nr_sectors,
               std::uint32_t bytes, BlockFlags flags, std::int32_t error, Record& out);
  Status napi_poll(Nanos ts, std::uint32_t cpu, std::string_view dev, std::int32_t work,
                   std::int32_t budget, Record& out);
  Status lost_events(Nanos ts, std::uint32_t cpu, std::uint64_t count, Record& out);

  [[nodiscard]] const Catalog& catalog() const { return catalog_; }

 private:
  struct OpenHandler {
    std::int32_t irq;
    SourceId source;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using NameMap = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;

  Status check_cpu(std::uint32_t cpu);
  Result<SourceId> source_for(std::int32_t irq, std::string_view name);
  Result<DeviceId> block_device(std::uint32_t major, std::uint32_t minor);

  Catalog catalog_;
  NameMap sources_;                    // key: irq (4 bytes) + name
  std::unordered_map<std::int32_t, SourceId> last_by_irq_;
  std::unordered_map<std::uint64_t, DeviceId> block_devices_;  // key: major << 32 | minor
  NameMap net_devices_;
  std::vector<std::vector<OpenHandler>> open_;  // per CPU, innermost last
  std::string key_;                              // scratch, reused to avoid allocation
};

}  // namespace irqshape::trace
