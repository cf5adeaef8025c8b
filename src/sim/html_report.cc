#include "sim/html_report.h"

#include "base/json_text.h"
#include "sim/html_assets.h"  // generated from src/sim/html/*.{js,css} (html/embed.cmake)

namespace irqshape::sim {

std::string json_for_script_block(const nlohmann::ordered_json& doc) {
  const std::string text = json_text(doc);
  std::string out;
  out.reserve(text.size() + text.size() / 64);
  for (char ch : text) {
    if (ch == '<')
      out += "\\u003c";
    else
      out += ch;
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string html_report(const nlohmann::ordered_json& report) {
  std::string title = "irqshape report";
  if (report.contains("scenario") && report["scenario"].contains("name") && report["scenario"]["name"].is_string())
    title += ": " + report["scenario"]["name"].get<std::string>();

  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<meta name=\"generator\" content=\"irqshape\">\n";
  page += "<title>" + html_escape(title) + "</title>\n";
  page += "<style>\n";
  page += html_assets::kReportCss;
  page += "</style>\n";
  // First script of the page: anything that goes wrong later is shown, and marked for
  // the headless-browser test (tests/sim/html_chromium_check.sh).
  page += "<script>\n";
  page += html_assets::kErrorsJs;
  page += "</script>\n</head>\n<body>\n";
  page += "<main id=\"report\">\n<h1>" + html_escape(title) + "</h1>\n";
  page += "<noscript><p class=\"error\">This report draws its tables and charts with JavaScript. Its data is the "
          "script element <code>#" + std::string(kHtmlDataId) +
          "</code>: the document <code>irqshape --json</code> writes (docs/sim-output.md).</p></noscript>\n";
  page += "</main>\n";
  page += "<script type=\"application/json\" id=\"" + std::string(kHtmlDataId) + "\">";
  page += json_for_script_block(report);
  page += "</script>\n<script>\n";
  page += html_assets::kReportJs;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

std::string html_report(const Scenario& sc, const Comparison& c, const ReportContext& ctx) {
  return html_report(to_json(sc, c, ctx));
}

}  // namespace irqshape::sim
