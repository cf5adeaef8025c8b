// Reading traces. The primary API streams: a TraceReader hands out one Record at a
// time with bounded memory, whatever the size of the trace. load_trace() collects a
// small trace into memory for convenience.
//
//   auto r = trace::open_trace("data/traces/randread-qd1.irqt");
//   if (!r) { fmt::print(stderr, "{}\n", r.message()); return 1; }
//   trace::Record rec;
//   for (;;) {
//     auto more = (*r)->next(rec);
//     if (!more) { /* more.message() names the file and line or byte offset */ }
//     if (!*more) break;
//     const auto& src = (*r)->catalog().sources[rec.id];  // for irq_* records
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "trace/input.h"
#include "trace/model.h"

namespace irqshape::trace {

enum class Format : std::uint8_t {
  native = 0,         // irqshape's compact binary format (docs/trace-format.md)
  trace_cmd_dat = 1,  // trace-cmd .dat, file versions 6 and 7 (uncompressed, zlib or zstd)
  ftrace_text = 2,    // /sys/kernel/tracing/trace, or `trace-cmd report` output
  perf_script = 3,    // `perf script` output of tracepoint events
};

[[nodiscard]] std::string_view to_string(Format format);
[[nodiscard]] std::optional<Format> parse_format(std::string_view name);

struct TraceMeta {
  Format format = Format::native;
  std::string clock;  // the trace clock ("local", "mono", ...), empty if the input does not say
  // Free-form facts the input carries: "uname", "command", "captured_by", ...
  std::vector<std::pair<std::string, std::string>> properties;
};

class TraceReader {
 public:
  virtual ~TraceReader() = default;

  // Reads the next record into `out`. Returns true for a record, false at the end of
  // the trace, or an error naming the input and the line or byte offset at fault.
  // After an error or the end, further calls return the same outcome.
  virtual Result<bool> next(Record& out) = 0;

  // Sources and devices named so far: every id in a record already returned is valid.
  [[nodiscard]] virtual const Catalog& catalog() const = 0;
  [[nodiscard]] virtual const TraceMeta& meta() const = 0;
  // Events of other kinds the input held and the reader passed over (e.g. sched_switch).
  [[nodiscard]] virtual std::uint64_t skipped_events() const = 0;
};

// Opens a trace; the format is detected from its first bytes unless given.
// "-" reads standard input (every format except trace-cmd .dat, which needs seeking).
Result<std::unique_ptr<TraceReader>> open_trace(const std::string& path,
                                                std::optional<Format> format = std::nullopt);
Result<std::unique_ptr<TraceReader>> open_trace(std::unique_ptr<Input> input,
                                                std::optional<Format> format = std::nullopt);

// Detects the format from the first bytes of an input (`head`: up to 64 KiB).
Result<Format> detect_format(std::string_view head, const std::string& name);

// A whole trace in memory.
struct Trace {
  Catalog catalog;
  TraceMeta meta;
  std::vector<Record> records;
  std::uint64_t skipped_events = 0;
};

inline constexpr std::size_t kDefaultMaxLoadRecords = 100'000'000;

// Reads every record of `reader`; refuses (rather than truncating) a trace with more
// than `max_records` records.
Result<Trace> read_all(TraceReader& reader, std::size_t max_records = kDefaultMaxLoadRecords,
                       std::string_view name = "trace");
Result<Trace> load_trace(const std::string& path, std::optional<Format> format = std::nullopt,
                         std::size_t max_records = kDefaultMaxLoadRecords);

}  // namespace irqshape::trace
