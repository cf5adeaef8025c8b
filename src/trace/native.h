// Reading and writing irqshape's native trace format (see native_format.h and
// docs/trace-format.md): a compact, checksummed, versioned binary form that reloads
// an order of magnitude faster than text.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "trace/input.h"
#include "trace/output_file.h"
#include "trace/reader.h"

namespace irqshape::trace {

// Reads the file header and metadata now; records stream on next().
Result<std::unique_ptr<TraceReader>> make_native_reader(std::unique_ptr<Input> input);

// Writes a native trace. Records must come with the sources and devices they name
// already defined (ids are assigned in definition order, from 0). The file is written
// through OutputFile (output_file.h): to "<path>.partial", renamed onto `path` by
// finish(), so a failed or abandoned write never leaves a file that looks complete;
// a symbolic link is followed, a device or FIFO written in place.
class NativeWriter {
 public:
  static Result<std::unique_ptr<NativeWriter>> create(const std::string& path);
  // Writes into memory (tests, benchmarks): finish() leaves the file's bytes in `out`.
  static std::unique_ptr<NativeWriter> to_memory(std::vector<std::uint8_t>& out);
  ~NativeWriter();
  NativeWriter(const NativeWriter&) = delete;
  NativeWriter& operator=(const NativeWriter&) = delete;

  // Optional; at most once, before any definition or record.
  Status write_meta(const TraceMeta& meta);
  Status define_source(const Source& source);
  Status define_device(const Device& device);
  Status write(const Record& record);
  Status finish();

  [[nodiscard]] std::uint64_t records_written() const { return records_; }

 private:
  NativeWriter(std::string path, std::unique_ptr<OutputFile> file, std::vector<std::uint8_t>* memory);
  Status flush_block(std::uint32_t type);
  Status emit(const void* data, std::size_t size);
  Status fail(Error e);

  std::string path_;
  std::unique_ptr<OutputFile> file_;  // null when writing to memory, and after finish()
  std::vector<std::uint8_t>* memory_ = nullptr;
  std::vector<std::uint8_t> payload_;
  std::uint32_t entries_ = 0;
  Nanos prev_ts_ = 0;
  std::uint64_t records_ = 0;
  std::uint32_t sources_ = 0;
  std::uint32_t devices_ = 0;
  bool started_ = false;
  bool finished_ = false;
  Status status_;
};

struct CopyOptions {
  // Decides each source's kind as it is written; capture applies what sysfs knows.
  std::function<SourceKind(const Source&)> kind;
  // Added to the reader's metadata ("command", "captured_by", ...).
  std::vector<std::pair<std::string, std::string>> properties;
};

struct CopyResult {
  std::uint64_t records = 0;
  std::uint64_t skipped_events = 0;
};

// Streams every record of `reader` into `writer` (definitions included) and finishes it.
Result<CopyResult> copy_to_native(TraceReader& reader, NativeWriter& writer, const CopyOptions& options = {});

// open_trace(in) + NativeWriter::create(out) + copy_to_native.
Result<CopyResult> convert_to_native(const std::string& in, const std::string& out,
                                     const CopyOptions& options = {});

}  // namespace irqshape::trace
