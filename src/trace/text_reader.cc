#include "trace/text_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "trace/line_reader.h"
#include "trace/lost_markers.h"
#include "trace/record_builder.h"

namespace irqshape::trace {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A CPU number of up to 6 digits at line[i], advancing i; returns how many digits it read.
std::size_t read_cpu_number(std::string_view line, std::size_t& i, std::uint32_t& cpu) {
  std::size_t digits = 0;
  while (i < line.size() && is_digit(line[i]) && digits < 6) {
    cpu = cpu * 10 + static_cast<std::uint32_t>(line[i] - '0');
    ++i;
    ++digits;
  }
  return digits;
}

// A forward-only view over one line, with the few operations the formats need.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  void skip_spaces() {
    std::size_t i = 0;
    while (i < s_.size() && is_space(s_[i])) ++i;
    s_.remove_prefix(i);
  }
  bool eat(std::string_view lit) {
    if (s_.substr(0, lit.size()) != lit) return false;
    s_.remove_prefix(lit.size());
    return true;
  }
  // Up to the next space or tab.
  std::string_view token() {
    std::size_t i = 0;
    while (i < s_.size() && !is_space(s_[i])) ++i;
    auto t = s_.substr(0, i);
    s_.remove_prefix(i);
    return t;
  }
  // Up to (not including) `delim`; false if `delim` does not occur.
  bool until(char delim, std::string_view& out) {
    auto p = s_.find(delim);
    if (p == std::string_view::npos) return false;
    out = s_.substr(0, p);
    s_.remove_prefix(p + 1);
    return true;
  }
  template <typename T>
  bool number(T& v) {
    auto [p, ec] = std::from_chars(s_.data(), s_.data() + s_.size(), v);
    if (ec != std::errc() || p == s_.data()) return false;
    s_.remove_prefix(static_cast<std::size_t>(p - s_.data()));
    return true;
  }
  [[nodiscard]] bool empty() const { return s_.empty(); }
  [[nodiscard]] char peek() const { return s_.empty() ? '\0' : s_.front(); }
  [[nodiscard]] std::string_view rest() const { return s_; }

 private:
  std::string_view s_;
};

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) if (!is_digit(c)) return false;
  return true;
}

// The fixed part every event line has, whatever the dialect.
struct EventLine {
  std::uint32_t cpu = 0;
  Nanos ts = 0;
  std::string_view event;  // without any "system:" prefix
  std::string_view payload;
  bool has_system = false;  // "irq:irq_handler_entry:" (perf) rather than "irq_handler_entry:"
};

// Digits, optionally a '.' and more digits: a timestamp's shape, whatever its value.
bool timestamp_shaped(std::string_view s) {
  const auto dot = s.find('.');
  return all_digits(s.substr(0, dot)) && (dot == std::string_view::npos || all_digits(s.substr(dot + 1)));
}

// The kernel's latency-format timestamp, "<microseconds>us" and a delay mark ("+", "!",
// "#", ...; a space before the ':' when there is none): times since the ring buffer was
// last reset, not the trace clock.
bool kernel_latency_timestamp(std::string_view tok) {
  if (tok.ends_with(':')) tok.remove_suffix(1);
  if (!tok.empty() && std::string_view("$@*#!+").find(tok.back()) != std::string_view::npos) tok.remove_suffix(1);
  return tok.ends_with("us") && all_digits(tok.substr(0, tok.size() - 2));
}

// Parses what follows the "[cpu]" field: [latency flags] timestamp: [period] event: payload.
// With `shape_only` (format detection), a timestamp of the right shape but out of range
// (overflowing, more than 9 decimals) is accepted, so that the reader reports it as a bad
// timestamp rather than the line as an unknown format.
const char* parse_after_cpu(std::string_view rest, EventLine& ev, bool shape_only) {
  Cursor c(rest);
  c.skip_spaces();
  auto tok = c.token();
  if (!tok.empty() && tok.back() != ':') {  // latency flags such as "d.h1."
    c.skip_spaces();
    tok = c.token();
  }
  if (kernel_latency_timestamp(tok)) return kKernelLatencyFormat.data();
  if (tok.size() < 2 || tok.back() != ':') return "expected '<timestamp>:' after the [cpu] field";
  if (!parse_text_timestamp(tok.substr(0, tok.size() - 1), ev.ts)) {
    if (!shape_only || !timestamp_shaped(tok.substr(0, tok.size() - 1))) return "bad timestamp";
    ev.ts = 0;
  }
  c.skip_spaces();
  tok = c.token();
  if (all_digits(tok)) {  // perf script may print a sample period before the event
    c.skip_spaces();
    tok = c.token();
  }
  if (tok.size() < 2 || tok.back() != ':') return "expected '<event>:' after the timestamp";
  tok.remove_suffix(1);
  auto colon = tok.rfind(':');
  ev.has_system = colon != std::string_view::npos;
  ev.event = ev.has_system ? tok.substr(colon + 1) : tok;
  if (ev.event.empty()) return "empty event name";
  c.skip_spaces();
  ev.payload = trim_right(c.rest());
  return nullptr;
}

// The latency layout of `trace-cmd report -l` (and of the kernel's latency-format):
// "<comm>-<pid> <cpu><flags> ...", the CPU number right before the flags column ("1d.h..")
// instead of a "[cpu]" field. `found` tells whether the line has that shape; then the
// result is parse_after_cpu's. A task name may contain "-<digits> ", so each dash is
// tried. The flags start with the irqs-off column (".", "d", "D", "b" or "X") and hold
// no ':' (which tells "<pid> 669.9:" apart).
const char* parse_latency_line(std::string_view line, EventLine& ev, bool shape_only, bool& found) {
  found = false;
  const char* first_error = nullptr;
  std::size_t from = 0;
  for (int tries = 0; tries < 16; ++tries) {
    const auto dash = line.find('-', from);
    if (dash == std::string_view::npos) break;
    from = dash + 1;
    std::size_t i = dash + 1;
    while (i < line.size() && is_digit(line[i])) ++i;  // pid
    if (i == dash + 1 || i >= line.size() || !is_space(line[i])) continue;
    while (i < line.size() && is_space(line[i])) ++i;
    std::uint32_t cpu = 0;
    const std::size_t digits = read_cpu_number(line, i, cpu);
    if (digits == 0 || i >= line.size() || std::string_view(".dDbX").find(line[i]) == std::string_view::npos) continue;
    std::size_t end = i;
    while (end < line.size() && !is_space(line[end])) ++end;
    const auto flags = line.substr(i, end - i);
    if (flags.size() < 3 || flags.size() > 8 || flags.find(':') != std::string_view::npos) continue;
    found = true;
    ev.cpu = cpu;
    const char* err = parse_after_cpu(line.substr(i), ev, shape_only);
    if (err == nullptr) return nullptr;
    if (first_error == nullptr) first_error = err;
  }
  return first_error;
}

// perf script output printed without its "[cpu]" field (`perf script -F
// comm,tid,time,event,trace`): "[<comm>] [<tid>] <ts>: [period] <sys>:<event>: ...".
// A line with a "[<digits>]" word before its timestamp has its CPU field, and is wrong
// in some other way.
bool perf_line_without_cpu(std::string_view line) {
  EventLine ev;
  std::size_t from = line.find_first_not_of(" \t");
  if (from == std::string_view::npos) return false;
  for (int tries = 0; tries < 8; ++tries) {
    const auto word = line.substr(from, line.find_first_of(" \t", from) - from);
    if (word.size() > 2 && word.front() == '[' && word.back() == ']' && all_digits(word.substr(1, word.size() - 2)))
      return false;
    if (parse_after_cpu(line.substr(from), ev, /*shape_only=*/true) == nullptr && ev.has_system) return true;
    const auto space = line.find_first_of(" \t", from);
    if (space == std::string_view::npos) break;
    from = line.find_first_not_of(" \t", space);
    if (from == std::string_view::npos) break;
  }
  return false;
}

// Finds the " [cpu] " field and parses the rest. A task name may itself contain
// "[n]", so each candidate bracket is tried until one yields a well-formed line. Without
// one, the latency layout (parse_latency_line) is tried; a perf script line without its
// CPU is named as such.
const char* parse_event_line(std::string_view line, EventLine& ev, bool shape_only = false) {
  const char* first_error = nullptr;
  std::size_t from = 0;
  for (int tries = 0; tries < 8; ++tries) {
    // " [" after the task name, or a "[" opening the line (perf script -F cpu,time,...).
    std::size_t i = 1;
    if (tries > 0 || !line.starts_with('[')) {
      const auto open = line.find(" [", from);
      if (open == std::string_view::npos) break;
      i = open + 2;
    }
    from = i;
    std::uint32_t cpu = 0;
    const std::size_t digits = read_cpu_number(line, i, cpu);
    if (digits == 0 || i >= line.size() || line[i] != ']') continue;
    ev.cpu = cpu;
    const char* err = parse_after_cpu(line.substr(i + 1), ev, shape_only);
    if (err == nullptr) return nullptr;
    if (first_error == nullptr) first_error = err;
  }
  // A payload may hold a "[0]" (block_rq_complete's error), so the other layouts are
  // tried even after a bracket failed.
  bool latency = false;
  const char* latency_error = parse_latency_line(line, ev, shape_only, latency);
  if (latency) return latency_error;
  if (perf_line_without_cpu(line)) return kPerfScriptWithoutCpu.data();
  return first_error != nullptr ? first_error : "no '[cpu]' field";
}

// "2.000000" for messages: at least 6 decimals, as ftrace prints, and all 9 if needed.
std::string format_seconds(Nanos ts) {
  std::string s = fmt::format("{}.{:09}", ts / 1'000'000'000, ts % 1'000'000'000);
  while (s.size() > s.find('.') + 7 && s.back() == '0') s.pop_back();
  return s;
}

// "CPU:1 [LOST 2930 EVENTS]" and "CPU:1 [LOST EVENTS]" (kernel; the second when it does
// not know how many), "CPU:1 [2930 EVENTS DROPPED]" and "CPU:1 [EVENTS DROPPED]"
// (trace-cmd report). An unknown count is 0.
bool parse_lost_line(std::string_view line, std::uint32_t& cpu, std::uint64_t& count) {
  Cursor c(trim_right(line));
  if (!c.eat("CPU:") || !c.number(cpu) || !c.eat(" [")) return false;
  count = 0;
  bool ok;
  if (c.eat("LOST EVENTS]")) {
    ok = true;
  } else if (c.eat("LOST ")) {
    ok = c.number(count) && c.eat(" EVENTS]");
  } else if (c.eat("EVENTS DROPPED]")) {
    ok = true;
  } else {
    ok = c.number(count) && c.eat(" EVENTS DROPPED]");
  }
  return ok && c.empty();
}

class TextReader final : public TraceReader {
 public:
  TextReader(std::unique_ptr<Input> input, TextDialect dialect)
      : input_(std::move(input)), lines_(*input_), dialect_(dialect) {
    meta_.format = dialect == TextDialect::perf_script ? Format::perf_script : Format::ftrace_text;
  }

  Result<bool> next(Record& out) override {
    if (!status_) return status_.error();
    if (done_) return false;
    auto r = next_record(out);
    if (!r) {
      status_ = r.error();
    } else if (!*r) {
      done_ = true;
    }
    return r;
  }

  [[nodiscard]] const Catalog& catalog() const override { return builder_.catalog(); }
  [[nodiscard]] const TraceMeta& meta() const override { return meta_; }
  [[nodiscard]] std::uint64_t skipped_events() const override { return skipped_; }

 private:
  template <typename... Args>
  Error line_error(fmt::format_string<Args...> f, Args&&... args) {
    return Error{fmt::format("{}: line {}: {}", input_->name(), lines_.line_number(),
                             fmt::format(f, std::forward<Args>(args)...))};
  }

  Result<bool> next_record(Record& out);
  // Header and continuation lines each dialect may contain; true if `line` is one.
  bool is_ignorable(std::string_view line);
  Status decode(const EventLine& ev, Record& out, bool& produced);

  std::unique_ptr<Input> input_;
  LineReader lines_;
  TextDialect dialect_;
  RecordBuilder builder_;
  TraceMeta meta_;
  std::uint64_t skipped_ = 0;
  Nanos latest_ts_ = 0;  // the latest time read
  LostMarkers lost_;  // markers waiting for their CPU's next record (lost_markers.h)
  Status status_;
  bool done_ = false;
};

// perf script's per-sample detail, indented under its sample: call-chain lines in any of
// their forms ("<hex address> [<symbol>] [(<dso>)]", "[unknown] ([unknown])") and srcline
// lines ("file.c:123"). A sample line always has its timestamp ("<secs>.<frac>:"), and
// with -a its "[<cpu>]" field: an indented line with either that fails to parse (cut
// short, a bad timestamp) is an error, even when its task name is made of hex digits
// ("dd"); anything else indented is such detail and skipped.
bool is_sample_detail_line(std::string_view line) {
  if (line.empty() || !is_space(line[0])) return false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '[') {  // "[<digits>]": a CPU field
      std::size_t j = i + 1;
      while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j])) != 0) ++j;
      if (j > i + 1 && j < line.size() && line[j] == ']') return false;
    } else if (line[i] == '.' && i > 0 && std::isdigit(static_cast<unsigned char>(line[i - 1])) != 0) {
      std::size_t j = i + 1;  // "<digits>.<digits>:": a timestamp
      while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j])) != 0) ++j;
      if (j > i + 1 && j < line.size() && line[j] == ':') return false;
    }
  }
  return true;
}

bool TextReader::is_ignorable(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  if (i == line.size() || line[i] == '#') return true;
  if (dialect_ == TextDialect::ftrace) {
    // trace-cmd report's preamble.
    return line.starts_with("cpus=") || line.starts_with("version = ") ||
           (line.starts_with("CPU ") && line.ends_with(" is empty"));
  }
  return false;
}

Result<bool> TextReader::next_record(Record& out) {
  std::string_view line;
  while (!lost_.next(out)) {
    auto more = lines_.next(line);
    if (!more) return more.error();
    if (!*more) {
      lost_.finish(latest_ts_);
      return lost_.next(out);
    }
    if (dialect_ == TextDialect::ftrace && is_kernel_latency_header(line)) {
      return line_error("{}", kKernelLatencyFormat);
    }
    if (is_ignorable(line)) continue;
    std::uint32_t cpu = 0;
    std::uint64_t count = 0;
    if (line.starts_with("CPU:") && parse_lost_line(line, cpu, count)) {
      Record marker;
      if (auto s = builder_.lost_events(latest_ts_, cpu, count, marker); !s) {
        return line_error("{}", s.message());
      }
      (void)lost_.add(marker, latest_ts_, out);  // a marker waits
      continue;
    }
    // A file cut off inside its last line could still parse, as another record (a name
    // cut short is another source): both tools end every line with a newline.
    if (lines_.last_line_unterminated()) {
      return line_error("cut off: the file ends inside this line (no newline after it; add one if the line is whole)");
    }
    EventLine ev;
    if (const char* err = parse_event_line(line, ev)) {
      if (dialect_ == TextDialect::perf_script && is_sample_detail_line(line)) continue;
      return line_error("{}", err);
    }
    // Events come in time order: the kernel merges its per-CPU ring buffers by time, and
    // perf script sorts its samples. A step back means a damaged or spliced file (per-CPU
    // files put one after another), and would otherwise turn into negative durations and
    // wrong statistics downstream.
    if (ev.ts < latest_ts_) {
      return line_error("time goes backwards on CPU {}: {} after {}", ev.cpu, format_seconds(ev.ts),
                        format_seconds(latest_ts_));
    }
    Record record;
    bool produced = false;
    if (auto s = decode(ev, record, produced); !s) return line_error("{}: {}", ev.event, s.message());
    latest_ts_ = std::max(latest_ts_, ev.ts);
    if (!produced) ++skipped_;
    else if (lost_.add(record, latest_ts_, out)) return true;
  }
  return true;
}

Status irq_entry(RecordBuilder& b, const EventLine& ev, Record& out) {
  Cursor c(ev.payload);
  std::int64_t irq = 0;
  if (!c.eat("irq=") || !c.number(irq)) return make_error("expected 'irq=<number> name=<name>'");
  c.skip_spaces();
  if (!c.eat("name=")) return make_error("expected 'irq=<number> name=<name>'");
  return b.irq_entry(ev.ts, ev.cpu, irq, c.rest(), out);
}

Status irq_exit(RecordBuilder& b, const EventLine& ev, Record& out) {
  Cursor c(ev.payload);
  std::int64_t irq = 0;
  if (!c.eat("irq=") || !c.number(irq)) return make_error("expected 'irq=<number> ret=<result>'");
  c.skip_spaces();
  bool handled;
  if (c.eat("ret=handled")) {
    handled = true;
  } else if (c.eat("ret=unhandled")) {
    handled = false;
  } else {
    return make_error("expected 'ret=handled' or 'ret=unhandled'");
  }
  if (!c.empty()) return make_error("unexpected text after the return value");
  return b.irq_exit(ev.ts, ev.cpu, irq, handled, out);
}

// block_rq_issue:    "254,0 RA 16384 () 12654392 + 32 be,0,4 [bash]"
// block_rq_complete: "254,0 RA () 12654392 + 32 be,0,4 [0]"
// block_rq_requeue:  "254,0 WS () 36445080 + 2184 be,0,4 [0]" (the 0 is a constant)
// Kernels before 6.10 print no "class,level,hint" I/O priority field.
Status block(RecordBuilder& b, const EventLine& ev, RecordType type, Record& out) {
  const bool issue = type == RecordType::block_issue;
  Cursor c(ev.payload);
  std::uint32_t major = 0, minor = 0, bytes = 0, nr_sectors = 0;
  std::uint64_t sector = 0;
  std::int32_t error = 0;
  if (!c.number(major) || !c.eat(",") || !c.number(minor)) return make_error("expected '<major>,<minor>'");
  c.skip_spaces();
  BlockFlags flags;
  if (!parse_rwbs(c.token(), flags)) return make_error("bad rwbs flags");
  c.skip_spaces();
  if (issue && !c.number(bytes)) return make_error("expected the request size in bytes");
  c.skip_spaces();
  std::string_view cmd;
  if (!c.eat("(") || !c.until(')', cmd)) return make_error("expected '(<command>)'");
  c.skip_spaces();
  if (!c.number(sector)) return make_error("expected '<sector> + <sectors>'");
  c.skip_spaces();
  if (!c.eat("+")) return make_error("expected '<sector> + <sectors>'");
  c.skip_spaces();
  if (!c.number(nr_sectors)) return make_error("expected '<sector> + <sectors>'");
  c.skip_spaces();
  if (c.peek() != '[') c.token();  // I/O priority "class,level,hint"
  c.skip_spaces();
  std::string_view tail;
  if (!c.eat("[") || !c.until(']', tail)) return make_error("expected '[<comm>]' or '[<error>]' at the end");
  if (!issue) {
    Cursor e(tail);
    if (!e.number(error) || !e.empty()) return make_error("bad error code '{}'", tail);
    if (type == RecordType::block_requeue) error = 0;
    std::uint64_t b64 = std::uint64_t{nr_sectors} * 512;
    if (b64 > std::numeric_limits<std::uint32_t>::max()) return make_error("request of {} sectors is too large", nr_sectors);
    bytes = static_cast<std::uint32_t>(b64);
  }
  return b.block(type, ev.ts, ev.cpu, major, minor, sector, nr_sectors, bytes, flags, error, out);
}

// "napi poll on napi struct 00000000c39e0a62 for device eth0 work 1 budget 64"
Status napi_poll(RecordBuilder& b, const EventLine& ev, Record& out) {
  Cursor c(ev.payload);
  constexpr const char* kShape = "expected 'napi poll on napi struct <p> for device <dev> work <n> budget <n>'";
  if (!c.eat("napi poll on napi struct ")) return make_error("{}", kShape);
  c.token();
  std::int32_t work = 0, budget = 0;
  if (!c.eat(" for device ")) return make_error("{}", kShape);
  auto dev = c.token();
  if (dev.empty() || !c.eat(" work ") || !c.number(work) || !c.eat(" budget ") || !c.number(budget) ||
      !c.empty()) {
    return make_error("{}", kShape);
  }
  return b.napi_poll(ev.ts, ev.cpu, dev, work, budget, out);
}

Status TextReader::decode(const EventLine& ev, Record& out, bool& produced) {
  produced = true;
  const auto& e = ev.event;
  if (e == "irq_handler_entry") return irq_entry(builder_, ev, out);
  if (e == "irq_handler_exit") return irq_exit(builder_, ev, out);
  if (e == "block_rq_issue") return block(builder_, ev, RecordType::block_issue, out);
  if (e == "block_rq_complete") return block(builder_, ev, RecordType::block_complete, out);
  if (e == "block_rq_requeue") return block(builder_, ev, RecordType::block_requeue, out);
  if (e == "napi_poll") return napi_poll(builder_, ev, out);
  produced = false;
  return {};
}

}  // namespace

bool parse_text_timestamp(std::string_view s, Nanos& out) {
  auto dot = s.find('.');
  std::uint64_t secs = 0;
  auto int_part = s.substr(0, dot);
  if (int_part.empty() || !all_digits(int_part)) return false;
  auto [p, ec] = std::from_chars(int_part.data(), int_part.data() + int_part.size(), secs);
  if (ec != std::errc() || p != int_part.data() + int_part.size()) return false;
  if (dot == std::string_view::npos) {
    out = secs;
    return true;
  }
  auto frac = s.substr(dot + 1);
  if (frac.empty() || frac.size() > 9 || !all_digits(frac)) return false;
  std::uint64_t f = 0;
  for (char ch : frac) f = f * 10 + static_cast<std::uint64_t>(ch - '0');
  for (std::size_t i = frac.size(); i < 9; ++i) f *= 10;
  // Up to 2^64 - 1 ns, the end of the clock (18446744073.709551615 s).
  constexpr std::uint64_t kMaxNs = std::numeric_limits<std::uint64_t>::max();
  if (secs > kMaxNs / 1'000'000'000ull || (secs == kMaxNs / 1'000'000'000ull && f > kMaxNs % 1'000'000'000ull))
    return false;
  out = secs * 1'000'000'000ull + f;
  return true;
}

bool is_kernel_latency_header(std::string_view line) {
  // "# nop latency trace v1.1.5 on 6.18.44": print_trace_header() in kernel/trace/trace.c.
  return line.starts_with("# ") && line.find(" latency trace v") != std::string_view::npos;
}

LineShape classify_text_line(std::string_view line, std::string_view* why) {
  EventLine ev;
  if (const char* err = parse_event_line(line, ev, /*shape_only=*/true)) {
    if (why != nullptr && (err == kPerfScriptWithoutCpu.data() || err == kKernelLatencyFormat.data())) *why = err;
    return LineShape::not_event;
  }
  return ev.has_system ? LineShape::perf_event : LineShape::ftrace_event;
}

std::unique_ptr<TraceReader> make_text_reader(std::unique_ptr<Input> input, TextDialect dialect) {
  return std::make_unique<TextReader>(std::move(input), dialect);
}

}  // namespace irqshape::trace
