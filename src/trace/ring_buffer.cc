#include "trace/ring_buffer.h"

namespace irqshape::trace {

namespace {

constexpr std::uint32_t kTypePadding = 29;
constexpr std::uint32_t kTypeTimeExtend = 30;
constexpr std::uint32_t kTypeTimeStamp = 31;
constexpr std::uint32_t kTsShift = 27;
constexpr std::uint64_t kMissedEvents = 1ull << 31;
constexpr std::uint64_t kMissedStored = 1ull << 30;
constexpr std::uint64_t kCommitMask = (1ull << 27) - 1;

}  // namespace

std::uint64_t PageDecoder::word(std::uint32_t offset, std::uint32_t size) const {
  std::uint64_t v = 0;
  for (std::uint32_t i = 0; i < size; ++i) {
    const std::uint32_t shift = layout_.big_endian ? 8 * (size - 1 - i) : 8 * i;
    v |= std::uint64_t{page_[offset + i]} << shift;
  }
  return v;
}

std::uint32_t PageDecoder::u32(std::uint32_t offset) const { return static_cast<std::uint32_t>(word(offset, 4)); }

const char* PageDecoder::reset(std::span<const std::uint8_t> page) {
  page_ = page;
  const auto& h = layout_.header;
  if (page.size() < h.data_offset || h.timestamp_offset + 8 > page.size() ||
      h.commit_offset + h.commit_size > page.size()) {
    error_offset_ = 0;
    return "page smaller than its header";
  }
  ts_ = word(h.timestamp_offset, 8);
  const std::uint64_t commit = word(h.commit_offset, h.commit_size);
  const std::uint64_t size = commit & kCommitMask;
  if (size > page.size() - h.data_offset) {
    error_offset_ = h.commit_offset;
    return "page commit size runs past the end of the page";
  }
  pos_ = h.data_offset;
  end_ = static_cast<std::uint32_t>(h.data_offset + size);
  pending_lost_ = (commit & kMissedEvents) != 0;
  lost_count_ = 0;
  if (pending_lost_ && (commit & kMissedStored) != 0) {
    const std::uint32_t long_size = h.commit_size;
    if (std::uint64_t{end_} + long_size <= page.size()) lost_count_ = word(end_, long_size);
  }
  return nullptr;
}

int PageDecoder::next(RawEvent& out) {
  if (pending_lost_) {
    pending_lost_ = false;
    out = RawEvent{};
    out.lost = true;
    out.lost_count = lost_count_;
    out.ts = ts_;
    return 1;
  }
  while (pos_ < end_) {
    const std::uint32_t at = pos_;
    if (end_ - pos_ < 4) return fail(at, "truncated event header");
    const std::uint32_t h = u32(pos_);
    const std::uint32_t type_len = layout_.big_endian ? h >> 27 : h & 0x1F;
    const std::uint32_t delta = layout_.big_endian ? h & ((1u << 27) - 1) : h >> 5;
    pos_ += 4;
    switch (type_len) {
      case kTypePadding: {
        if (delta == 0) {  // the rest of the page is empty
          pos_ = end_;
          return 0;
        }
        if (end_ - pos_ < 4) return fail(at, "truncated padding event");
        const std::uint32_t len = u32(pos_);
        if (len > end_ - pos_) return fail(at, "padding runs past the end of the page");
        ts_ += delta;
        pos_ += len;
        continue;
      }
      case kTypeTimeExtend:
      case kTypeTimeStamp: {
        if (end_ - pos_ < 4) return fail(at, "truncated time extend");
        const std::uint64_t ext = (std::uint64_t{u32(pos_)} << kTsShift) + delta;
        pos_ += 4;
        ts_ = type_len == kTypeTimeStamp ? ext : ts_ + ext;
        continue;
      }
      case 0: {
        if (end_ - pos_ < 4) return fail(at, "truncated event length");
        const std::uint32_t len = u32(pos_);
        if (len < 4) return fail(at, "event length smaller than its length word");
        const std::uint64_t payload = (std::uint64_t{len} - 4 + 3) & ~std::uint64_t{3};
        pos_ += 4;
        if (payload > end_ - pos_) return fail(at, "event runs past the end of the page");
        ts_ += delta;
        out = RawEvent{};
        out.ts = ts_;
        out.payload = page_.subspan(pos_, static_cast<std::size_t>(payload));
        out.page_offset = at;
        pos_ += static_cast<std::uint32_t>(payload);
        return 1;
      }
      default: {
        const std::uint32_t payload = type_len * 4;
        if (payload > end_ - pos_) return fail(at, "event runs past the end of the page");
        ts_ += delta;
        out = RawEvent{};
        out.ts = ts_;
        out.payload = page_.subspan(pos_, payload);
        out.page_offset = at;
        pos_ += payload;
        return 1;
      }
    }
  }
  return 0;
}

}  // namespace irqshape::trace
