// Where trace bytes come from: a file, a pipe, or memory (tests and fuzz targets).
// Readers only ever see this interface, so every reader streams and every error can
// name the input ("trace.dat: byte offset 4096: ...", "<stdin>: line 7: ...").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace irqshape::trace {

class Input {
 public:
  virtual ~Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // The name errors use: the path as given, or "<stdin>", or a label.
  [[nodiscard]] const std::string& name() const { return name_; }

  // Sequential read of up to buf.size() bytes from the current position; 0 at the end.
  virtual Result<std::size_t> read(std::span<char> buf) = 0;

  // Random access, for inputs that have it (regular files, memory); the sequential
  // position does not move. Reads fewer bytes than asked only at the end of the input.
  [[nodiscard]] virtual bool seekable() const { return false; }
  virtual Result<std::size_t> read_at(std::uint64_t offset, std::span<char> buf);
  [[nodiscard]] virtual std::optional<std::uint64_t> size() const { return std::nullopt; }

 protected:
  explicit Input(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// Opens a file for reading; "-" is standard input.
Result<std::unique_ptr<Input>> open_input(const std::string& path);

// Bytes held in memory (not owned: the span must outlive the Input).
std::unique_ptr<Input> memory_input(std::span<const char> bytes, std::string name);
inline std::unique_ptr<Input> memory_input(std::span<const std::uint8_t> bytes, std::string name) {
  return memory_input(std::span<const char>(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                      std::move(name));
}

// Replays `prefix` (bytes already read from `rest`, e.g. to detect the format of a
// pipe) and then continues with `rest`.
std::unique_ptr<Input> prefixed_input(std::vector<char> prefix, std::unique_ptr<Input> rest);

// Reads until `buf` is full or the input ends; returns how many bytes were read.
Result<std::size_t> read_fully(Input& in, std::span<char> buf);

}  // namespace irqshape::trace
