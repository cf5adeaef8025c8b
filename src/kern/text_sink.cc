#include "kern/text_sink.h"

namespace irqshape::kern {

void BufferSink::write(const char* text, std::size_t length) {
  if (buffer_.empty()) {
    truncated_ = truncated_ || length > 0;
    return;
  }
  const std::size_t room = buffer_.size() - 1 - used_;
  const std::size_t n = length < room ? length : room;
  for (std::size_t i = 0; i < n; ++i) buffer_[used_ + i] = text[i];
  used_ += n;
  buffer_[used_] = '\0';
  if (n < length) truncated_ = true;
}

TextWriter& TextWriter::str(const char* s) {
  std::size_t n = 0;
  while (s[n] != '\0') ++n;
  sink_.write(s, n);
  return *this;
}

TextWriter& TextWriter::dec(std::uint64_t v) {
  char digits[20];
  unsigned n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  char out[20];
  for (unsigned i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  sink_.write(out, n);
  return *this;
}

TextWriter& TextWriter::hex(std::uint64_t v, unsigned min_digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (min_digits > 16) min_digits = 16;
  char out[18] = {'0', 'x'};
  unsigned n = 0;
  char rev[16];
  do {
    rev[n++] = kDigits[v & 0xF];
    v >>= 4;
  } while (v != 0 || n < min_digits);
  for (unsigned i = 0; i < n; ++i) out[2 + i] = rev[n - 1 - i];
  sink_.write(out, 2 + n);
  return *this;
}

}  // namespace irqshape::kern
