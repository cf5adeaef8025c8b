#include "trace/text_writer.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "trace/output_file.h"

namespace irqshape::trace {

std::string format_ftrace_line(const Record& r, const Catalog& cat) {
  if (r.type == RecordType::lost_events) return fmt::format("CPU:{} [LOST {} EVENTS]", r.cpu, r.lost);
  std::string line = fmt::format("           <...>-0       [{:03}] {}.{:09}: {}: ", r.cpu, r.ts / 1'000'000'000,
                                 r.ts % 1'000'000'000, to_string(r.type));
  auto dev = [&]() -> const Device& { return cat.devices.at(r.id); };
  switch (r.type) {
    case RecordType::irq_entry: {
      const Source& s = cat.sources.at(r.id);
      fmt::format_to(std::back_inserter(line), "irq={} name={}", s.irq, s.name);
      break;
    }
    case RecordType::irq_exit:
      fmt::format_to(std::back_inserter(line), "irq={} ret={}", cat.sources.at(r.id).irq,
                     r.handled ? "handled" : "unhandled");
      break;
    case RecordType::block_issue:
      fmt::format_to(std::back_inserter(line), "{},{} {} {} () {} + {} [irqshape]", dev().major, dev().minor,
                     format_rwbs(r.flags), r.bytes, r.sector, r.nr_sectors);
      break;
    case RecordType::block_complete:
    case RecordType::block_requeue:
      fmt::format_to(std::back_inserter(line), "{},{} {} () {} + {} [{}]", dev().major, dev().minor,
                     format_rwbs(r.flags), r.sector, r.nr_sectors, r.error);
      break;
    case RecordType::napi_poll:
      fmt::format_to(std::back_inserter(line), "napi poll on napi struct 0000000000000000 for device {} work {} budget {}",
                     dev().name, r.work, r.budget);
      break;
    case RecordType::lost_events:
      break;
  }
  return line;
}

Result<TextCopyResult> copy_to_ftrace_text(TraceReader& reader, const std::string& out) {
  const bool to_stdout = out == "-";
  std::unique_ptr<OutputFile> file;  // abandons its temporary file on every early return
  if (!to_stdout) {
    auto opened = OutputFile::open(out);
    if (!opened) return opened.error();
    file = std::move(*opened);
  }
  std::FILE* f = to_stdout ? stdout : file->file();
  std::fputs("# tracer: nop\n#\n# written by irqshape convert (task names are not kept)\n", f);
  TextCopyResult res;
  Record r;
  std::string line;
  for (;;) {
    auto more = reader.next(r);
    if (!more) return more.error();
    if (!*more) break;
    line = format_ftrace_line(r, reader.catalog());
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), f) != line.size()) {
      return make_error("{}: write failed: {}", out, std::strerror(errno));
    }
    ++res.records;
  }
  if (to_stdout) {
    if (std::fflush(f) != 0) return make_error("{}: write failed: {}", out, std::strerror(errno));
  } else if (auto s = file->commit(); !s) {
    return s.error();
  }
  return res;
}

}  // namespace irqshape::trace
