#include "test_util.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include "trace/input.h"

namespace irqshape::trace::testing {

namespace fs = std::filesystem;

fs::path fixture_dir() { return fs::path("tests") / "trace"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Result<std::size_t> SequentialInput::read(std::span<char> buf) {
  const std::size_t n = std::min(buf.size(), text_.size() - pos_);
  std::copy_n(text_.data() + pos_, n, buf.data());
  pos_ += n;
  return n;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "irqshape-test-XXXXXX").string();
  path_ = ::mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

// A seekable input that owns its bytes.
class StringInput final : public Input {
 public:
  StringInput(std::string text, std::string name)
      : Input(std::move(name)), text_(std::move(text)), mem_(memory_input(std::span<const char>(text_), "")) {}
  Result<std::size_t> read(std::span<char> buf) override { return mem_->read(buf); }
  [[nodiscard]] bool seekable() const override { return true; }
  Result<std::size_t> read_at(std::uint64_t offset, std::span<char> buf) override { return mem_->read_at(offset, buf); }
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return text_.size(); }

 private:
  std::string text_;
  std::unique_ptr<Input> mem_;
};

}  // namespace

Result<std::unique_ptr<TraceReader>> open_string(const std::string& text, const std::string& name,
                                                 std::optional<Format> format) {
  return open_trace(std::make_unique<StringInput>(text, name), format);
}

Trace read_string(const std::string& text, std::optional<Format> format) {
  auto r = open_string(text, "test", format);
  if (!r) throw std::runtime_error(r.message());
  auto t = read_all(**r);
  if (!t) throw std::runtime_error(t.message());
  return std::move(*t);
}

std::string error_of(const std::string& text, const std::string& name, std::optional<Format> format) {
  auto r = open_string(text, name, format);
  if (!r) return r.message();
  auto t = read_all(**r);
  if (!t) return t.message();
  return "";
}

namespace {

class Payload {
 public:
  explicit Payload(std::uint16_t type, std::size_t fixed) : b_(fixed, 0) { put<std::uint16_t>(0, type); }
  template <typename T>
  void put(std::size_t off, T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i) b_[off + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i));
  }
  void chars(std::size_t off, const std::string& s) { std::copy(s.begin(), s.end(), b_.begin() + static_cast<long>(off)); }
  // Appends a dynamic string and points the __data_loc field at `loc_off` to it.
  void data_loc(std::size_t loc_off, const std::string& s) {
    const auto at = static_cast<std::uint32_t>(b_.size());
    b_.insert(b_.end(), s.begin(), s.end());
    b_.push_back(0);
    put<std::uint32_t>(loc_off, (static_cast<std::uint32_t>(s.size() + 1) << 16) | at);
  }
  std::vector<std::uint8_t> take() { return std::move(b_); }

 private:
  std::vector<std::uint8_t> b_;
};

}  // namespace

std::vector<std::uint8_t> irq_entry_payload(int irq, const std::string& name) {
  Payload p(225, 16);
  p.put<std::int32_t>(8, irq);
  p.data_loc(12, name);
  return p.take();
}

std::vector<std::uint8_t> irq_exit_payload(int irq, bool handled) {
  Payload p(224, 16);
  p.put<std::int32_t>(8, irq);
  p.put<std::int32_t>(12, handled ? 1 : 0);
  return p.take();
}

std::vector<std::uint8_t> block_issue_payload(std::uint32_t dev, std::uint64_t sector, std::uint32_t nr,
                                              std::uint32_t bytes, const std::string& rwbs) {
  Payload p(2104, 64);
  p.put<std::uint32_t>(8, dev);
  p.put<std::uint64_t>(16, sector);
  p.put<std::uint32_t>(24, nr);
  p.put<std::uint32_t>(28, bytes);
  p.chars(34, rwbs);
  p.chars(44, "fio");
  p.data_loc(60, "");
  return p.take();
}

std::vector<std::uint8_t> block_complete_payload(std::uint32_t dev, std::uint64_t sector, std::uint32_t nr,
                                                 int error, const std::string& rwbs) {
  Payload p(2107, 48);
  p.put<std::uint32_t>(8, dev);
  p.put<std::uint64_t>(16, sector);
  p.put<std::uint32_t>(24, nr);
  p.put<std::int32_t>(28, error);
  p.chars(34, rwbs);
  p.data_loc(44, "");
  return p.take();
}

std::vector<std::uint8_t> napi_payload(const std::string& dev, int work, int budget) {
  Payload p(2291, 28);
  p.put<std::uint64_t>(8, 0xffff888004a1c000ull);
  p.data_loc(16, dev);
  p.put<std::int32_t>(20, work);
  p.put<std::int32_t>(24, budget);
  return p.take();
}

std::vector<std::uint8_t> sched_switch_payload() {
  Payload p(372, 64);
  return p.take();
}

std::vector<std::uint8_t> build_page(const std::vector<PageEvent>& events, std::uint32_t page_size,
                                     std::uint64_t lost) {
  std::vector<std::uint8_t> page(page_size, 0);
  auto put32 = [&](std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) page[off + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  auto put64 = [&](std::size_t off, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) page[off + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  const std::uint64_t base = events.empty() ? 0 : events.front().ts;
  put64(0, base);
  std::size_t pos = 16;
  std::uint64_t prev = base;
  for (const auto& e : events) {
    std::uint64_t delta = e.ts - prev;
    prev = e.ts;
    if (delta >= (1u << 27)) {  // time extend
      put32(pos, 30u | static_cast<std::uint32_t>((delta & ((1u << 27) - 1)) << 5));
      put32(pos + 4, static_cast<std::uint32_t>(delta >> 27));
      pos += 8;
      delta = 0;
    }
    const std::size_t len = (e.payload.size() + 3) & ~std::size_t{3};
    if (len <= 28 * 4) {
      put32(pos, static_cast<std::uint32_t>(len / 4) | static_cast<std::uint32_t>(delta << 5));
      pos += 4;
    } else {
      put32(pos, static_cast<std::uint32_t>(delta << 5));
      put32(pos + 4, static_cast<std::uint32_t>(e.payload.size() + 4));
      pos += 8;
    }
    std::copy(e.payload.begin(), e.payload.end(), page.begin() + static_cast<long>(pos));
    pos += len;
  }
  std::uint64_t commit = pos - 16;
  if (lost) {
    commit |= (1ull << 31) | (1ull << 30);
    put64(pos, lost);
  }
  put64(8, commit);
  return page;
}

DatContents make_dat_contents(const TempDir& dir,
                              const std::vector<std::vector<std::vector<std::uint8_t>>>& pages_per_cpu) {
  const auto f = fixture_dir() / "formats";
  DatContents c;
  c.header_page = read_file(f / "header_page");
  c.header_event = read_file(f / "header_event");
  c.systems = {{"irq", {read_file(f / "irq_handler_entry.format"), read_file(f / "irq_handler_exit.format")}},
               {"block",
                {read_file(f / "block_rq_issue.format"), read_file(f / "block_rq_complete.format"),
                 read_file(f / "block_rq_requeue.format")}},
               {"napi", {read_file(f / "napi_poll.format")}},
               {"sched", {read_file(f / "sched_switch.format")}}};
  c.trace_clock = "[local] global counter\n";
  c.uname = "Linux test 6.18.44 x86_64";
  c.saved_cmdlines = "1 init\n";
  for (std::size_t cpu = 0; cpu < pages_per_cpu.size(); ++cpu) {
    std::string bytes;
    for (const auto& p : pages_per_cpu[cpu]) bytes.append(p.begin(), p.end());
    const auto path = dir.file("cpu" + std::to_string(cpu) + ".pages");
    write_file(path, bytes);
    c.cpu_page_files.push_back(path);
    c.cpu_stats.push_back("entries: 0\noverrun: 0\n");
  }
  return c;
}

}  // namespace irqshape::trace::testing
