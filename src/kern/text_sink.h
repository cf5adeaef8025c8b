// Text output without printf: a sink interface and a writer with the few conversions
// the debug dump needs. BufferSink fills a caller-provided buffer and always leaves it
// NUL-terminated; output that does not fit is dropped and flagged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace irqshape::kern {

class TextSink {
 public:
  virtual void write(const char* text, std::size_t length) = 0;

 protected:
  ~TextSink() = default;
};

class BufferSink final : public TextSink {
 public:
  explicit BufferSink(std::span<char> buffer) : buffer_(buffer) {
    if (!buffer_.empty()) buffer_[0] = '\0';
  }
  void write(const char* text, std::size_t length) override;
  [[nodiscard]] std::size_t size() const { return used_; }
  [[nodiscard]] bool truncated() const { return truncated_; }

 private:
  std::span<char> buffer_;
  std::size_t used_ = 0;
  bool truncated_ = false;
};

class TextWriter {
 public:
  explicit TextWriter(TextSink& sink) : sink_(sink) {}
  TextWriter& str(const char* s);
  TextWriter& dec(std::uint64_t v);
  TextWriter& hex(std::uint64_t v, unsigned min_digits = 1);  // "0x" prefix
  TextWriter& chr(char c) {
    sink_.write(&c, 1);
    return *this;
  }

 private:
  TextSink& sink_;
};

}  // namespace irqshape::kern
