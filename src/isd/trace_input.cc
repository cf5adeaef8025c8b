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
    // A name or irq the trace used twice (a shared legacy line, a handler re-registered
    // under a new name): keep the source and drop only what clashes - the irq, the name,
    // or both.
    if (!out.names.add(info)) {
      SourceInfo without_irq = info, without_name = info;
      without_irq.irq = -1;
      without_name.name.clear();
      if (!out.names.add(without_irq) && !out.names.add(without_name)) {
        without_name.irq = -1;
        (void)out.names.add(without_name);
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
