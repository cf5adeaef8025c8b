#include "trace/reader.h"

#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "trace/dat_reader.h"
#include "trace/native.h"
#include "trace/native_format.h"
#include "trace/text_reader.h"

namespace irqshape::trace {

namespace {

constexpr std::size_t kSniffBytes = 64 * 1024;
constexpr std::string_view kDatMagic{"\x17\x08\x44tracing", 10};
// perf record's perf.data: "PERFILE2" (a big-endian writer's reads "2ELIFREP"), and
// "PERFFILE" of perf before 2.6.35.
constexpr std::string_view kPerfMagics[] = {"PERFILE2", "2ELIFREP", "PERFFILE"};

}  // namespace

std::string_view to_string(Format format) {
  switch (format) {
    case Format::native: return "native";
    case Format::trace_cmd_dat: return "trace-cmd-dat";
    case Format::ftrace_text: return "ftrace-text";
    case Format::perf_script: return "perf-script";
  }
  return "?";
}

std::optional<Format> parse_format(std::string_view name) {
  for (auto f : {Format::native, Format::trace_cmd_dat, Format::ftrace_text, Format::perf_script}) {
    if (name == to_string(f)) return f;
  }
  if (name == "dat") return Format::trace_cmd_dat;
  if (name == "ftrace") return Format::ftrace_text;
  if (name == "perf") return Format::perf_script;
  return std::nullopt;
}

Result<Format> detect_format(std::string_view head, const std::string& name) {
  if (head.empty()) return make_error("{}: empty file", name);
  const std::string_view magic(reinterpret_cast<const char*>(native::kMagic.data()), native::kMagic.size());
  if (head.starts_with(magic)) return Format::native;
  if (head.starts_with(kDatMagic)) return Format::trace_cmd_dat;
  for (auto perf : kPerfMagics) {
    if (head.starts_with(perf)) {
      return make_error("{}: perf's binary perf.data format, which irqshape does not read: convert it to text with "
                        "`perf script -i {} -F comm,tid,cpu,time,event,trace > perf.txt` and read that (the events "
                        "must be tracepoints: irq:irq_handler_entry/exit, block:block_rq_*, napi:napi_poll)",
                        name, name == "-" ? "perf.data" : name);
    }
  }
  if (magic.starts_with(head) || kDatMagic.starts_with(head)) {
    return make_error("{}: byte offset {}: truncated file header", name, head.size());
  }
  // Text: the first line that is not a comment or preamble decides. NUL bytes before
  // it mean binary data; later ones are the text reader's to report, by line.
  std::size_t pos = 0;
  std::uint64_t line_no = 0;
  bool saw_ftrace_header = false;
  while (pos < head.size()) {
    auto nl = head.find('\n', pos);
    const bool complete = nl != std::string_view::npos;
    auto line = head.substr(pos, complete ? nl - pos : std::string_view::npos);
    pos = complete ? nl + 1 : head.size();
    ++line_no;
    if (line.find('\0') != std::string_view::npos) {
      return make_error("{}: byte offset 0: not a recognized trace format (binary data that is neither "
                        "an irqshape native trace nor a trace-cmd .dat file)", name);
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    if (is_kernel_latency_header(line)) return make_error("{}: line {}: {}", name, line_no, kKernelLatencyFormat);
    if (line[first] == '#') {
      saw_ftrace_header |= line.starts_with("# tracer:") || line.find("TASK-PID") != std::string_view::npos;
      continue;
    }
    if (line.starts_with("cpus=") || line.starts_with("version = ") || line.starts_with("CPU:") ||
        (line.starts_with("CPU ") && line.ends_with(" is empty"))) {
      saw_ftrace_header = true;
      continue;
    }
    std::string_view why;
    switch (classify_text_line(line, &why)) {
      case LineShape::ftrace_event: return Format::ftrace_text;
      case LineShape::perf_event: return Format::perf_script;
      case LineShape::not_event:
        if (!complete && head.size() == kSniffBytes) {
          return make_error("{}: line {}: not a recognized trace format (line too long)", name, line_no);
        }
        if (!why.empty()) return make_error("{}: line {}: {}", name, line_no, why);
        return make_error("{}: line {}: not a recognized trace format (expected an ftrace or perf script "
                          "event line, an irqshape native trace or a trace-cmd .dat file)", name, line_no);
    }
  }
  if (saw_ftrace_header) return Format::ftrace_text;  // a trace with no events
  return make_error("{}: not a recognized trace format (no event lines)", name);
}

namespace {

// Readers hand records out in time order (docs/trace-format.md). The text reader checks
// it line by line; a binary input whose clock steps back (a damaged .dat page, a native
// block with a negative delta) is refused here, for every format, rather than handed on
// to statistics and simulations that assume it - or converted into text that could not
// be read back.
class TimeOrderedReader final : public TraceReader {
 public:
  TimeOrderedReader(std::unique_ptr<TraceReader> inner, std::string name)
      : inner_(std::move(inner)), name_(std::move(name)) {}

  Result<bool> next(Record& out) override {
    if (failed_) return failed_->error();
    auto more = inner_->next(out);
    if (!more || !*more) return more;
    ++records_;
    if (out.ts < last_ts_) {
      failed_ = make_error("{}: record {} (CPU {}): time goes backwards: {} ns after {} ns (records must be in time order)",
                           name_, records_, out.cpu, out.ts, last_ts_);
      return failed_->error();
    }
    last_ts_ = out.ts;
    return true;
  }
  [[nodiscard]] const Catalog& catalog() const override { return inner_->catalog(); }
  [[nodiscard]] const TraceMeta& meta() const override { return inner_->meta(); }
  [[nodiscard]] std::uint64_t skipped_events() const override { return inner_->skipped_events(); }

 private:
  std::unique_ptr<TraceReader> inner_;
  std::string name_;
  std::uint64_t records_ = 0;
  Nanos last_ts_ = 0;
  std::optional<Result<bool>> failed_;
};

Result<std::unique_ptr<TraceReader>> open_format(std::unique_ptr<Input> input, Format format) {
  switch (format) {
    case Format::native: return make_native_reader(std::move(input));
    case Format::trace_cmd_dat: return make_dat_reader(std::move(input));
    case Format::ftrace_text:
      return std::unique_ptr<TraceReader>(make_text_reader(std::move(input), TextDialect::ftrace));
    case Format::perf_script:
      return std::unique_ptr<TraceReader>(make_text_reader(std::move(input), TextDialect::perf_script));
  }
  return make_error("{}: unknown format", input->name());
}

}  // namespace

Result<std::unique_ptr<TraceReader>> open_trace(std::unique_ptr<Input> input, std::optional<Format> format) {
  std::vector<char> head;
  if (input->seekable()) {
    head.resize(kSniffBytes);
    auto n = input->read_at(0, head);
    if (!n) return n.error();
    head.resize(*n);
  } else {
    // A pipe: keep what detection reads and replay it to the reader.
    head.resize(kSniffBytes);
    auto n = read_fully(*input, head);
    if (!n) return n.error();
    head.resize(*n);
  }
  if (!format) {
    auto f = detect_format(std::string_view(head.data(), head.size()), input->name());
    if (!f) return f.error();
    format = *f;
  }
  if (!input->seekable()) {
    if (*format == Format::trace_cmd_dat) {
      return make_error("{}: trace-cmd .dat files need random access; read them from a regular file",
                        input->name());
    }
    input = prefixed_input(std::move(head), std::move(input));
  }
  std::string name = input->name();
  auto reader = open_format(std::move(input), *format);
  if (!reader) return reader.error();
  return std::unique_ptr<TraceReader>(std::make_unique<TimeOrderedReader>(std::move(*reader), std::move(name)));
}

Result<std::unique_ptr<TraceReader>> open_trace(const std::string& path, std::optional<Format> format) {
  auto in = open_input(path);
  if (!in) return in.error();
  return open_trace(std::move(*in), format);
}

Result<Trace> read_all(TraceReader& reader, std::size_t max_records, std::string_view name) {
  Trace t;
  Record r;
  for (;;) {
    auto more = reader.next(r);
    if (!more) return more.error();
    if (!*more) break;
    if (t.records.size() >= max_records) {
      return make_error("{}: trace holds more than {} records; stream it with open_trace() instead", name,
                        max_records);
    }
    t.records.push_back(r);
  }
  t.catalog = reader.catalog();
  t.meta = reader.meta();
  t.skipped_events = reader.skipped_events();
  return t;
}

Result<Trace> load_trace(const std::string& path, std::optional<Format> format, std::size_t max_records) {
  auto reader = open_trace(path, format);
  if (!reader) return reader.error();
  return read_all(**reader, max_records, path);
}

}  // namespace irqshape::trace
