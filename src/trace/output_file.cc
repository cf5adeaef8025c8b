#include "trace/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace irqshape::trace {

namespace {

namespace fs = std::filesystem;

// As the kernel's limit on symbolic links followed in one lookup.
constexpr int kMaxLinks = 40;

// "OUT" or "OUT (-> TARGET)" when a link was followed: errors name both.
std::string describe(const OutputTarget& t) {
  return t.resolved == t.path ? t.path : fmt::format("{} (-> {})", t.path, t.resolved);
}

}  // namespace

Result<OutputTarget> check_output_path(const std::string& path) {
  if (path.empty()) return make_error("no output file given");
  OutputTarget t;
  t.path = path;
  fs::path p = path;
  std::error_code ec;
  fs::file_status st = fs::symlink_status(p, ec);
  for (int links = 0; fs::is_symlink(st); ++links) {
    if (links == kMaxLinks) return make_error("{}: too many levels of symbolic links", path);
    const fs::path to = fs::read_symlink(p, ec);
    if (ec) return make_error("{}: cannot read the symbolic link {}: {}", path, p.string(), ec.message());
    p = to.is_absolute() ? to : p.parent_path() / to;
    st = fs::symlink_status(p, ec);
  }
  t.resolved = p.string();
  if (ec && st.type() != fs::file_type::not_found) return make_error("{}: {}", describe(t), ec.message());
  t.exists = fs::exists(st);
  if (fs::is_directory(st)) return make_error("{}: is a directory", describe(t));
  if (t.exists && !fs::is_regular_file(st)) {
    // A device, FIFO or socket: written in place.
    t.special = true;
    if (::access(t.resolved.c_str(), W_OK) != 0) return make_error("{}: cannot write: {}", describe(t), std::strerror(errno));
    return t;
  }
  const fs::path parent = p.parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  const fs::file_status dst = fs::status(dir, ec);
  if (!fs::exists(dst)) return make_error("{}: the directory {} does not exist", describe(t), dir);
  if (!fs::is_directory(dst)) return make_error("{}: {} is not a directory", describe(t), dir);
  if (::access(dir.c_str(), W_OK) != 0) {
    return make_error("{}: cannot write into {}: {}", describe(t), dir, std::strerror(errno));
  }
  return t;
}

OutputFile::OutputFile(OutputTarget target, std::string writing, std::FILE* file)
    : target_(std::move(target)), writing_(std::move(writing)), file_(file) {}

OutputFile::~OutputFile() { abandon(); }

Result<std::unique_ptr<OutputFile>> OutputFile::open(const std::string& path) {
  auto target = check_output_path(path);
  if (!target) return target.error();
  std::string writing;
  int fd = -1;
  if (target->special) {
    writing = target->resolved;
    // No O_CREAT: if the device went away meanwhile, fail rather than create a file.
    fd = ::open(writing.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return make_error("{}: cannot open: {}", writing, std::strerror(errno));
  } else {
    writing = target->resolved + ".partial";
    // A stale temporary file (a crashed run) is replaced; O_EXCL never follows a link
    // planted there.
    ::unlink(writing.c_str());
    fd = ::open(writing.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) return make_error("{}: cannot create: {}", writing, std::strerror(errno));
  }
  std::FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) {
    const int e = errno;
    ::close(fd);
    if (!target->special) ::unlink(writing.c_str());
    return make_error("{}: cannot open: {}", writing, std::strerror(e));
  }
  return std::unique_ptr<OutputFile>(new OutputFile(std::move(*target), std::move(writing), f));
}

Status OutputFile::commit() {
  if (state_ == State::committed) return {};
  if (state_ == State::abandoned) return make_error("{}: the write was abandoned", target_.path);
  errno = 0;
  const bool flushed = std::fflush(file_) == 0 && std::ferror(file_) == 0;
  int e = errno;
  const bool closed = std::fclose(file_) == 0;
  if (flushed && !closed) e = errno;
  file_ = nullptr;
  if (!flushed || !closed) {
    abandon();
    return make_error("{}: write failed: {}", describe(target_), e ? std::strerror(e) : "I/O error");
  }
  if (!target_.special && std::rename(writing_.c_str(), target_.resolved.c_str()) != 0) {
    e = errno;
    abandon();
    return make_error("{}: cannot rename {} into place: {}", describe(target_), writing_, std::strerror(e));
  }
  state_ = State::committed;
  return {};
}

void OutputFile::abandon() {
  if (state_ != State::open) return;
  state_ = State::abandoned;
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  if (!target_.special) ::unlink(writing_.c_str());
}

}  // namespace irqshape::trace
