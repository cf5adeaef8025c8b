#include "trace/dat_writer.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "trace/output_file.h"

namespace irqshape::trace {

namespace {

// Option ids (trace-cmd.dat.v6(5) and trace-cmd's trace-cmd.h).
constexpr std::uint16_t kOptCpuStat = 2;
constexpr std::uint16_t kOptTraceClock = 4;
constexpr std::uint16_t kOptUname = 5;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

class DatOut {
 public:
  DatOut(std::FILE* f, bool big_endian) : f_(f), big_endian_(big_endian) {}

  void bytes(const void* p, std::size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) ok_ = false;
    pos_ += n;
  }
  void str0(std::string_view s) {
    bytes(s.data(), s.size());
    bytes("", 1);
  }
  template <typename T>
  void integer(T v) {
    unsigned char b[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      b[big_endian_ ? sizeof(T) - 1 - i : i] = static_cast<unsigned char>(static_cast<std::uint64_t>(v) >> (8 * i));
    }
    bytes(b, sizeof b);
  }
  void pad_to(std::uint64_t alignment) {
    static const char zeros[4096] = {};
    while (pos_ % alignment != 0) bytes(zeros, std::min<std::uint64_t>(sizeof zeros, alignment - pos_ % alignment));
  }
  [[nodiscard]] std::uint64_t position() const { return pos_; }
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  std::FILE* f_;
  bool big_endian_;
  std::uint64_t pos_ = 0;
  bool ok_ = true;
};

void option(DatOut& out, std::uint16_t id, std::string_view text) {
  out.integer<std::uint16_t>(id);
  out.integer<std::uint32_t>(static_cast<std::uint32_t>(text.size() + 1));
  out.str0(text);
}

}  // namespace

Status write_dat(const DatContents& c, const std::string& path) {
  auto opened = OutputFile::open(path);
  if (!opened) return opened.error();
  std::unique_ptr<OutputFile> file = std::move(*opened);  // abandons its temporary file on every early return
  // Sizes of the per-CPU data, known before writing the offsets table.
  std::vector<std::uint64_t> sizes;
  for (const auto& p : c.cpu_page_files) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return make_error("{}: cannot stat: {}", p, std::strerror(errno));
    if (static_cast<std::uint64_t>(st.st_size) % c.page_size != 0) {
      return make_error("{}: {} bytes is not a whole number of {} byte pages", p, st.st_size, c.page_size);
    }
    sizes.push_back(static_cast<std::uint64_t>(st.st_size));
  }

  DatOut out(file->file(), c.big_endian);
  out.bytes("\x17\x08\x44tracing", 10);
  out.str0("6");
  const unsigned char endian_and_long[2] = {static_cast<unsigned char>(c.big_endian ? 1 : 0), c.long_size};
  out.bytes(endian_and_long, 2);
  out.integer<std::uint32_t>(c.page_size);
  out.str0("header_page");
  out.integer<std::uint64_t>(c.header_page.size());
  out.bytes(c.header_page.data(), c.header_page.size());
  out.str0("header_event");
  out.integer<std::uint64_t>(c.header_event.size());
  out.bytes(c.header_event.data(), c.header_event.size());
  out.integer<std::uint32_t>(0);  // no ftrace (function tracer) formats
  out.integer<std::uint32_t>(static_cast<std::uint32_t>(c.systems.size()));
  for (const auto& [system, formats] : c.systems) {
    out.str0(system);
    out.integer<std::uint32_t>(static_cast<std::uint32_t>(formats.size()));
    for (const auto& text : formats) {
      out.integer<std::uint64_t>(text.size());
      out.bytes(text.data(), text.size());
    }
  }
  out.integer<std::uint32_t>(0);  // kallsyms: none (no function addresses in these events)
  out.integer<std::uint32_t>(0);  // trace_printk formats: none
  out.integer<std::uint64_t>(c.saved_cmdlines.size());
  out.bytes(c.saved_cmdlines.data(), c.saved_cmdlines.size());
  out.integer<std::uint32_t>(static_cast<std::uint32_t>(c.cpu_page_files.size()));
  out.bytes("options  ", 10);
  if (!c.trace_clock.empty()) option(out, kOptTraceClock, c.trace_clock);
  if (!c.uname.empty()) option(out, kOptUname, c.uname);
  for (const auto& s : c.cpu_stats) option(out, kOptCpuStat, s);
  out.integer<std::uint16_t>(0);
  out.bytes("flyrecord", 10);
  // Offsets table: each CPU's data starts page aligned after the table.
  std::uint64_t at = out.position() + 16 * c.cpu_page_files.size();
  for (std::uint64_t size : sizes) {
    at = (at + c.page_size - 1) / c.page_size * c.page_size;
    out.integer<std::uint64_t>(at);
    out.integer<std::uint64_t>(size);
    at += size;
  }
  std::vector<char> buf(1 << 20);
  for (std::size_t cpu = 0; cpu < c.cpu_page_files.size(); ++cpu) {
    out.pad_to(c.page_size);
    File in(std::fopen(c.cpu_page_files[cpu].c_str(), "rb"));
    if (!in) return make_error("{}: cannot open: {}", c.cpu_page_files[cpu], std::strerror(errno));
    std::uint64_t copied = 0;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), in.get())) {
      out.bytes(buf.data(), n);
      copied += n;
    }
    if (copied != sizes[cpu]) return make_error("{}: changed while being copied", c.cpu_page_files[cpu]);
  }
  if (!out.ok()) return make_error("{}: write failed: {}", path, std::strerror(errno));
  return file->commit();
}

}  // namespace irqshape::trace
