// Writing an output file safely: the one place every trace writer (native, ftrace
// text, trace-cmd .dat) and capture decide how an output path is written.
//
// - OUT is a symbolic link: it is followed (any number of links, as open() would), and
//   the target is written as below; the link itself stays as it is.
// - OUT exists and is not a regular file (character or block device, FIFO, socket):
//   it is written straight through, with no temporary file and no rename, so that
//   `-o /dev/null` or `-o /dev/stdout` never replaces the device with a regular file.
// - OUT is a directory: an error, before anything is created.
// - Otherwise (a regular file, or nothing yet): the data goes to "<target>.partial" next
//   to the target and is renamed onto it by commit(), so a failed or abandoned write
//   never leaves a file that looks complete, and never leaves the temporary file.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "base/result.h"

namespace irqshape::trace {

// Where an output path leads.
struct OutputTarget {
  std::string path;       // the path as given (for messages)
  std::string resolved;   // after following symbolic links: the file actually written
  bool special = false;   // exists and is a device, FIFO or socket: written straight through
  bool exists = false;
};

// Follows symbolic links and classifies what `path` leads to. Refuses a directory, a
// link loop, and a target whose directory does not exist or cannot be written (so a
// long-running producer such as capture can check before it starts).
Result<OutputTarget> check_output_path(const std::string& path);

class OutputFile {
 public:
  // Opens `path` for writing as described above (binary or text mode makes no
  // difference on POSIX). Errors name the path.
  static Result<std::unique_ptr<OutputFile>> open(const std::string& path);
  // Abandons the write unless commit() succeeded.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  [[nodiscard]] std::FILE* file() const { return file_; }
  [[nodiscard]] const OutputTarget& target() const { return target_; }
  // The file being written: "<target>.partial", or the target itself when special.
  [[nodiscard]] const std::string& writing() const { return writing_; }

  // Flushes and closes; renames the temporary file onto the target. On any failure the
  // temporary file is removed and the error names the path. After commit() or
  // abandon(), file() is null.
  Status commit();
  // Closes and removes the temporary file (a special file is only closed). Idempotent.
  void abandon();

 private:
  OutputFile(OutputTarget target, std::string writing, std::FILE* file);

  OutputTarget target_;
  std::string writing_;
  std::FILE* file_ = nullptr;
  enum class State { open, committed, abandoned } state_ = State::open;
};

}  // namespace irqshape::trace
