#include <algorithm>
#include <cstring>

#include "trace/crc32c.h"
#include "trace/native.h"
#include "trace/native_format.h"
#include "trace/varint.h"

namespace irqshape::trace {

namespace {

std::uint16_t get_u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t get_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
std::uint64_t get_u64(const std::uint8_t* p) { return get_u32(p) | (std::uint64_t{get_u32(p + 4)} << 32); }

class NativeReader final : public TraceReader {
 public:
  explicit NativeReader(std::unique_ptr<Input> input) : input_(std::move(input)) {
    meta_.format = Format::native;
  }

  // Reads the header, the metadata and the first data block.
  Status open() {
    if (auto s = read_header(); !s) return s;
    return load_block();
  }

  Result<bool> next(Record& out) override {
    if (!status_) return status_.error();
    for (;;) {
      if (p_ < end_) {
        if (auto s = decode_entry(out); !s) return fail(s.error());
        if (produced_) return true;
        continue;
      }
      if (done_) return false;
      if (auto s = finish_block(); !s) return fail(s.error());
      if (auto s = load_block(); !s) return fail(s.error());
    }
  }

  [[nodiscard]] const Catalog& catalog() const override { return catalog_; }
  [[nodiscard]] const TraceMeta& meta() const override { return meta_; }
  [[nodiscard]] std::uint64_t skipped_events() const override { return 0; }

 private:
  Error fail(Error e) {
    status_ = e;
    return e;
  }
  template <typename... Args>
  Error at(std::uint64_t offset, fmt::format_string<Args...> f, Args&&... args) {
    return Error{fmt::format("{}: byte offset {}: {}", input_->name(), offset,
                             fmt::format(f, std::forward<Args>(args)...))};
  }
  std::uint64_t offset_of(const std::uint8_t* p) const {
    return payload_offset_ + static_cast<std::uint64_t>(p - payload_.data());
  }

  Status read_header();
  Status load_block();
  Status finish_block();
  Status read_meta();
  Status check_end();
  Status decode_entry(Record& out);
  Status decode_definition(std::uint8_t kind, const std::uint8_t* start);

  std::unique_ptr<Input> input_;
  TraceMeta meta_;
  Catalog catalog_;
  std::vector<std::uint8_t> payload_;
  std::uint64_t offset_ = 0;          // of the next unread byte of the input
  std::uint64_t payload_offset_ = 0;  // of payload_[0]
  std::uint64_t block_offset_ = 0;    // of the current block's header
  const std::uint8_t* p_ = nullptr;
  const std::uint8_t* end_ = nullptr;
  std::uint32_t block_entries_ = 0;   // what the block header promised
  std::uint32_t entries_seen_ = 0;
  std::uint64_t records_ = 0;
  Nanos prev_ts_ = 0;
  bool seen_data_ = false;
  bool seen_meta_ = false;
  bool produced_ = false;
  bool done_ = false;
  Status status_;
};

Status NativeReader::read_header() {
  std::uint8_t h[native::kHeaderSize];
  auto n = read_fully(*input_, std::span<char>(reinterpret_cast<char*>(h), sizeof h));
  if (!n) return n.error();
  if (*n < sizeof h || std::memcmp(h, native::kMagic.data(), 8) != 0) {
    if (*n >= 8 && std::memcmp(h, native::kMagic.data(), 8) == 0) return at(*n, "truncated file header");
    return at(0, "not an irqshape native trace (bad magic)");
  }
  if (get_u32(h + 12) != crc32c(0, h, 12)) return at(12, "file header checksum mismatch");
  const auto major = get_u16(h + 8);
  const auto minor = get_u16(h + 10);
  if (major != native::kVersionMajor) {
    return at(8, "unsupported format version {}.{} (this build reads {}.x)", major, minor,
              native::kVersionMajor);
  }
  offset_ = sizeof h;
  return {};
}

// Reads the next block; DATA blocks become the decode window [p_, end_).
Status NativeReader::load_block() {
  for (;;) {
    block_offset_ = offset_;
    std::uint8_t bh[native::kBlockHeaderSize];
    auto n = read_fully(*input_, std::span<char>(reinterpret_cast<char*>(bh), sizeof bh));
    if (!n) return n.error();
    if (*n == 0) return at(offset_, "truncated: the end block is missing");
    if (*n < sizeof bh) return at(offset_, "truncated block header ({} of {} bytes)", *n, sizeof bh);
    const std::uint32_t type = get_u32(bh);
    const std::uint32_t len = get_u32(bh + 4);
    block_entries_ = get_u32(bh + 8);
    if (len > native::kMaxPayload) {
      return at(offset_ + 4, "block payload of {} bytes exceeds the {} byte limit", len, native::kMaxPayload);
    }
    payload_.resize(len);
    payload_offset_ = offset_ + sizeof bh;
    auto got = read_fully(*input_, std::span<char>(reinterpret_cast<char*>(payload_.data()), len));
    if (!got) return got.error();
    if (*got < len) return at(payload_offset_ + *got, "truncated block: {} of {} payload bytes", *got, len);
    offset_ = payload_offset_ + len;
    if (get_u32(bh + 12) != crc32c(crc32c(0, bh, 12), payload_.data(), len)) {
      return at(block_offset_, "block checksum mismatch (corrupt data)");
    }
    switch (type) {
      case native::kMetaBlock:
        if (auto s = read_meta(); !s) return s;
        continue;
      case native::kDataBlock:
        seen_data_ = true;
        p_ = payload_.data();
        end_ = p_ + len;
        entries_seen_ = 0;
        prev_ts_ = 0;
        if (len == 0 && block_entries_ != 0) return at(block_offset_ + 8, "empty block claims {} entries", block_entries_);
        if (len == 0) continue;
        return {};
      case native::kEndBlock:
        return check_end();
      default:
        if (type & native::kOptionalBlock) continue;
        return at(block_offset_, "unknown block type {:#x}", type);
    }
  }
}

Status NativeReader::finish_block() {
  if (end_ != nullptr && entries_seen_ != block_entries_) {
    return at(block_offset_ + 8, "block holds {} entries but its header says {}", entries_seen_, block_entries_);
  }
  end_ = p_ = nullptr;
  return {};
}

Status NativeReader::read_meta() {
  if (seen_data_) return at(block_offset_, "metadata block after data");
  if (seen_meta_) return at(block_offset_, "a second metadata block (the format allows one)");
  seen_meta_ = true;
  if (payload_.size() > native::kMaxMetaPayload) return at(block_offset_ + 4, "metadata block larger than 64 KiB");
  std::string_view text(reinterpret_cast<const char*>(payload_.data()), payload_.size());
  meta_.properties.clear();
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return at(payload_offset_ + pos, "metadata line without a newline");
    auto line = text.substr(pos, nl - pos);
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) return at(payload_offset_ + pos, "metadata line without 'key='");
    auto key = std::string(line.substr(0, eq));
    const bool key_ok = key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
    });
    if (!key_ok) return at(payload_offset_ + pos, "metadata key '{}' is not [a-z0-9_.-]{{1,64}}", key);
    auto value = std::string(line.substr(eq + 1));
    if (key == "clock") {
      meta_.clock = value;
    } else {
      meta_.properties.emplace_back(std::move(key), std::move(value));
    }
    pos = nl + 1;
  }
  return {};
}

Status NativeReader::check_end() {
  if (payload_.size() != native::kEndPayloadSize) {
    return at(block_offset_ + 4, "end block of {} bytes (expected {})", payload_.size(), native::kEndPayloadSize);
  }
  const auto records = get_u64(payload_.data());
  const auto sources = get_u32(payload_.data() + 8);
  const auto devices = get_u32(payload_.data() + 12);
  if (records != records_ || sources != catalog_.sources.size() || devices != catalog_.devices.size()) {
    return at(block_offset_, "end block says {} records, {} sources, {} devices but the file holds {}, {}, {} "
              "(blocks missing?)", records, sources, devices, records_, catalog_.sources.size(),
              catalog_.devices.size());
  }
  char extra;
  auto n = input_->read(std::span<char>(&extra, 1));
  if (!n) return n.error();
  if (*n != 0) return at(offset_, "data after the end block");
  done_ = true;
  end_ = p_ = nullptr;
  return {};
}

Status NativeReader::decode_definition(std::uint8_t kind, const std::uint8_t* start) {
  std::uint64_t id = 0, len = 0;
  if (!get_varint(p_, end_, id)) return at(offset_of(start), "truncated definition");
  if (kind == native::kDefineSource) {
    std::uint64_t irq = 0;
    if (!get_varint(p_, end_, irq) || p_ >= end_) return at(offset_of(start), "truncated source definition");
    const std::uint8_t k = *p_++;
    if (!get_varint(p_, end_, len)) return at(offset_of(start), "truncated source definition");
    if (id != catalog_.sources.size()) return at(offset_of(start), "source defined as {} but {} is next", id, catalog_.sources.size());
    if (catalog_.sources.size() >= kMaxSources) return at(offset_of(start), "more than {} sources", kMaxSources);
    const std::int64_t irq_value = unzigzag(irq);
    if (irq_value < -1 || irq_value > INT32_MAX) return at(offset_of(start), "irq {} out of range", irq_value);
    if (k > static_cast<std::uint8_t>(kLastSourceKind)) return at(offset_of(start), "unknown source kind {}", k);
    if (len > kMaxNameLength || len > static_cast<std::uint64_t>(end_ - p_)) {
      return at(offset_of(start), "bad source name length {}", len);
    }
    const std::string_view name(reinterpret_cast<const char*>(p_), len);
    if (const char c = control_character_in(name)) {
      return at(offset_of(start), "source name has a control character (0x{:02x})", static_cast<unsigned char>(c));
    }
    catalog_.sources.push_back(Source{static_cast<std::int32_t>(irq_value),
                                      std::string(reinterpret_cast<const char*>(p_), len),
                                      static_cast<SourceKind>(k)});
  } else {
    std::uint64_t major = 0, minor = 0;
    if (p_ >= end_) return at(offset_of(start), "truncated device definition");
    const std::uint8_t k = *p_++;
    if (!get_varint(p_, end_, major) || !get_varint(p_, end_, minor) || !get_varint(p_, end_, len)) {
      return at(offset_of(start), "truncated device definition");
    }
    if (id != catalog_.devices.size()) return at(offset_of(start), "device defined as {} but {} is next", id, catalog_.devices.size());
    if (catalog_.devices.size() >= kMaxDevices) return at(offset_of(start), "more than {} devices", kMaxDevices);
    if (k > static_cast<std::uint8_t>(kLastDeviceKind)) return at(offset_of(start), "unknown device kind {}", k);
    if (major > UINT32_MAX || minor > UINT32_MAX) return at(offset_of(start), "device number out of range");
    if (len > kMaxNameLength || len > static_cast<std::uint64_t>(end_ - p_)) {
      return at(offset_of(start), "bad device name length {}", len);
    }
    if (const char c = control_character_in(std::string_view(reinterpret_cast<const char*>(p_), len))) {
      return at(offset_of(start), "device name has a control character (0x{:02x})", static_cast<unsigned char>(c));
    }
    catalog_.devices.push_back(Device{static_cast<DeviceKind>(k), static_cast<std::uint32_t>(major),
                                      static_cast<std::uint32_t>(minor),
                                      std::string(reinterpret_cast<const char*>(p_), len)});
  }
  p_ += len;
  return {};
}

Status NativeReader::decode_entry(Record& out) {
  const std::uint8_t* start = p_;
  const std::uint8_t tag = *p_++;
  const std::uint8_t kind = tag & native::kTagKindMask;
  const std::uint8_t flags = tag & ~native::kTagKindMask;
  ++entries_seen_;
  produced_ = false;
  if (kind == native::kDefineSource || kind == native::kDefineDevice) {
    if (flags != 0) return at(offset_of(start), "reserved tag bits set");
    return decode_definition(kind, start);
  }
  if (kind > static_cast<std::uint8_t>(kLastRecordType)) return at(offset_of(start), "unknown entry tag {:#04x}", tag);
  const auto type = static_cast<RecordType>(kind);
  const bool block = type == RecordType::block_issue || type == RecordType::block_complete ||
                     type == RecordType::block_requeue;
  const bool sector_bytes = block && flags == native::kTagSectorBytes;
  if (flags != 0 && !(type == RecordType::irq_exit && flags == native::kTagHandled) && !sector_bytes) {
    return at(offset_of(start), "reserved tag bits set");
  }
  std::uint64_t dts = 0, cpu = 0, id = 0;
  if (!get_varint(p_, end_, dts) || !get_varint(p_, end_, cpu)) return at(offset_of(start), "truncated record");
  if (cpu >= kMaxCpus) return at(offset_of(start), "cpu {} out of range", cpu);
  out = Record{};
  out.type = type;
  const std::int64_t delta = unzigzag(dts);
  if (delta < 0 && static_cast<std::uint64_t>(-(delta + 1)) >= prev_ts_) {
    return at(offset_of(start), "time before 0 (a step of {} ns back from {} ns)", delta, prev_ts_);
  }
  out.ts = prev_ts_ + static_cast<std::uint64_t>(delta);
  out.cpu = static_cast<std::uint16_t>(cpu);
  if (type != RecordType::lost_events) {
    if (!get_varint(p_, end_, id)) return at(offset_of(start), "truncated record");
    const bool irq = type == RecordType::irq_entry || type == RecordType::irq_exit;
    const std::size_t limit = irq ? catalog_.sources.size() : catalog_.devices.size();
    if (id >= limit) return at(offset_of(start), "{} refers to undefined {} {}", to_string(type), irq ? "source" : "device", id);
    if (!irq && (catalog_.devices[id].kind == DeviceKind::net) != (type == RecordType::napi_poll)) {
      return at(offset_of(start), "{} refers to a {} device", to_string(type), to_string(catalog_.devices[id].kind));
    }
    out.id = static_cast<std::uint32_t>(id);
  }
  std::uint64_t a = 0, b = 0, c = 0, d = 0, e = 0;
  switch (type) {
    case RecordType::irq_entry:
      break;
    case RecordType::irq_exit:
      out.handled = (flags & native::kTagHandled) != 0;
      break;
    case RecordType::block_issue:
    case RecordType::block_complete:
    case RecordType::block_requeue:
      if (!get_varint(p_, end_, a) || !get_varint(p_, end_, b) || (!sector_bytes && !get_varint(p_, end_, c)) ||
          !get_varint(p_, end_, d)) {
        return at(offset_of(start), "truncated block record");
      }
      if (sector_bytes) c = b * 512;
      if (b > UINT32_MAX || c > UINT32_MAX) return at(offset_of(start), "request size out of range");
      if (d & ~std::uint64_t{BlockFlags::kAllBits}) return at(offset_of(start), "unknown block flags {:#x}", d);
      out.sector = a;
      out.nr_sectors = static_cast<std::uint32_t>(b);
      out.bytes = static_cast<std::uint32_t>(c);
      out.flags = BlockFlags(static_cast<std::uint16_t>(d));
      if (type == RecordType::block_complete) {
        if (!get_varint(p_, end_, e)) return at(offset_of(start), "truncated block record");
        const std::int64_t err = unzigzag(e);
        if (err < INT32_MIN || err > INT32_MAX) return at(offset_of(start), "error code out of range");
        out.error = static_cast<std::int32_t>(err);
      }
      break;
    case RecordType::napi_poll: {
      if (!get_varint(p_, end_, a) || !get_varint(p_, end_, b)) return at(offset_of(start), "truncated napi record");
      const std::int64_t work = unzigzag(a), budget = unzigzag(b);
      if (work < INT32_MIN || work > INT32_MAX || budget < INT32_MIN || budget > INT32_MAX) {
        return at(offset_of(start), "napi work or budget out of range");
      }
      out.work = static_cast<std::int32_t>(work);
      out.budget = static_cast<std::int32_t>(budget);
      break;
    }
    case RecordType::lost_events:
      if (!get_varint(p_, end_, a)) return at(offset_of(start), "truncated record");
      out.lost = a;
      break;
  }
  prev_ts_ = out.ts;
  ++records_;
  produced_ = true;
  return {};
}

}  // namespace

Result<std::unique_ptr<TraceReader>> make_native_reader(std::unique_ptr<Input> input) {
  auto r = std::make_unique<NativeReader>(std::move(input));
  if (auto s = r->open(); !s) return s.error();
  return std::unique_ptr<TraceReader>(std::move(r));
}

}  // namespace irqshape::trace
