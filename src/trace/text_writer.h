// Writes records back out as ftrace text: the layout of /sys/kernel/tracing/trace with
// nanosecond timestamps and the kernel's own payload formats. The model keeps no task
// names, so every line runs as "<...>-0". The ftrace text reader reads it back.
#pragma once

#include <cstdio>
#include <string>

#include "base/result.h"
#include "trace/model.h"
#include "trace/reader.h"

namespace irqshape::trace {

// One line, without the newline.
[[nodiscard]] std::string format_ftrace_line(const Record& record, const Catalog& catalog);

struct TextCopyResult {
  std::uint64_t records = 0;
};

// Streams every record of `reader` to `out` ("-" for standard output); files are
// written through OutputFile (output_file.h), as NativeWriter does.
Result<TextCopyResult> copy_to_ftrace_text(TraceReader& reader, const std::string& out);

}  // namespace irqshape::trace
