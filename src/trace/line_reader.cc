#include "trace/line_reader.h"

#include <algorithm>
#include <cstring>

namespace irqshape::trace {

LineReader::LineReader(Input& in, std::size_t max_line)
    : in_(in), max_line_(max_line), capacity_(std::max<std::size_t>(256 * 1024, 2 * max_line + 2)),
      buf_(std::min<std::size_t>(16 * 1024, capacity_)) {}

// Moves the unconsumed tail to the front and reads more after it. The buffer starts
// small (small inputs, fuzzing) and doubles, up to its capacity, whenever a read fills it.
Result<bool> LineReader::fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if ((end_ == buf_.size() || last_read_filled_) && buf_.size() < capacity_) {
    buf_.resize(std::min(capacity_, buf_.size() * 2));
  }
  const std::size_t want = buf_.size() - end_;
  auto n = in_.read(std::span<char>(buf_.data() + end_, want));
  if (!n) return n.error();
  if (*n == 0) eof_ = true;
  last_read_filled_ = *n == want;
  end_ += *n;
  return *n > 0;
}

Result<bool> LineReader::next(std::string_view& line) {
  for (;;) {
    const char* start = buf_.data() + begin_;
    const std::size_t avail = end_ - begin_;
    const void* nl = std::memchr(start + scanned_, '\n', avail - scanned_);
    std::size_t len = 0;
    std::size_t consumed = 0;
    if (nl != nullptr) {
      len = static_cast<std::size_t>(static_cast<const char*>(nl) - start);
      consumed = len + 1;
    } else if (avail > max_line_) {
      return make_error("{}: line {}: line longer than {} bytes", in_.name(), line_no_ + 1, max_line_);
    } else if (!eof_) {
      scanned_ = avail;
      auto more = fill();
      if (!more) return more.error();
      continue;
    } else if (avail == 0) {
      return false;
    } else {
      len = avail;  // last line without a final newline
      consumed = avail;
      unterminated_ = true;
    }
    if (len > max_line_) {
      return make_error("{}: line {}: line longer than {} bytes", in_.name(), line_no_ + 1, max_line_);
    }
    ++line_no_;
    begin_ += consumed;
    scanned_ = 0;
    if (len > 0 && start[len - 1] == '\r') --len;
    if (std::memchr(start, '\0', len) != nullptr) {
      return make_error("{}: line {}: NUL byte in text (is this a binary file?)", in_.name(), line_no_);
    }
    line = std::string_view(start, len);
    return true;
  }
}

}  // namespace irqshape::trace
