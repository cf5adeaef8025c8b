#include "trace/input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace irqshape::trace {

Result<std::size_t> Input::read_at(std::uint64_t, std::span<char>) {
  return make_error("{}: random access is not possible on this input (a pipe?); use a regular file",
                    name());
}

Result<std::size_t> read_fully(Input& in, std::span<char> buf) {
  std::size_t got = 0;
  while (got < buf.size()) {
    auto n = in.read(buf.subspan(got));
    if (!n) return n.error();
    if (*n == 0) break;
    got += *n;
  }
  return got;
}

namespace {

class FileInput final : public Input {
 public:
  FileInput(std::string name, int fd, bool regular, std::uint64_t size)
      : Input(std::move(name)), fd_(fd), regular_(regular), size_(size) {}
  ~FileInput() override {
    if (fd_ > 2) ::close(fd_);
  }

  Result<std::size_t> read(std::span<char> buf) override {
    for (;;) {
      ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return make_error("{}: read failed: {}", name(), std::strerror(errno));
    }
  }

  [[nodiscard]] bool seekable() const override { return regular_; }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<char> buf) override {
    if (!regular_) return Input::read_at(offset, buf);
    std::size_t got = 0;
    while (got < buf.size()) {
      ssize_t n = ::pread(fd_, buf.data() + got, buf.size() - got, static_cast<off_t>(offset + got));
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error("{}: byte offset {}: read failed: {}", name(), offset + got,
                          std::strerror(errno));
      }
      got += static_cast<std::size_t>(n);
    }
    return got;
  }

  [[nodiscard]] std::optional<std::uint64_t> size() const override {
    if (!regular_) return std::nullopt;
    return size_;
  }

 private:
  int fd_;
  bool regular_;
  std::uint64_t size_;
};

class MemoryInput final : public Input {
 public:
  MemoryInput(std::span<const char> bytes, std::string name) : Input(std::move(name)), bytes_(bytes) {}

  Result<std::size_t> read(std::span<char> buf) override {
    std::size_t n = std::min(buf.size(), bytes_.size() - pos_);
    if (n) std::memcpy(buf.data(), bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  [[nodiscard]] bool seekable() const override { return true; }
  Result<std::size_t> read_at(std::uint64_t offset, std::span<char> buf) override {
    if (offset >= bytes_.size()) return std::size_t{0};
    std::size_t n = std::min<std::uint64_t>(buf.size(), bytes_.size() - offset);
    if (n) std::memcpy(buf.data(), bytes_.data() + offset, n);
    return n;
  }
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return bytes_.size(); }

 private:
  std::span<const char> bytes_;
  std::size_t pos_ = 0;
};

class PrefixedInput final : public Input {
 public:
  PrefixedInput(std::vector<char> prefix, std::unique_ptr<Input> rest)
      : Input(rest->name()), prefix_(std::move(prefix)), rest_(std::move(rest)) {}

  Result<std::size_t> read(std::span<char> buf) override {
    if (pos_ < prefix_.size()) {
      std::size_t n = std::min(buf.size(), prefix_.size() - pos_);
      std::memcpy(buf.data(), prefix_.data() + pos_, n);
      pos_ += n;
      if (pos_ == prefix_.size()) {
        std::vector<char>().swap(prefix_);  // release the sniffed bytes
        pos_ = 0;
      }
      return n;
    }
    return rest_->read(buf);
  }

 private:
  std::vector<char> prefix_;
  std::size_t pos_ = 0;
  std::unique_ptr<Input> rest_;
};

}  // namespace

Result<std::unique_ptr<Input>> open_input(const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<Input>(std::make_unique<FileInput>("<stdin>", 0, false, 0));
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return make_error("{}: cannot stat: {}", path, std::strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return make_error("{}: is a directory, not a trace file", path);
  }
  bool regular = S_ISREG(st.st_mode);
  return std::unique_ptr<Input>(
      std::make_unique<FileInput>(path, fd, regular, regular ? static_cast<std::uint64_t>(st.st_size) : 0));
}

std::unique_ptr<Input> memory_input(std::span<const char> bytes, std::string name) {
  return std::make_unique<MemoryInput>(bytes, std::move(name));
}

std::unique_ptr<Input> prefixed_input(std::vector<char> prefix, std::unique_ptr<Input> rest) {
  return std::make_unique<PrefixedInput>(std::move(prefix), std::move(rest));
}

}  // namespace irqshape::trace
