// Splits an Input into lines with a fixed-size buffer: memory stays bounded whatever
// the input, and a line longer than the limit is an error, never an allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "trace/input.h"

namespace irqshape::trace {

class LineReader {
 public:
  static constexpr std::size_t kDefaultMaxLine = 64 * 1024;

  explicit LineReader(Input& in, std::size_t max_line = kDefaultMaxLine);

  // The next line, without its "\n" or "\r\n", valid until the next call.
  // Returns false at the end of the input. Errors name the input and line.
  Result<bool> next(std::string_view& line);

  // 1-based number of the line last returned.
  [[nodiscard]] std::uint64_t line_number() const { return line_no_; }
  // Whether the line last returned ended the input without a newline (a file cut off
  // in the middle of a line, or one whose last line was never terminated).
  [[nodiscard]] bool last_line_unterminated() const { return unterminated_; }

 private:
  Result<bool> fill();

  Input& in_;
  std::size_t max_line_;
  std::size_t capacity_;  // the buffer never grows beyond this: > 2 * max_line_
  std::vector<char> buf_;
  bool last_read_filled_ = false;
  std::size_t begin_ = 0;  // start of unconsumed bytes
  std::size_t end_ = 0;    // end of valid bytes
  std::size_t scanned_ = 0;  // bytes after begin_ already known to hold no '\n'
  std::uint64_t line_no_ = 0;
  bool eof_ = false;
  bool unterminated_ = false;
};

}  // namespace irqshape::trace
