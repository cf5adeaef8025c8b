// The --html report: one self-contained page that opens offline. It holds the JSON
// document of the run (to_json, schema in docs/sim-output.md) as data in a
// <script type="application/json"> block, and a small inline script (src/sim/html/
// report.js) that draws the tables and SVG charts from it. Nothing is fetched.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sim/report.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace irqshape::sim {

// The id of the <script type="application/json"> element that holds the document.
inline constexpr std::string_view kHtmlDataId = "irqshape-data";

// The page for a report document (what to_json returns).
[[nodiscard]] std::string html_report(const nlohmann::ordered_json& report);
[[nodiscard]] std::string html_report(const Scenario& sc, const Comparison& c, const ReportContext& ctx);

// JSON text that is safe inside a <script> element: every '<' is written as \u003c,
// so neither "</script" nor "<!--" can appear (JSON only has '<' inside strings, where
// the escape means the same character). Invalid UTF-8 is replaced, not thrown on.
[[nodiscard]] std::string json_for_script_block(const nlohmann::ordered_json& doc);

// Text with &, <, >, " escaped for HTML text and attribute values.
[[nodiscard]] std::string html_escape(std::string_view text);

}  // namespace irqshape::sim
