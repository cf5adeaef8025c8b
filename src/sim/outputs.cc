#include "sim/outputs.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/json_text.h"
#include "sim/html_report.h"
#include "sim/perfetto_writer.h"
#include "trace/output_file.h"

namespace irqshape::sim {

Status write_text_file(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return {};
  }
  auto out = trace::OutputFile::open(path);  // written whole or not at all
  if (!out) return out.error();
  if (std::fwrite(text.data(), 1, text.size(), (*out)->file()) != text.size())
    return make_error("{}: write failed: {}", path, std::strerror(errno));
  return (*out)->commit();
}

Status check_outputs(const OutputPaths& paths) {
  for (const std::string* p : {&paths.json, &paths.csv, &paths.perfetto, &paths.html}) {
    if (p->empty() || *p == "-") continue;
    if (auto t = trace::check_output_path(*p); !t) return t.error();
  }
  return {};
}

Status write_outputs(const Scenario& sc, const Comparison& c, const OutputPaths& paths, const ReportContext& ctx) {
  // The JSON document is built once: --html embeds the same one --json writes.
  std::optional<nlohmann::ordered_json> doc;
  if (!paths.json.empty() || !paths.html.empty()) doc = to_json(sc, c, ctx);
  if (!paths.json.empty()) {
    if (Status st = write_text_file(paths.json, json_text(*doc, 1) + "\n"); !st) return st;
  }
  if (!paths.csv.empty()) {
    if (Status st = write_text_file(paths.csv, to_csv(sc, c)); !st) return st;
  }
  if (!paths.perfetto.empty()) {
    std::ostringstream out;
    write_perfetto(out, sc, c);
    if (Status st = write_text_file(paths.perfetto, out.str()); !st) return st;
  }
  if (!paths.html.empty()) {
    if (Status st = write_text_file(paths.html, html_report(*doc)); !st) return st;
  }
  return {};
}

Result<TraceWindow> parse_trace_window(const std::string& text, std::size_t max_events) {
  const auto colon = text.find(':');
  double start = 0, length = 0;
  char extra = 0;
  if (colon == std::string::npos ||
      std::sscanf(text.c_str(), "%lf:%lf%c", &start, &length, &extra) != 2 || !(start >= 0) || !(length > 0) ||
      start > 1e9 || length > 1e9)
    return make_error("--perfetto-window \"{}\": expected START_MS:LENGTH_MS with START >= 0 and LENGTH > 0", text);
  TraceWindow w;
  w.start_ns = static_cast<Nanos>(start * 1e6);
  w.length_ns = static_cast<Nanos>(length * 1e6);
  w.max_events = max_events;
  return w;
}

Result<DeliveryPath> parse_delivery_path(const std::string& text) {
  if (text == "posted") return DeliveryPath::Posted;
  if (text == "exit") return DeliveryPath::ExitBased;
  return make_error("--delivery \"{}\": expected posted or exit", text);
}

}  // namespace irqshape::sim
