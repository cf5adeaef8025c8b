// Parsing the kernel's tracepoint "format" descriptions (events/<sys>/<event>/format,
// events/header_page) as trace-cmd .dat files carry them, and reading fields out of
// binary event payloads with them. Only what the model needs: field offsets, sizes,
// signedness and dynamic (__data_loc / __rel_loc) strings.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace irqshape::trace {

struct EventField {
  std::string name;
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
  bool is_signed = false;
  bool data_loc = false;  // __data_loc: u32 (length << 16 | offset from payload start)
  bool rel_loc = false;   // __rel_loc: u32 (length << 16 | offset from the end of the field)
};

struct EventFormat {
  std::string name;
  std::uint32_t id = 0;
  std::vector<EventField> fields;

  [[nodiscard]] const EventField* field(std::string_view name) const;
};

// Parses one format file. Errors say which line is wrong (relative to the text).
Result<EventFormat> parse_event_format(std::string_view text);

// Reads only "name:" and "ID:" (to skip events the model does not use cheaply).
Result<std::pair<std::string, std::uint32_t>> peek_event_name_id(std::string_view text);

// The ring-buffer page header layout from events/header_page.
struct PageHeaderLayout {
  std::uint32_t timestamp_offset = 0;
  std::uint32_t commit_offset = 8;
  std::uint32_t commit_size = 8;
  std::uint32_t data_offset = 16;
};
Result<PageHeaderLayout> parse_header_page(std::string_view text);

// Field access on one event payload, bounds checked; `big_endian` per the file.
class PayloadView {
 public:
  PayloadView(std::span<const std::uint8_t> bytes, bool big_endian) : b_(bytes), big_endian_(big_endian) {}

  // Integer field (1, 2, 4 or 8 bytes), sign-extended if the field is signed.
  [[nodiscard]] std::optional<std::int64_t> integer(const EventField& f) const;
  [[nodiscard]] std::optional<std::uint64_t> unsigned_integer(const EventField& f) const;
  // Dynamic string (__data_loc / __rel_loc) or fixed char array, up to its first NUL.
  [[nodiscard]] std::optional<std::string_view> string(const EventField& f) const;

 private:
  [[nodiscard]] std::optional<std::uint64_t> raw(std::uint32_t offset, std::uint32_t size) const;

  std::span<const std::uint8_t> b_;
  bool big_endian_;
};

}  // namespace irqshape::trace
