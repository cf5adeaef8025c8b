#include "export/trace_event_writer.h"

#include "base/json_text.h"

namespace irqshape::exporter {

using nlohmann::json;

TraceEventWriter::TraceEventWriter(std::ostream& out) : out_(out) { out_ << "{\"traceEvents\":[\n"; }

TraceEventWriter::~TraceEventWriter() { finish(); }

void TraceEventWriter::emit(const json& event) {
  if (finished_) return;
  if (events_ != 0) out_ << ",\n";
  out_ << json_text(event);
  ++events_;
}

void TraceEventWriter::raw(const json& event) { emit(event); }

void TraceEventWriter::process_name(std::uint32_t pid, std::string_view name) {
  emit({{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"tid", 0}, {"args", {{"name", name}}}});
}

void TraceEventWriter::process_sort_index(std::uint32_t pid, int index) {
  emit({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", pid}, {"tid", 0}, {"args", {{"sort_index", index}}}});
}

void TraceEventWriter::thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name) {
  emit({{"ph", "M"}, {"name", "thread_name"}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}});
}

void TraceEventWriter::thread_sort_index(std::uint32_t pid, std::uint32_t tid, int index) {
  emit({{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", pid}, {"tid", tid}, {"args", {{"sort_index", index}}}});
}

void TraceEventWriter::counter(std::uint32_t pid, std::string_view track, std::uint64_t ts_ns, double value) {
  counter(pid, track, ts_ns, {{"value", value}});
}

void TraceEventWriter::counter(std::uint32_t pid, std::string_view track, std::uint64_t ts_ns,
                               std::initializer_list<std::pair<std::string_view, double>> series) {
  json args = json::object();
  for (const auto& [name, value] : series) args[std::string(name)] = value;
  emit({{"ph", "C"}, {"name", track}, {"pid", pid}, {"tid", 0}, {"ts", micros(ts_ns)}, {"args", std::move(args)}});
}

void TraceEventWriter::instant(std::uint32_t pid, std::uint32_t tid, std::string_view name, std::uint64_t ts_ns,
                               const json& args, Scope scope) {
  json e = {{"ph", "i"}, {"name", name}, {"pid", pid}, {"tid", tid}, {"ts", micros(ts_ns)},
            {"s", std::string(1, static_cast<char>(scope))}};
  if (!args.is_null()) e["args"] = args;
  emit(e);
}

void TraceEventWriter::complete(std::uint32_t pid, std::uint32_t tid, std::string_view name, std::uint64_t ts_ns,
                                std::uint64_t dur_ns, const json& args, std::string_view category) {
  json e = {{"ph", "X"}, {"name", name}, {"pid", pid}, {"tid", tid}, {"ts", micros(ts_ns)}, {"dur", micros(dur_ns)}};
  if (!category.empty()) e["cat"] = category;
  if (!args.is_null()) e["args"] = args;
  emit(e);
}

void TraceEventWriter::finish() {
  if (finished_) return;
  out_ << "\n],\"displayTimeUnit\":\"ns\"}\n";
  out_.flush();
  finished_ = true;
}

}  // namespace irqshape::exporter
