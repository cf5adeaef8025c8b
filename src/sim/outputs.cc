#include "sim/outputs.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/json_text.h"
#include "isd/units.h"
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

namespace {

// One side of --perfetto-window: a duration with its unit, or a bare number of ms (the
// option's first syntax).
Result<Nanos> window_part(const std::string& part) {
  double ms = 0;
  char extra = 0;
  if (std::sscanf(part.c_str(), "%lf%c", &ms, &extra) == 1) {
    if (!(ms >= 0) || ms > 1e9) return make_error("\"{}\" is out of range", part);
    return static_cast<Nanos>(ms * 1e6);
  }
  return isd::parse_duration(part);
}

}  // namespace

Result<TraceWindow> parse_trace_window(const std::string& text, std::size_t max_events) {
  const auto syntax = [&](const std::string& why) {
    return make_error("--perfetto-window \"{}\": {}; expected START:LENGTH, durations such as 1s:20ms (a bare "
                      "number is ms)",
                      text, why);
  };
  const auto colon = text.find(':');
  if (colon == std::string::npos) return syntax("no ':'");
  auto start = window_part(text.substr(0, colon));
  if (!start) return syntax("start " + start.message());
  auto length = window_part(text.substr(colon + 1));
  if (!length) return syntax("length " + length.message());
  if (*length == 0) return syntax("the length is 0");
  TraceWindow w;
  w.start_ns = *start;
  w.length_ns = *length;
  w.max_events = max_events;
  return w;
}

Result<DeliveryPath> parse_delivery_path(const std::string& text) {
  if (text == "posted") return DeliveryPath::Posted;
  if (text == "exit") return DeliveryPath::ExitBased;
  return make_error("--delivery \"{}\": expected posted or exit", text);
}

}  // namespace irqshape::sim
