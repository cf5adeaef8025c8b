#include "trace/dat_reader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>

#include "trace/event_format.h"
#include "trace/lost_markers.h"
#include "trace/record_builder.h"
#include "trace/ring_buffer.h"

namespace irqshape::trace {

namespace {

__extension__ typedef unsigned __int128 Uint128;  // TSC -> ns scaling needs 128-bit products

constexpr std::uint64_t kMaxFormatText = 1u << 20;     // one event's format description
constexpr std::uint64_t kMaxSection = 256u << 20;      // a decompressed metadata section
constexpr std::uint64_t kMaxChunk = 64u << 20;         // a decompressed chunk of CPU data
constexpr std::uint32_t kMaxCount = 1u << 16;          // systems, events per system, options
constexpr std::uint32_t kMaxPageSize = 1u << 24;
// All CPUs' page and chunk buffers together: the merge holds one of each per CPU.
constexpr std::uint64_t kMaxBufferedBytes = 256u << 20;
constexpr std::uint32_t kMaxOptionSections = 64;

// Option ids (trace-cmd.dat.v7(5)).
enum : std::uint16_t {
  kOptDone = 0, kOptDate = 1, kOptBuffer = 3, kOptTraceClock = 4, kOptUname = 5, kOptOffset = 7,
  kOptCpuCount = 8, kOptTsc2Nsec = 14, kOptHeaderInfo = 16, kOptEventFormats = 18,
};

// An integer as C writes it and strtoll(s, nullptr, 0) reads it: an optional sign, then
// "0x" hex, a leading 0 octal, or decimal; the whole text, nothing after it. On failure,
// why: not such an integer, or one outside int64_t.
Result<std::int64_t> c_integer(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.size() > 1 && text[0] == '0') {
    base = 8;
  }
  std::uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (text.empty() || end != text.data() + text.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return Error{"not an integer"};
  const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
  if (ec == std::errc::result_out_of_range || magnitude > limit) return Error{"out of range"};
  return negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
}

// Sequential, bounds-checked reads in file endianness, from the input at file offsets
// or from a decompressed section held in memory. Errors say where.
class Cursor {
 public:
  Cursor(Input& in, std::uint64_t offset, bool big_endian)
      : in_(&in), pos_(offset), limit_(in.size().value_or(0)), big_endian_(big_endian) {}
  Cursor(Input& in, std::vector<std::uint8_t> mem, bool big_endian, std::uint64_t section_offset,
         std::string section)
      : in_(&in), mem_(std::move(mem)), in_memory_(true), limit_(mem_.size()), big_endian_(big_endian),
        section_offset_(section_offset), section_(std::move(section)) {}

  template <typename... Args>
  [[nodiscard]] Error error(fmt::format_string<Args...> f, Args&&... args) const {
    return error_at(pos_, fmt::format(f, std::forward<Args>(args)...));
  }
  [[nodiscard]] Error error_at(std::uint64_t pos, const std::string& what) const {
    if (in_memory_) {
      return Error{fmt::format("{}: byte offset {}: {} section (compressed), decompressed byte {}: {}",
                               in_->name(), section_offset_, section_, pos, what)};
    }
    return Error{fmt::format("{}: byte offset {}: {}", in_->name(), pos, what)};
  }

  [[nodiscard]] std::uint64_t position() const { return pos_; }
  [[nodiscard]] std::uint64_t remaining() const { return pos_ < limit_ ? limit_ - pos_ : 0; }

  Status bytes(void* dst, std::size_t n, std::string_view what) {
    if (n > remaining()) return error("truncated {} {}", what, shortfall(n, "needed"));
    if (in_memory_) {
      if (n) std::memcpy(dst, mem_.data() + pos_, n);
    } else {
      auto got = in_->read_at(pos_, std::span<char>(static_cast<char*>(dst), n));
      if (!got) return got.error();
      if (*got != n) return error("truncated {}", what);
    }
    pos_ += n;
    return {};
  }
  template <typename T>
  Status integer(T& v, std::string_view what) {
    std::uint8_t b[sizeof(T)];
    if (auto s = bytes(b, sizeof b, what); !s) return s;
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) x |= std::uint64_t{b[i]} << (8 * (big_endian_ ? sizeof(T) - 1 - i : i));
    v = static_cast<T>(x);
    return {};
  }
  Status cstring(std::string& out, std::size_t max, std::string_view what) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(max + 1, remaining()));
    std::string buf(want, '\0');
    const std::uint64_t start = pos_;
    if (in_memory_) {
      if (want) std::memcpy(buf.data(), mem_.data() + pos_, want);
    } else {
      auto got = in_->read_at(pos_, std::span<char>(buf.data(), want));
      if (!got) return got.error();
      buf.resize(*got);
    }
    auto nul = buf.find('\0');
    if (nul == std::string::npos) {
      return error_at(start, fmt::format("{} is not NUL-terminated within {} bytes", what, max));
    }
    out = buf.substr(0, nul);
    pos_ += nul + 1;
    return {};
  }
  Status skip(std::uint64_t n, std::string_view what) {
    if (n > remaining()) return error("truncated {} {}", what, shortfall(n, "claimed"));
    pos_ += n;
    return {};
  }
  Status text(std::string& out, std::uint64_t n, std::uint64_t max, std::string_view what) {
    if (n > max) return error("{} of {} bytes exceeds the {} byte limit", what, n, max);
    out.resize(static_cast<std::size_t>(n));
    return bytes(out.data(), out.size(), what);
  }
  void seek(std::uint64_t pos) { pos_ = pos; }

 private:
  // Why `n` more bytes are not there. An offset at or past the end of the file (an
  // offset field pointing outside a cut file) says where the file ends.
  [[nodiscard]] std::string shortfall(std::uint64_t n, std::string_view verb) const {
    if (!in_memory_ && pos_ >= limit_) return fmt::format("(the file ends at byte {})", limit_);
    return fmt::format("({} bytes {}, {} left)", n, verb, remaining());
  }

  Input* in_;
  std::vector<std::uint8_t> mem_;
  bool in_memory_ = false;
  std::uint64_t pos_ = 0;
  std::uint64_t limit_;
  bool big_endian_;
  std::uint64_t section_offset_ = 0;
  std::string section_;
};

Result<std::vector<std::uint8_t>> zstd_decompress(std::span<const std::uint8_t> src, std::uint64_t expected) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(expected));
  const std::size_t n = ZSTD_decompress(out.data(), out.size(), src.data(), src.size());
  if (ZSTD_isError(n)) return make_error("zstd: {}", ZSTD_getErrorName(n));
  if (n != expected) return make_error("decompressed to {} bytes, header says {}", n, expected);
  return out;
}

// One event the model uses, with the fields it reads.
struct EventDecoder {
  std::uint32_t id = 0;
  RecordType type = RecordType::irq_entry;
  EventField a, b, c, d, e, f;  // meaning depends on type, see make_decoder
};

Result<EventDecoder> make_decoder(const EventFormat& fmt, RecordType type) {
  EventDecoder dec;
  dec.id = fmt.id;
  dec.type = type;
  // `size` 0 means a string: a char array, or a 4-byte __data_loc/__rel_loc descriptor.
  auto need = [&](std::string_view name, EventField& slot, bool is_string, std::uint32_t size) -> Status {
    const EventField* field = fmt.field(name);
    if (field == nullptr) return make_error("format of {} lacks field '{}'", fmt.name, name);
    bool ok;
    if (is_string) {
      ok = (field->data_loc || field->rel_loc) ? field->size == 4 : field->size > 0;
    } else {
      ok = field->size == size && !field->data_loc && !field->rel_loc;
    }
    if (!ok) return make_error("format of {}: field '{}' has unexpected size {}", fmt.name, name, field->size);
    slot = *field;
    return {};
  };
  Status s;
  switch (type) {
    case RecordType::irq_entry:
      if (!(s = need("irq", dec.a, false, 4)) || !(s = need("name", dec.b, true, 0))) return s.error();
      break;
    case RecordType::irq_exit:
      if (!(s = need("irq", dec.a, false, 4)) || !(s = need("ret", dec.b, false, 4))) return s.error();
      break;
    case RecordType::block_issue:
    case RecordType::block_complete:
      if (!(s = need("dev", dec.a, false, 4)) || !(s = need("sector", dec.b, false, 8)) ||
          !(s = need("nr_sector", dec.c, false, 4)) || !(s = need("rwbs", dec.d, true, 0))) {
        return s.error();
      }
      if (type == RecordType::block_complete && !(s = need("error", dec.e, false, 4))) return s.error();
      // bytes: issue events of kernels since 3.x (a passthrough request has nr_sector 0
      // and its size here); older ones derive it from nr_sector.
      if (type == RecordType::block_issue && fmt.field("bytes") != nullptr && !(s = need("bytes", dec.e, false, 4))) {
        return s.error();
      }
      break;
    case RecordType::block_requeue:
      if (!(s = need("dev", dec.a, false, 4)) || !(s = need("sector", dec.b, false, 8)) ||
          !(s = need("nr_sector", dec.c, false, 4)) || !(s = need("rwbs", dec.d, true, 0))) {
        return s.error();
      }
      break;
    case RecordType::napi_poll:
      if (!(s = need("dev_name", dec.a, true, 0)) || !(s = need("work", dec.b, false, 4)) ||
          !(s = need("budget", dec.c, false, 4))) {
        return s.error();
      }
      break;
    case RecordType::lost_events:
      break;
  }
  return dec;
}

std::optional<RecordType> wanted_event(std::string_view system, std::string_view name) {
  if (system == "irq" && name == "irq_handler_entry") return RecordType::irq_entry;
  if (system == "irq" && name == "irq_handler_exit") return RecordType::irq_exit;
  if (system == "block" && name == "block_rq_issue") return RecordType::block_issue;
  if (system == "block" && name == "block_rq_complete") return RecordType::block_complete;
  if (system == "block" && name == "block_rq_requeue") return RecordType::block_requeue;
  if (system == "napi" && name == "napi_poll") return RecordType::napi_poll;
  return std::nullopt;
}

// One CPU's data: a sequence of pages, stored raw or in compressed chunks.
struct CpuStream {
  std::uint32_t cpu = 0;
  std::uint64_t offset = 0;  // in the file
  std::uint64_t size = 0;
  std::uint64_t end = 0;     // file offset where this CPU's data ends
  bool compressed = false;
  // Raw: the next page's file offset. Compressed: the next chunk header's file offset.
  std::uint64_t next = 0;
  std::uint32_t chunks_left = 0;
  std::vector<std::uint8_t> buf;  // the current page, or the current decompressed chunk
  std::size_t cur_page = 0;       // current page within buf
  std::size_t page_at = 0;        // next page within buf
  std::uint64_t buf_origin = 0;   // file offset of the page (raw) or of the chunk (compressed)
  bool has_page = false;
  bool has_event = false;
  RawEvent event;
  std::unique_ptr<PageDecoder> decoder;
};

class DatReader final : public TraceReader {
 public:
  explicit DatReader(std::unique_ptr<Input> input) : in_(std::move(input)) { meta_.format = Format::trace_cmd_dat; }

  Status open();

  Result<bool> next(Record& out) override {
    if (!status_) return status_.error();
    while (!lost_.next(out)) {
      CpuStream* best = nullptr;
      for (auto& s : streams_) {
        if (s.has_event && (best == nullptr || s.event.ts < best->event.ts)) best = &s;
      }
      if (best == nullptr) {
        lost_.finish(latest_ts_);
        return lost_.next(out);
      }
      Record record;
      bool produced = false;
      if (auto s = decode(*best, record, produced); !s) return fail(s.error());
      if (auto s = advance(*best); !s) return fail(s.error());
      if (!produced) continue;
      latest_ts_ = std::max(latest_ts_, record.ts);
      if (lost_.add(record, latest_ts_, out)) return true;
    }
    return true;
  }

  [[nodiscard]] const Catalog& catalog() const override { return builder_.catalog(); }
  [[nodiscard]] const TraceMeta& meta() const override { return meta_; }
  [[nodiscard]] std::uint64_t skipped_events() const override { return skipped_; }

 private:
  Error fail(Error e) {
    status_ = e;
    return e;
  }
  template <typename... Args>
  Error at(std::uint64_t offset, fmt::format_string<Args...> f, Args&&... args) const {
    return Error{fmt::format("{}: byte offset {}: {}", in_->name(), offset, fmt::format(f, std::forward<Args>(args)...))};
  }

  Status read_initial(Cursor& c);
  Status read_header_info(Cursor& c);
  Status read_event_formats(Cursor& c);
  Status read_v6(Cursor& c);
  Status read_v7(Cursor& c);
  Status read_option(std::uint16_t id, Cursor& opt, std::uint32_t size);
  Status read_v7_buffer(Cursor& opt, std::uint32_t size);
  Status select_v7_buffer();
  Result<Cursor> open_section(std::uint64_t offset, std::uint16_t expected_id, std::string name);
  Status start_streams();
  Status load_page(CpuStream& s);
  Status advance(CpuStream& s);
  Status decode(CpuStream& s, Record& out, bool& produced);
  [[nodiscard]] std::string where(const CpuStream& s, std::uint32_t page_offset) const;
  [[nodiscard]] Nanos convert_ts(Nanos raw) const;

  std::unique_ptr<Input> in_;
  TraceMeta meta_;
  RecordBuilder builder_;
  Status status_;
  std::uint64_t skipped_ = 0;
  LostMarkers lost_;  // markers waiting for their CPU's next record (lost_markers.h)
  Nanos latest_ts_ = 0;

  int version_ = 0;
  bool big_endian_ = false;
  std::uint8_t long_size_ = 8;
  std::uint32_t page_size_ = 4096;
  std::uint32_t cpus_ = 0;
  std::string compression_;
  RingBufferLayout layout_;
  bool have_header_page_ = false;
  std::vector<EventDecoder> decoders_;
  EventField common_type_{"common_type", 0, 2, false, false, false};
  bool tsc2nsec_ = false;
  std::uint32_t tsc_mult_ = 0, tsc_shift_ = 0;
  std::int64_t ts_offset_ = 0;
  std::vector<CpuStream> streams_;
  std::uint64_t buffered_ = 0;  // bytes held in all streams' buffers

  // v7 BUFFER options: the candidates to read, and every buffer's name and data size
  // (the first kMaxNotedBuffers) for the note saying which was read.
  struct V7Cpu {
    std::uint32_t id = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
  };
  struct V7Buffer {
    std::string name, clock;
    std::uint64_t section = 0;
    std::uint32_t page_size = 0;
    std::vector<V7Cpu> cpus;
    std::uint64_t data_bytes = 0;
    std::uint64_t index = 0;  // among the file's buffers
  };
  static constexpr std::size_t kMaxNotedBuffers = 16;
  std::optional<V7Buffer> v7_top_, v7_first_, v7_first_with_data_;
  std::vector<std::pair<std::string, std::uint64_t>> v7_buffer_names_;
  std::uint64_t v7_buffer_count_ = 0;
};

Status DatReader::open() {
  Cursor c(*in_, 0, false);
  if (auto s = read_initial(c); !s) return s;
  if (version_ == 6) {
    if (auto s = read_v6(c); !s) return s;
  } else {
    if (auto s = read_v7(c); !s) return s;
  }
  if (!have_header_page_) return at(0, "the file has no header_page description");
  return start_streams();
}

Status DatReader::read_initial(Cursor& c) {
  char magic[10];
  if (auto s = c.bytes(magic, sizeof magic, "file magic"); !s) return s;
  if (std::memcmp(magic, "\x17\x08\x44tracing", 10) != 0) return at(0, "not a trace-cmd .dat file (bad magic)");
  std::string version;
  if (auto s = c.cstring(version, 8, "file version"); !s) return s;
  if (version == "6") {
    version_ = 6;
  } else if (version == "7") {
    version_ = 7;
  } else {
    return at(10, "unsupported trace-cmd file version '{}' (this reader handles 6 and 7)", version);
  }
  std::uint8_t endian_and_long[2];
  if (auto s = c.bytes(endian_and_long, 2, "endianness and long size"); !s) return s;
  if (endian_and_long[0] > 1) return at(c.position() - 2, "bad endianness flag {}", endian_and_long[0]);
  big_endian_ = endian_and_long[0] == 1;
  long_size_ = endian_and_long[1];
  if (long_size_ != 4 && long_size_ != 8) return at(c.position() - 1, "bad long size {}", long_size_);
  c = Cursor(*in_, c.position(), big_endian_);
  if (auto s = c.integer(page_size_, "page size"); !s) return s;
  if (page_size_ < 64 || page_size_ > kMaxPageSize) return at(c.position() - 4, "implausible page size {}", page_size_);
  return {};
}

Status DatReader::read_header_info(Cursor& c) {
  std::string label, text;
  std::uint64_t size = 0;
  if (auto s = c.cstring(label, 16, "header_page label"); !s) return s;
  if (label != "header_page") return c.error("expected 'header_page', found '{}'", label.substr(0, 32));
  if (auto s = c.integer(size, "header_page size"); !s) return s;
  const std::uint64_t text_at = c.position();
  if (auto s = c.text(text, size, 64 * 1024, "header_page"); !s) return s;
  auto hp = parse_header_page(text);
  if (!hp) return c.error_at(text_at, hp.message());
  layout_.header = *hp;
  layout_.big_endian = big_endian_;
  have_header_page_ = true;
  if (auto s = c.cstring(label, 16, "header_event label"); !s) return s;
  if (label != "header_event") return c.error("expected 'header_event', found '{}'", label.substr(0, 32));
  if (auto s = c.integer(size, "header_event size"); !s) return s;
  return c.skip(size, "header_event");
}

Status DatReader::read_event_formats(Cursor& c) {
  std::uint32_t systems = 0;
  if (auto s = c.integer(systems, "event system count"); !s) return s;
  if (systems > kMaxCount) return c.error("implausible event system count {}", systems);
  for (std::uint32_t i = 0; i < systems; ++i) {
    std::string system;
    std::uint32_t events = 0;
    if (auto s = c.cstring(system, 256, "event system name"); !s) return s;
    if (auto s = c.integer(events, "event count"); !s) return s;
    if (events > kMaxCount) return c.error("implausible event count {}", events);
    const bool interesting = system == "irq" || system == "block" || system == "napi";
    for (std::uint32_t j = 0; j < events; ++j) {
      std::uint64_t size = 0;
      if (auto s = c.integer(size, "event format size"); !s) return s;
      if (!interesting) {
        if (auto s = c.skip(size, "event format"); !s) return s;
        continue;
      }
      std::string text;
      const std::uint64_t text_at = c.position();
      if (auto s = c.text(text, size, kMaxFormatText, "event format"); !s) return s;
      auto head = peek_event_name_id(text);
      if (!head) return c.error_at(text_at, fmt::format("{}: {}", system, head.message()));
      auto type = wanted_event(system, head->first);
      if (!type) continue;
      auto parsed = parse_event_format(text);
      if (!parsed) return c.error_at(text_at, fmt::format("{}/{}: {}", system, head->first, parsed.message()));
      auto dec = make_decoder(*parsed, *type);
      if (!dec) return c.error_at(text_at, dec.message());
      if (const EventField* ct = parsed->field("common_type")) {
        if (ct->size != 1 && ct->size != 2 && ct->size != 4) return c.error_at(text_at, "bad common_type field");
        common_type_ = *ct;
      }
      decoders_.erase(std::remove_if(decoders_.begin(), decoders_.end(),
                                     [&](const EventDecoder& d) { return d.id == dec->id || d.type == dec->type; }),
                      decoders_.end());
      decoders_.push_back(*dec);
    }
  }
  return {};
}

Status DatReader::read_v6(Cursor& c) {
  std::vector<std::string> v6_buffers;  // the first few names, for the note
  std::uint64_t v6_buffer_count = 0;
  if (auto s = read_header_info(c); !s) return s;
  std::uint32_t count = 0;
  if (auto s = c.integer(count, "ftrace format count"); !s) return s;
  if (count > kMaxCount) return c.error("implausible ftrace format count {}", count);
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint64_t size = 0;
    if (auto s = c.integer(size, "ftrace format size"); !s) return s;
    if (auto s = c.skip(size, "ftrace format"); !s) return s;
  }
  if (auto s = read_event_formats(c); !s) return s;
  std::uint32_t size32 = 0;
  std::uint64_t size64 = 0;
  if (auto s = c.integer(size32, "kallsyms size"); !s) return s;
  if (auto s = c.skip(size32, "kallsyms"); !s) return s;
  if (auto s = c.integer(size32, "printk formats size"); !s) return s;
  if (auto s = c.skip(size32, "printk formats"); !s) return s;
  if (auto s = c.integer(size64, "saved command lines size"); !s) return s;
  if (auto s = c.skip(size64, "saved command lines"); !s) return s;
  if (auto s = c.integer(cpus_, "CPU count"); !s) return s;
  if (cpus_ > kMaxCpus) return c.error("implausible CPU count {}", cpus_);
  char label[10];
  if (auto s = c.bytes(label, sizeof label, "section label"); !s) return s;
  if (std::memcmp(label, "options  \0", 10) == 0) {
    for (std::uint32_t n = 0;; ++n) {
      std::uint16_t id = 0;
      if (auto s = c.integer(id, "option id"); !s) return s;
      if (id == kOptDone) break;
      if (n >= kMaxCount) return c.error("too many options");
      std::uint32_t size = 0;
      if (auto s = c.integer(size, "option size"); !s) return s;
      Cursor opt = c;
      if (auto s = c.skip(size, "option data"); !s) return s;
      if (id == kOptBuffer) {  // v6: u64 offset of the instance's data, its name
        std::string name;
        if (size < 8) return opt.error("BUFFER option of {} bytes", size);
        if (auto s = opt.skip(8, "buffer offset"); !s) return s;
        if (auto s = opt.text(name, size - 8, 4096, "buffer name"); !s) return s;
        if (v6_buffers.size() < 4) v6_buffers.push_back(name.substr(0, name.find('\0')));
        ++v6_buffer_count;
        continue;
      }
      if (auto s = read_option(id, opt, size); !s) return s;
    }
    if (auto s = c.bytes(label, sizeof label, "section label"); !s) return s;
  }
  // Instances recorded with trace-cmd record -B: this reader reads the top instance of a
  // v6 file only, and says so rather than leaving a trace empty without a word.
  if (v6_buffer_count > 0) {
    meta_.properties.emplace_back(
        "note", fmt::format("the file also holds {} trace-cmd buffer{} ({}{}), not read: only the top instance is",
                            v6_buffer_count, v6_buffer_count == 1 ? "" : "s", fmt::join(v6_buffers, ", "),
                            v6_buffer_count > v6_buffers.size() ? ", ..." : ""));
  }
  if (std::memcmp(label, "latency  \0", 10) == 0) {
    return c.error("this .dat holds a latency-tracer text dump, not events; it is not supported");
  }
  if (std::memcmp(label, "flyrecord\0", 10) != 0) return c.error("expected 'flyrecord'");
  for (std::uint32_t cpu = 0; cpu < cpus_; ++cpu) {
    CpuStream s;
    s.cpu = cpu;
    if (auto st = c.integer(s.offset, "CPU data offset"); !st) return st;
    if (auto st = c.integer(s.size, "CPU data size"); !st) return st;
    streams_.push_back(std::move(s));
  }
  return {};
}


Result<Cursor> DatReader::open_section(std::uint64_t offset, std::uint16_t expected_id, std::string name) {
  Cursor c(*in_, offset, big_endian_);
  std::uint16_t id = 0, flags = 0;
  std::uint32_t string_id = 0;
  std::uint64_t size = 0;
  if (auto s = c.integer(id, "section id"); !s) return s.error();
  if (auto s = c.integer(flags, "section flags"); !s) return s.error();
  if (auto s = c.integer(string_id, "section description"); !s) return s.error();
  if (auto s = c.integer(size, "section size"); !s) return s.error();
  if (id != expected_id) return at(offset, "expected a {} section (id {}), found id {}", name, expected_id, id);
  if (size > c.remaining()) {
    return at(offset + 8, "{} section of {} bytes runs past the end of the file (at byte {})", name, size,
              in_->size().value_or(0));
  }
  if ((flags & 1) == 0) return c;
  if (compression_ != "zstd") return at(offset, "compressed {} section in a file that names no compression", name);
  std::uint32_t csize = 0, usize = 0;
  if (auto s = c.integer(csize, "compressed size"); !s) return s.error();
  if (auto s = c.integer(usize, "uncompressed size"); !s) return s.error();
  if (csize > size || usize > kMaxSection) {
    return at(offset, "{} section: implausible sizes ({} compressed, {} uncompressed)", name, csize, usize);
  }
  std::vector<std::uint8_t> comp(csize);
  if (auto s = c.bytes(comp.data(), comp.size(), "compressed section"); !s) return s.error();
  auto plain = zstd_decompress(comp, usize);
  if (!plain) return at(offset, "{} section: {}", name, plain.message());
  return Cursor(*in_, std::move(*plain), big_endian_, offset, std::move(name));
}

Status DatReader::read_option(std::uint16_t id, Cursor& opt, std::uint32_t size) {
  std::string text;
  switch (id) {
    case kOptTraceClock: {
      if (auto s = opt.text(text, size, 4096, "trace clock option"); !s) return s;
      // "[local] global counter ...": the selected clock is bracketed.
      auto open = text.find('[');
      auto close = text.find(']', open == std::string::npos ? 0 : open);
      if (open != std::string::npos && close != std::string::npos) meta_.clock = text.substr(open + 1, close - open - 1);
      return {};
    }
    case kOptUname:
      if (auto s = opt.text(text, size, 4096, "uname option"); !s) return s;
      meta_.properties.emplace_back("uname", text.substr(0, text.find('\0')));
      return {};
    case kOptTsc2Nsec: {
      if (size < 16) return opt.error("short TSC2NSEC option");
      if (auto s = opt.integer(tsc_mult_, "TSC2NSEC multiplier"); !s) return s;
      if (auto s = opt.integer(tsc_shift_, "TSC2NSEC shift"); !s) return s;
      // The third field, an offset, is read and not applied: libtracecmd (3.1.6) does not
      // add it to timestamps either, and ignores a multiplier of 0.
      std::uint64_t offset = 0;
      if (auto s = opt.integer(offset, "TSC2NSEC offset"); !s) return s;
      if (tsc_shift_ > 63) return opt.error("bad TSC2NSEC shift {}", tsc_shift_);
      tsc2nsec_ = tsc_mult_ != 0;
      return {};
    }
    // DATE (`trace-cmd record --date`): microseconds from the trace clock to wall-clock
    // time; OFFSET: nanoseconds. Both are added to every timestamp, as libtracecmd does;
    // both are C integers in text ("0x5f5e100", "-1000").
    case kOptDate:
    case kOptOffset: {
      const char* what = id == kOptDate ? "date" : "offset";
      if (auto s = opt.text(text, size, 4096, fmt::format("{} option", what)); !s) return s;
      text = text.substr(0, text.find('\0'));
      const Result<std::int64_t> v = c_integer(text);
      if (!v) return opt.error("{} option '{}': {}", what, text, v.message());
      std::int64_t add = *v;
      if (id == kOptDate && __builtin_mul_overflow(*v, std::int64_t{1000}, &add))
        return opt.error("date option '{}': out of range in nanoseconds", text);
      if (__builtin_add_overflow(ts_offset_, add, &ts_offset_))
        return opt.error("{} option '{}': out of range added to the earlier offsets", what, text);
      return {};
    }
    case kOptCpuCount:
      if (size >= 4) {
        if (auto s = opt.integer(cpus_, "CPU count"); !s) return s;
        if (cpus_ > kMaxCpus) return opt.error("implausible CPU count {}", cpus_);
      }
      return {};
    default:
      return {};  // options the model does not need
  }
}

// BUFFER option: u64 section offset, name, clock, u32 page size, u32 CPU count, then per
// CPU u32 id, u64 offset, u64 size. Only the buffers that may be read are kept (the top
// instance, the first other one, the first other one with data); select_v7_buffer()
// chooses among them once every option has been seen.
Status DatReader::read_v7_buffer(Cursor& opt, std::uint32_t size) {
  const std::uint64_t end = opt.position() + size;
  V7Buffer b;
  std::uint32_t cpus = 0;
  if (auto s = opt.integer(b.section, "buffer section offset"); !s) return s;
  if (auto s = opt.cstring(b.name, 256, "buffer name"); !s) return s;
  if (auto s = opt.cstring(b.clock, 64, "buffer clock"); !s) return s;
  if (auto s = opt.integer(b.page_size, "buffer page size"); !s) return s;
  if (auto s = opt.integer(cpus, "buffer CPU count"); !s) return s;
  if (cpus > kMaxCpus) return opt.error("implausible CPU count {}", cpus);
  if (std::uint64_t{cpus} * 20 > end - std::min(end, opt.position())) return opt.error("buffer option shorter than its CPU list");
  if (b.page_size < 64 || b.page_size > kMaxPageSize) return opt.error("implausible page size {}", b.page_size);
  b.cpus.reserve(cpus);
  for (std::uint32_t i = 0; i < cpus; ++i) {
    V7Cpu cpu;
    if (auto st = opt.integer(cpu.id, "CPU id"); !st) return st;
    if (auto st = opt.integer(cpu.offset, "CPU data offset"); !st) return st;
    if (auto st = opt.integer(cpu.size, "CPU data size"); !st) return st;
    if (cpu.id >= kMaxCpus) return opt.error("CPU id {} out of range", cpu.id);
    b.data_bytes += std::min(cpu.size, std::numeric_limits<std::uint64_t>::max() - b.data_bytes);  // saturates
    b.cpus.push_back(cpu);
  }
  b.index = v7_buffer_count_++;
  if (v7_buffer_names_.size() < kMaxNotedBuffers) v7_buffer_names_.emplace_back(b.name, b.data_bytes);
  if (b.name.empty()) {
    if (!v7_top_) v7_top_ = std::move(b);
    return {};
  }
  if (!v7_first_) v7_first_ = b;
  if (!v7_first_with_data_ && b.data_bytes > 0) v7_first_with_data_ = std::move(b);
  return {};
}

std::string buffer_label(const std::string& name) {
  return name.empty() ? std::string("the top instance") : fmt::format("buffer \"{}\"", name);
}

// The top instance if it holds data, else the first buffer that does; if none does, the
// top instance, else the first. With several buffers, a "note" metadata entry names the
// one read and the ones skipped.
Status DatReader::select_v7_buffer() {
  std::optional<V7Buffer>* pick = &v7_top_;
  if (!(v7_top_ && v7_top_->data_bytes > 0)) {
    if (v7_first_with_data_) {
      pick = &v7_first_with_data_;
    } else if (!v7_top_) {
      pick = &v7_first_;
    }
  }
  if (!*pick) return {};  // no buffer option: no CPU data
  V7Buffer b = std::move(**pick);
  for (const auto& cpu : b.cpus) {
    CpuStream s;
    s.cpu = cpu.id;
    s.offset = cpu.offset;
    s.size = cpu.size;
    streams_.push_back(std::move(s));
  }
  // The flyrecord section's header says whether the CPU data is compressed.
  Cursor h(*in_, b.section, big_endian_);
  std::uint16_t id = 0, flags = 0;
  if (auto s = h.integer(id, "buffer section id"); !s) return s;
  if (auto s = h.integer(flags, "buffer section flags"); !s) return s;
  if (id != kOptBuffer) return at(b.section, "expected a buffer section (id 3), found id {}", id);
  if ((flags & 1) != 0 && compression_ != "zstd") return at(b.section, "compressed CPU data in a file that names no compression");
  for (auto& s : streams_) s.compressed = (flags & 1) != 0;
  page_size_ = b.page_size;
  meta_.clock = b.clock;
  if (!b.name.empty()) meta_.properties.emplace_back("buffer", b.name);
  if (v7_buffer_count_ > 1) {
    std::string skipped;
    for (std::size_t i = 0; i < v7_buffer_names_.size(); ++i) {
      if (i == b.index) continue;
      const auto& [name, bytes] = v7_buffer_names_[i];
      if (!skipped.empty()) skipped += ", ";
      skipped += buffer_label(name);
      skipped += bytes > 0 ? fmt::format(" ({} bytes of data)", bytes) : std::string(" (no data)");
    }
    if (v7_buffer_count_ > v7_buffer_names_.size()) {
      skipped += fmt::format(" and {} more", v7_buffer_count_ - v7_buffer_names_.size());
    }
    meta_.properties.emplace_back(
        "note", fmt::format("the file holds {} trace-cmd buffers; read {}{}, skipped {}", v7_buffer_count_,
                            buffer_label(b.name), b.data_bytes > 0 ? "" : " (no buffer holds data)", skipped));
  }
  return {};
}

Status DatReader::read_v7(Cursor& c) {
  std::string version;
  if (auto s = c.cstring(compression_, 64, "compression name"); !s) return s;
  if (auto s = c.cstring(version, 64, "compression version"); !s) return s;
  if (compression_ != "none" && compression_ != "zstd") {
    return at(c.position(), "compression '{}' is not supported (only none and zstd); "
              "convert with: trace-cmd convert --compression none -i IN -o OUT", compression_);
  }
  std::uint64_t options = 0;
  if (auto s = c.integer(options, "options offset"); !s) return s;
  std::uint64_t header_info = 0, event_formats = 0;
  for (std::uint32_t n = 0; options != 0; ++n) {
    if (n >= kMaxOptionSections) return at(options, "too many options sections");
    auto sec = open_section(options, 0, "options");
    if (!sec) return sec.error();
    std::uint64_t next = 0;
    for (std::uint32_t k = 0;; ++k) {
      if (k >= kMaxCount) return sec->error("too many options");
      std::uint16_t id = 0;
      std::uint32_t size = 0;
      if (auto s = sec->integer(id, "option id"); !s) return s;
      if (auto s = sec->integer(size, "option size"); !s) return s;
      Cursor opt = *sec;
      if (auto s = sec->skip(size, "option data"); !s) return s;
      if (id == kOptDone) {
        if (auto s = opt.integer(next, "next options offset"); !s) return s;
        break;
      }
      Status s;
      if (id == kOptHeaderInfo) {
        s = opt.integer(header_info, "header info offset");
      } else if (id == kOptEventFormats) {
        s = opt.integer(event_formats, "event formats offset");
      } else if (id == kOptBuffer) {
        s = read_v7_buffer(opt, size);
      } else {
        s = read_option(id, opt, size);
      }
      if (!s) return s;
    }
    if (next != 0 && next <= options) return at(options, "options sections do not move forward");
    options = next;
  }
  if (auto s = select_v7_buffer(); !s) return s;
  if (header_info == 0) return at(0, "the file has no header info section");
  auto hi = open_section(header_info, kOptHeaderInfo, "header info");
  if (!hi) return hi.error();
  if (auto s = read_header_info(*hi); !s) return s;
  if (event_formats != 0) {
    auto ef = open_section(event_formats, kOptEventFormats, "event formats");
    if (!ef) return ef.error();
    if (auto s = read_event_formats(*ef); !s) return s;
  }
  return {};
}

Status DatReader::start_streams() {
  layout_.page_size = page_size_;
  if (layout_.header.data_offset >= page_size_) return at(0, "page size {} smaller than the page header", page_size_);
  const std::uint64_t file_size = in_->size().value_or(0);
  for (auto& s : streams_) {
    s.decoder = std::make_unique<PageDecoder>(layout_);
    if (s.size == 0) continue;
    if (s.offset > file_size) {
      return at(s.offset, "CPU {} data starts past the end of the file (at byte {})", s.cpu, file_size);
    }
    s.next = s.offset;
    if (s.compressed) {
      Cursor c(*in_, s.offset, big_endian_);
      if (auto st = c.integer(s.chunks_left, "chunk count"); !st) return st;
      s.next = s.offset + 4;
    } else if (s.size % page_size_ != 0) {
      return at(s.offset, "CPU {} data of {} bytes is not a whole number of {} byte pages", s.cpu, s.size, page_size_);
    }
    s.end = s.next + s.size;
    if (s.end > file_size || s.end < s.next) {
      return at(s.offset, "CPU {} data ({} bytes) runs past the end of the file (at byte {})", s.cpu, s.size,
                file_size);
    }
    if (auto st = load_page(s); !st) return st;
    if (auto st = advance(s); !st) return st;
  }
  return {};
}

std::string DatReader::where(const CpuStream& s, std::uint32_t page_offset) const {
  if (!s.compressed) return fmt::format("byte offset {}", s.buf_origin + page_offset);
  return fmt::format("byte offset {} (compressed chunk of CPU {}), decompressed byte {}", s.buf_origin, s.cpu,
                     s.cur_page + page_offset);
}

Status DatReader::load_page(CpuStream& s) {
  s.has_page = false;
  if (s.compressed) {
    if (s.page_at + page_size_ > s.buf.size()) {
      if (s.chunks_left == 0) return {};
      Cursor c(*in_, s.next, big_endian_);
      std::uint32_t csize = 0, usize = 0;
      if (auto st = c.integer(csize, "chunk compressed size"); !st) return st;
      if (auto st = c.integer(usize, "chunk size"); !st) return st;
      if (s.next + 8 + csize > s.end) return at(s.next, "CPU {} chunk of {} bytes runs past its data", s.cpu, csize);
      if (usize == 0 || usize > kMaxChunk || usize % page_size_ != 0) {
        return at(s.next + 4, "CPU {} chunk: implausible uncompressed size {}", s.cpu, usize);
      }
      if (buffered_ - s.buf.size() + usize > kMaxBufferedBytes) {
        return at(s.next + 4, "CPU {} chunk: the CPUs' decompressed chunks would need more than {} MiB at once",
                  s.cpu, kMaxBufferedBytes >> 20);
      }
      std::vector<std::uint8_t> comp(csize);
      if (auto st = c.bytes(comp.data(), comp.size(), "compressed chunk"); !st) return st;
      auto plain = zstd_decompress(comp, usize);
      if (!plain) return at(s.next, "CPU {} chunk: {}", s.cpu, plain.message());
      buffered_ = buffered_ - s.buf.size() + plain->size();
      s.buf = std::move(*plain);
      s.buf_origin = s.next;
      s.next += 8 + csize;
      s.page_at = 0;
      --s.chunks_left;
    }
    s.cur_page = s.page_at;
    s.page_at += page_size_;
  } else {
    if (s.next >= s.end) return {};
    if (s.buf.size() != page_size_) {
      if (buffered_ - s.buf.size() + page_size_ > kMaxBufferedBytes) {
        return at(s.next, "CPU {}: the CPUs' pages would need more than {} MiB at once", s.cpu, kMaxBufferedBytes >> 20);
      }
      buffered_ = buffered_ - s.buf.size() + page_size_;
      s.buf.resize(page_size_);
    }
    auto got = in_->read_at(s.next, std::span<char>(reinterpret_cast<char*>(s.buf.data()), page_size_));
    if (!got) return got.error();
    if (*got != page_size_) return at(s.next, "truncated page of CPU {}", s.cpu);
    s.buf_origin = s.next;
    s.cur_page = 0;
    s.next += page_size_;
  }
  const auto page = std::span<const std::uint8_t>(s.buf).subspan(s.cur_page, page_size_);
  if (const char* err = s.decoder->reset(page)) {
    return Error{fmt::format("{}: {}: CPU {}: {}", in_->name(), where(s, s.decoder->error_offset()), s.cpu, err)};
  }
  s.has_page = true;
  return {};
}

Status DatReader::advance(CpuStream& s) {
  s.has_event = false;
  while (s.has_page) {
    const int r = s.decoder->next(s.event);
    if (r > 0) {
      s.has_event = true;
      return {};
    }
    if (r < 0) {
      return Error{fmt::format("{}: {}: CPU {}: {}", in_->name(), where(s, s.decoder->error_offset()), s.cpu,
                               s.decoder->error())};
    }
    if (auto st = load_page(s); !st) return st;
  }
  return {};
}

Nanos DatReader::convert_ts(Nanos raw) const {
  Nanos ts = raw;
  if (tsc2nsec_) {
    ts = static_cast<Nanos>((static_cast<Uint128>(raw) * tsc_mult_) >> tsc_shift_);
  }
  return ts + static_cast<std::uint64_t>(ts_offset_);
}

Status DatReader::decode(CpuStream& s, Record& out, bool& produced) {
  produced = false;
  const RawEvent& ev = s.event;
  const Nanos ts = convert_ts(ev.ts);
  auto fail_at = [&](std::string_view what) {
    return Error{fmt::format("{}: {}: CPU {}: {}", in_->name(), where(s, ev.page_offset), s.cpu, what)};
  };
  if (ev.lost) {
    if (auto st = builder_.lost_events(ts, s.cpu, ev.lost_count, out); !st) return fail_at(st.message());
    produced = true;
    return {};
  }
  PayloadView v(ev.payload, big_endian_);
  auto type_id = v.unsigned_integer(common_type_);
  if (!type_id) return fail_at("event shorter than its common header");
  const EventDecoder* dec = nullptr;
  for (const auto& d : decoders_) {
    if (d.id == *type_id) dec = &d;
  }
  if (dec == nullptr) {
    ++skipped_;
    return {};
  }
  const std::string_view event = to_string(dec->type);
  auto missing = [&](const EventField& f) { return fail_at(fmt::format("{}: field '{}' lies outside the event", event, f.name)); };
  Status st;
  switch (dec->type) {
    case RecordType::irq_entry: {
      auto irq = v.integer(dec->a);
      auto name = v.string(dec->b);
      if (!irq) return missing(dec->a);
      if (!name) return missing(dec->b);
      st = builder_.irq_entry(ts, s.cpu, *irq, *name, out);
      break;
    }
    case RecordType::irq_exit: {
      auto irq = v.integer(dec->a);
      auto ret = v.integer(dec->b);
      if (!irq) return missing(dec->a);
      if (!ret) return missing(dec->b);
      st = builder_.irq_exit(ts, s.cpu, *irq, *ret != 0, out);
      break;
    }
    case RecordType::block_issue:
    case RecordType::block_complete:
    case RecordType::block_requeue: {
      auto dev = v.unsigned_integer(dec->a);
      auto sector = v.unsigned_integer(dec->b);
      auto nr = v.unsigned_integer(dec->c);
      auto rwbs = v.string(dec->d);
      if (!dev) return missing(dec->a);
      if (!sector) return missing(dec->b);
      if (!nr) return missing(dec->c);
      if (!rwbs) return missing(dec->d);
      BlockFlags flags;
      if (!parse_rwbs(*rwbs, flags)) return fail_at(fmt::format("{}: bad rwbs flags", event));
      std::uint32_t bytes = 0;
      std::int32_t error = 0;
      const bool issue = dec->type == RecordType::block_issue;
      if (issue && !dec->e.name.empty()) {
        auto b = v.unsigned_integer(dec->e);
        if (!b) return missing(dec->e);
        bytes = static_cast<std::uint32_t>(*b);
      } else {
        const std::uint64_t b = *nr * 512;
        if (b > std::numeric_limits<std::uint32_t>::max()) return fail_at(fmt::format("{}: request too large", event));
        bytes = static_cast<std::uint32_t>(b);
      }
      if (dec->type == RecordType::block_complete) {
        auto e = v.integer(dec->e);
        if (!e) return missing(dec->e);
        error = static_cast<std::int32_t>(*e);
      }
      // The kernel's internal dev_t: 12-bit major, 20-bit minor.
      st = builder_.block(dec->type, ts, s.cpu, static_cast<std::uint32_t>(*dev >> 20),
                          static_cast<std::uint32_t>(*dev & 0xFFFFF), *sector, static_cast<std::uint32_t>(*nr), bytes,
                          flags, error, out);
      break;
    }
    case RecordType::napi_poll: {
      auto dev = v.string(dec->a);
      auto work = v.integer(dec->b);
      auto budget = v.integer(dec->c);
      if (!dev) return missing(dec->a);
      if (!work) return missing(dec->b);
      if (!budget) return missing(dec->c);
      st = builder_.napi_poll(ts, s.cpu, *dev, static_cast<std::int32_t>(*work), static_cast<std::int32_t>(*budget), out);
      break;
    }
    case RecordType::lost_events:
      break;
  }
  if (!st) return fail_at(fmt::format("{}: {}", event, st.message()));
  produced = true;
  return {};
}

}  // namespace

Result<std::unique_ptr<TraceReader>> make_dat_reader(std::unique_ptr<Input> input) {
  if (!input->seekable()) {
    return make_error("{}: trace-cmd .dat files need random access; read them from a regular file", input->name());
  }
  auto r = std::make_unique<DatReader>(std::move(input));
  if (auto s = r->open(); !s) return s.error();
  return std::unique_ptr<TraceReader>(std::move(r));
}

}  // namespace irqshape::trace
