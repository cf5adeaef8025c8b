// Decoding the kernel's ftrace ring-buffer pages, as trace_pipe_raw hands them out and
// trace-cmd .dat files store them. A page is a header (timestamp, commit) followed by
// events, each with a 32-bit header: type_len (5 bits) and time_delta (27 bits).
//   type_len 1..28: a data event of type_len * 4 bytes
//   type_len 0:     a data event whose length is in the next 32-bit word
//   29: padding (delta 0: the rest of the page is empty), 30: time extend, 31: absolute time
// The commit word carries flags: bit 31 events were lost before this page, bit 30 the
// count is stored after the data. This decoder follows libtraceevent's kbuffer and
// checks every length against the page, so a corrupt page is an error, not a crash.
#pragma once

#include <cstdint>
#include <span>

#include "trace/event_format.h"
#include "trace/model.h"

namespace irqshape::trace {

struct RingBufferLayout {
  PageHeaderLayout header;
  bool big_endian = false;
  std::uint32_t page_size = 4096;
};

struct RawEvent {
  bool lost = false;  // a "events were lost here" marker rather than an event
  std::uint64_t lost_count = 0;  // 0 = the kernel did not say how many
  Nanos ts = 0;
  std::span<const std::uint8_t> payload;
  std::uint32_t page_offset = 0;  // of the event header within the page, for errors
};

class PageDecoder {
 public:
  explicit PageDecoder(const RingBufferLayout& layout) : layout_(layout) {}

  // Starts on a page of layout.page_size bytes. Returns nullptr, or what is wrong
  // with the page header (error_offset() says where).
  const char* reset(std::span<const std::uint8_t> page);
  // The next event of the page: 1 = event, 0 = end of page, -1 = error (see
  // error_offset()/error()).
  int next(RawEvent& out);

  [[nodiscard]] std::uint32_t error_offset() const { return error_offset_; }
  [[nodiscard]] const char* error() const { return error_; }

 private:
  std::uint32_t u32(std::uint32_t offset) const;
  std::uint64_t word(std::uint32_t offset, std::uint32_t size) const;
  int fail(std::uint32_t offset, const char* what) {
    error_offset_ = offset;
    error_ = what;
    return -1;
  }

  RingBufferLayout layout_;
  std::span<const std::uint8_t> page_;
  std::uint32_t pos_ = 0;  // within the page
  std::uint32_t end_ = 0;  // end of committed data within the page
  Nanos ts_ = 0;
  bool pending_lost_ = false;
  std::uint64_t lost_count_ = 0;
  std::uint32_t error_offset_ = 0;
  const char* error_ = "";
};

}  // namespace irqshape::trace
