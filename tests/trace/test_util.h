// Helpers shared by the trace tests: fixture paths, temporary directories, reading
// traces from strings, and a builder of synthetic ring-buffer pages and .dat files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "trace/dat_writer.h"
#include "trace/input.h"
#include "trace/reader.h"

namespace irqshape::trace::testing {

// tests/trace (the tests run from the source root).
std::filesystem::path fixture_dir();
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& bytes);

// A fresh directory, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::filesystem::path path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// An input without random access (like a pipe), producing `text`.
class SequentialInput final : public Input {
 public:
  SequentialInput(std::string text, std::string name) : Input(std::move(name)), text_(std::move(text)) {}
  Result<std::size_t> read(std::span<char> buf) override;

 private:
  std::string text_;
  std::size_t pos_ = 0;
};

// Opens `text` (copied: temporaries are fine) as a trace of the given or detected format.
Result<std::unique_ptr<TraceReader>> open_string(const std::string& text, const std::string& name = "test",
                                                 std::optional<Format> format = std::nullopt);
// Reads everything; on error returns the message in `error`.
Trace read_string(const std::string& text, std::optional<Format> format = std::nullopt);
std::string error_of(const std::string& text, const std::string& name = "test",
                     std::optional<Format> format = std::nullopt);

// Event payloads laid out as this kernel (6.18) lays them out (tests/trace/formats).
std::vector<std::uint8_t> irq_entry_payload(int irq, const std::string& name);
std::vector<std::uint8_t> irq_exit_payload(int irq, bool handled);
std::vector<std::uint8_t> block_issue_payload(std::uint32_t dev, std::uint64_t sector, std::uint32_t nr,
                                              std::uint32_t bytes, const std::string& rwbs);
std::vector<std::uint8_t> block_complete_payload(std::uint32_t dev, std::uint64_t sector, std::uint32_t nr,
                                                 int error, const std::string& rwbs);
std::vector<std::uint8_t> napi_payload(const std::string& dev, int work, int budget);
std::vector<std::uint8_t> sched_switch_payload();

struct PageEvent {
  std::uint64_t ts = 0;
  std::vector<std::uint8_t> payload;
};

// One ring-buffer page as trace_pipe_raw returns it.
std::vector<std::uint8_t> build_page(const std::vector<PageEvent>& events, std::uint32_t page_size = 4096,
                                     std::uint64_t lost = 0);

// DatContents with this kernel's headers and the formats of every event above;
// `pages_per_cpu[cpu]` are written to files in `dir`.
DatContents make_dat_contents(const TempDir& dir, const std::vector<std::vector<std::vector<std::uint8_t>>>& pages_per_cpu);

}  // namespace irqshape::trace::testing
