#include <cerrno>
#include <cstring>

#include "trace/crc32c.h"
#include "trace/native.h"
#include "trace/native_format.h"
#include "trace/varint.h"

namespace irqshape::trace {

namespace {

void put_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

bool valid_meta_key(std::string_view k) {
  if (k.empty() || k.size() > 64) return false;
  for (char c : k) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

}  // namespace

NativeWriter::NativeWriter(std::string path, std::unique_ptr<OutputFile> file, std::vector<std::uint8_t>* memory)
    : path_(std::move(path)), file_(std::move(file)), memory_(memory) {
  payload_.reserve(native::kTargetPayload + 1024);
}

NativeWriter::~NativeWriter() = default;  // an unfinished file_ abandons its temporary file

Result<std::unique_ptr<NativeWriter>> NativeWriter::create(const std::string& path) {
  auto out = OutputFile::open(path);
  if (!out) return out.error();
  std::setvbuf((*out)->file(), nullptr, _IOFBF, 1 << 20);
  return std::unique_ptr<NativeWriter>(new NativeWriter(path, std::move(*out), nullptr));
}

std::unique_ptr<NativeWriter> NativeWriter::to_memory(std::vector<std::uint8_t>& out) {
  out.clear();
  return std::unique_ptr<NativeWriter>(new NativeWriter("<memory>", nullptr, &out));
}

Status NativeWriter::fail(Error e) {
  if (status_) status_ = std::move(e);
  return status_;
}

Status NativeWriter::emit(const void* data, std::size_t size) {
  if (memory_ != nullptr) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    memory_->insert(memory_->end(), p, p + size);
    return {};
  }
  if (std::fwrite(data, 1, size, file_->file()) != size) {
    return fail(make_error("{}: write failed: {}", path_, std::strerror(errno)));
  }
  return {};
}

Status NativeWriter::flush_block(std::uint32_t type) {
  if (!started_) {
    std::uint8_t h[native::kHeaderSize];
    std::memcpy(h, native::kMagic.data(), 8);
    put_u16(h + 8, native::kVersionMajor);
    put_u16(h + 10, native::kVersionMinor);
    put_u32(h + 12, crc32c(0, h, 12));
    if (auto s = emit(h, sizeof h); !s) return s;
    started_ = true;
  }
  std::uint8_t bh[native::kBlockHeaderSize];
  put_u32(bh, type);
  put_u32(bh + 4, static_cast<std::uint32_t>(payload_.size()));
  put_u32(bh + 8, entries_);
  put_u32(bh + 12, crc32c(crc32c(0, bh, 12), payload_.data(), payload_.size()));
  if (auto s = emit(bh, sizeof bh); !s) return s;
  if (auto s = emit(payload_.data(), payload_.size()); !s) return s;
  payload_.clear();
  entries_ = 0;
  prev_ts_ = 0;
  return {};
}

Status NativeWriter::write_meta(const TraceMeta& meta) {
  if (!status_) return status_;
  if (started_ || entries_ != 0) return make_error("{}: metadata must come first", path_);
  std::string text;
  auto add = [&](std::string_view k, std::string_view v) -> Status {
    if (!valid_meta_key(k)) return make_error("{}: bad metadata key '{}'", path_, k);
    if (v.find('\n') != std::string_view::npos) return make_error("{}: metadata value of '{}' holds a newline", path_, k);
    text.append(k).append("=").append(v).append("\n");
    return {};
  };
  if (!meta.clock.empty()) {
    if (auto s = add("clock", meta.clock); !s) return s;
  }
  for (const auto& [k, v] : meta.properties) {
    if (k == "clock") continue;
    if (auto s = add(k, v); !s) return s;
  }
  if (text.size() > native::kMaxMetaPayload) return make_error("{}: metadata larger than 64 KiB", path_);
  payload_.assign(text.begin(), text.end());
  entries_ = 0;
  return flush_block(native::kMetaBlock);
}

Status NativeWriter::define_source(const Source& s) {
  if (!status_) return status_;
  if (s.name.size() > kMaxNameLength) return make_error("{}: source name too long", path_);
  if (sources_ >= kMaxSources) return make_error("{}: too many sources", path_);
  payload_.push_back(native::kDefineSource);
  put_varint(payload_, sources_++);
  put_varint(payload_, zigzag(s.irq));
  payload_.push_back(static_cast<std::uint8_t>(s.kind));
  put_varint(payload_, s.name.size());
  payload_.insert(payload_.end(), s.name.begin(), s.name.end());
  ++entries_;
  return {};
}

Status NativeWriter::define_device(const Device& d) {
  if (!status_) return status_;
  if (d.name.size() > kMaxNameLength) return make_error("{}: device name too long", path_);
  if (devices_ >= kMaxDevices) return make_error("{}: too many devices", path_);
  payload_.push_back(native::kDefineDevice);
  put_varint(payload_, devices_++);
  payload_.push_back(static_cast<std::uint8_t>(d.kind));
  put_varint(payload_, d.major);
  put_varint(payload_, d.minor);
  put_varint(payload_, d.name.size());
  payload_.insert(payload_.end(), d.name.begin(), d.name.end());
  ++entries_;
  return {};
}

Status NativeWriter::write(const Record& r) {
  if (!status_) return status_;
  const bool irq = r.type == RecordType::irq_entry || r.type == RecordType::irq_exit;
  if (r.type != RecordType::lost_events && r.id >= (irq ? sources_ : devices_)) {
    return make_error("{}: record refers to undefined {} {}", path_, irq ? "source" : "device", r.id);
  }
  const bool block = r.type == RecordType::block_issue || r.type == RecordType::block_complete ||
                     r.type == RecordType::block_requeue;
  const bool sector_bytes = block && std::uint64_t{r.nr_sectors} * 512 == r.bytes;
  std::uint8_t tag = static_cast<std::uint8_t>(r.type);
  if (r.type == RecordType::irq_exit && r.handled) tag |= native::kTagHandled;
  if (sector_bytes) tag |= native::kTagSectorBytes;
  payload_.push_back(tag);
  put_varint(payload_, zigzag(static_cast<std::int64_t>(r.ts - prev_ts_)));
  prev_ts_ = r.ts;
  put_varint(payload_, r.cpu);
  switch (r.type) {
    case RecordType::irq_entry:
    case RecordType::irq_exit:
      put_varint(payload_, r.id);
      break;
    case RecordType::block_issue:
    case RecordType::block_complete:
    case RecordType::block_requeue:
      put_varint(payload_, r.id);
      put_varint(payload_, r.sector);
      put_varint(payload_, r.nr_sectors);
      if (!sector_bytes) put_varint(payload_, r.bytes);
      put_varint(payload_, r.flags.bits());
      if (r.type == RecordType::block_complete) put_varint(payload_, zigzag(r.error));
      break;
    case RecordType::napi_poll:
      put_varint(payload_, r.id);
      put_varint(payload_, zigzag(r.work));
      put_varint(payload_, zigzag(r.budget));
      break;
    case RecordType::lost_events:
      put_varint(payload_, r.lost);
      break;
  }
  ++entries_;
  ++records_;
  if (payload_.size() >= native::kTargetPayload) return flush_block(native::kDataBlock);
  return {};
}

Status NativeWriter::finish() {
  if (!status_) return status_;
  if (finished_) return {};
  if (entries_ > 0) {
    if (auto s = flush_block(native::kDataBlock); !s) return s;
  }
  payload_.assign(native::kEndPayloadSize, 0);
  put_u64(payload_.data(), records_);
  put_u32(payload_.data() + 8, sources_);
  put_u32(payload_.data() + 12, devices_);
  entries_ = 0;
  if (auto s = flush_block(native::kEndBlock); !s) return s;
  finished_ = true;
  if (file_ != nullptr) {
    auto committed = file_->commit();
    file_.reset();
    if (!committed) return fail(committed.error());
  }
  return {};
}

Result<CopyResult> copy_to_native(TraceReader& reader, NativeWriter& writer, const CopyOptions& options) {
  TraceMeta meta = reader.meta();
  if (meta.format != Format::native) meta.properties.emplace_back("source_format", std::string(to_string(meta.format)));
  for (const auto& p : options.properties) meta.properties.push_back(p);
  if (auto s = writer.write_meta(meta); !s) return s.error();
  std::size_t sources = 0;
  std::size_t devices = 0;
  Record r;
  for (;;) {
    auto more = reader.next(r);
    if (!more) return more.error();
    if (!*more) break;
    // Define whatever the reader has named since the last record, in id order.
    const Catalog& cat = reader.catalog();
    for (; sources < cat.sources.size(); ++sources) {
      Source s = cat.sources[sources];
      if (options.kind) s.kind = options.kind(s);
      if (auto st = writer.define_source(s); !st) return st.error();
    }
    for (; devices < cat.devices.size(); ++devices) {
      if (auto st = writer.define_device(cat.devices[devices]); !st) return st.error();
    }
    if (auto st = writer.write(r); !st) return st.error();
  }
  if (auto s = writer.finish(); !s) return s.error();
  return CopyResult{writer.records_written(), reader.skipped_events()};
}

Result<CopyResult> convert_to_native(const std::string& in, const std::string& out, const CopyOptions& options) {
  auto reader = open_trace(in);
  if (!reader) return reader.error();
  auto writer = NativeWriter::create(out);
  if (!writer) return writer.error();
  return copy_to_native(**reader, **writer, options);
}

}  // namespace irqshape::trace
