#include "isd/trace_input.h"

#include <algorithm>

#include <fmt/format.h>

#include "isu/regs.h"
#include "trace/reader.h"

namespace irqshape::isd {

Result<TraceEvents> load_trace_events(const std::string& path) {
  auto reader = trace::open_trace(path);
  if (!reader) return reader.error();
  return read_trace_events(**reader, path);
}

Result<TraceEvents> read_trace_events(trace::TraceReader& reader, const std::string& name) {
  TraceEvents out;
  trace::Record rec;
  for (;;) {
    auto more = reader.next(rec);
    if (!more) return more.error();
    if (!*more) break;
    ++out.records;
    if (rec.type == trace::RecordType::lost_events) {
      out.lost.add(rec);
      continue;
    }
    if (rec.type != trace::RecordType::irq_entry) continue;
    if (rec.id >= isu::regs::kSources) {
      ++out.left_out;
      continue;
    }
    out.events.push_back({rec.ts, rec.id});
  }
  std::stable_sort(out.events.begin(), out.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  const trace::Catalog& catalog = reader.catalog();
  std::size_t seen = 0;
  for (std::size_t id = 0; id < catalog.sources.size() && id < isu::regs::kSources; ++id) {
    const trace::Source& s = catalog.sources[id];
    SourceInfo info{static_cast<std::uint32_t>(id), s.name, s.irq, s.kind};
    if (!out.names.add(info)) {  // a name or irq the trace used twice: keep the source, drop what clashes
      info.name.clear();
      if (!out.names.add(info)) {
        info.irq = -1;
        (void)out.names.add(info);
      }
    }
    ++seen;
  }
  out.description = fmt::format("{} ({}, {} interrupts of {} sources{})", name, trace::to_string(reader.meta().format),
                                out.events.size(), seen,
                                out.left_out != 0 ? fmt::format("; {} of sources beyond id 255 left out", out.left_out) : "");
  return out;
}

}  // namespace irqshape::isd
