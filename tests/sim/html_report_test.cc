// The --html report as a file: self-contained, its data block is the --json document
// (round-trips through a parser), text from the input cannot end a script element.
// That the page's script runs and draws is checked in a browser (html_chromium_check.sh).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/html_report.h"
#include "sim/outputs.h"
#include "sim/report.h"
#include "sim_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;
using json = nlohmann::ordered_json;

Comparison compare(const Scenario& sc) {
  auto c = compare_policies(sc, {*parse_policy_spec("test-coalesce:count=8,timeout-us=50")}, {}, test_factory);
  EXPECT_TRUE(c) << (c ? "" : c.message());
  return std::move(*c);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

const std::string kDataOpen = "<script type=\"application/json\" id=\"irqshape-data\">";

// The text of the data block, and the page without it.
struct SplitPage {
  std::string data, rest;
};
SplitPage split(const std::string& page) {
  const std::size_t open = page.find(kDataOpen);
  EXPECT_NE(open, std::string::npos);
  EXPECT_EQ(occurrences(page, kDataOpen), 1u);
  const std::size_t begin = open + kDataOpen.size();
  const std::size_t end = page.find("</script>", begin);
  EXPECT_NE(end, std::string::npos);
  return {page.substr(begin, end - begin), page.substr(0, begin) + page.substr(end)};
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(HtmlReport, IsSelfContained) {
  const Scenario sc = mixed_scenario(10 * kMs);
  const std::string page = html_report(sc, compare(sc), ReportContext{"irqshape test", "demo", ""});
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_NE(page.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_EQ(page.substr(page.size() - 8), "</html>\n");
  // The script and style are inline; nothing refers to another file or the network.
  // The one URL allowed is the SVG namespace, a name the script passes to
  // createElementNS, never fetched.
  std::string text = lower(split(page).rest);
  const std::string svg_ns = "'http://www.w3.org/2000/svg'";
  EXPECT_EQ(occurrences(text, svg_ns), 1u);
  text.replace(text.find(svg_ns), svg_ns.size(), "");
  for (const char* ref : {"http://", "https://", "src=", "href=", "<link", "@import", "url(", "fetch(",
                          "xmlhttprequest", "import(", "<iframe", "<img", "//cdn"})
    EXPECT_EQ(text.find(ref), std::string::npos) << ref;
  // Three scripts (error hooks, data, report), each closed once; no comments.
  EXPECT_EQ(occurrences(text, "<script"), 3u);
  EXPECT_EQ(occurrences(text, "</script>"), 3u);
  EXPECT_EQ(occurrences(text, "<style>"), 1u);
  EXPECT_EQ(text.find("<!--"), std::string::npos);
}

TEST(HtmlReport, DataBlockIsTheJsonOutputOfTheSameRun) {
  const Scenario sc = mixed_scenario(20 * kMs);
  const Comparison c = compare(sc);
  const auto dir = std::filesystem::temp_directory_path() / ("irqshape_html_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const ReportContext ctx{"irqshape test", "replay", "some/trace.irqt"};
  ASSERT_TRUE(write_outputs(sc, c, OutputPaths{(dir / "r.json").string(), "", "", (dir / "r.html").string()}, ctx));
  const json from_json = json::parse(read_file(dir / "r.json"));
  const std::string page = read_file(dir / "r.html");
  std::filesystem::remove_all(dir);
  const json from_html = json::parse(split(page).data);
  EXPECT_EQ(from_html, from_json);
  EXPECT_EQ(from_html.dump(), from_json.dump());  // same order of keys, same numbers
  EXPECT_EQ(from_html["command"], "replay");
  EXPECT_EQ(from_html["input"], "some/trace.irqt");
}

TEST(HtmlReport, EveryPolicyIsInTheData) {
  const Scenario sc = mixed_scenario(10 * kMs);
  const Comparison c = compare(sc);
  const json data = json::parse(split(html_report(sc, c, ReportContext{"irqshape test", "demo", ""})).data);
  ASSERT_EQ(data["policies"].size(), c.runs.size());
  for (std::size_t i = 0; i < c.runs.size(); ++i) EXPECT_EQ(data["policies"][i]["spec"], c.runs[i].spec.to_string());
  EXPECT_EQ(data["policies"][0]["spec"], "none");
  EXPECT_EQ(data["policies"][1]["spec"], "test-coalesce:count=8,timeout-us=50");
}

TEST(HtmlReport, TextFromTheInputCannotEndTheScriptOrTheTitle) {
  Scenario sc = mixed_scenario(5 * kMs);
  sc.name = "</title><b>&\"";
  const std::string evil = "</script><script>alert(1)</script><!--<script>";
  sc.sources[0].name = evil;
  sc.sources[2].name = "</SCRIPT >\\<\xe2\x80\xa8";  // upper case, a backslash before '<', U+2028
  const std::string page = html_report(sc, compare(sc), ReportContext{"irqshape test", "demo", ""});
  // Only the page's own three scripts close, whatever the case; no comment opens.
  EXPECT_EQ(occurrences(lower(page), "</script"), 3u);
  EXPECT_EQ(page.find("<!--"), std::string::npos);
  EXPECT_EQ(split(page).data.find('<'), std::string::npos);
  EXPECT_NE(page.find("<title>irqshape report: &lt;/title&gt;&lt;b&gt;&amp;&quot;</title>"), std::string::npos);
  // ... and the names come back unchanged from the data.
  const json data = json::parse(split(page).data);
  EXPECT_EQ(data["scenario"]["sources"][0]["name"], evil);
  EXPECT_EQ(data["scenario"]["sources"][2]["name"], "</SCRIPT >\\<\xe2\x80\xa8");
  EXPECT_EQ(data["policies"][1]["sources"][0]["name"], evil);
  EXPECT_EQ(data["scenario"]["name"], "</title><b>&\"");
}

TEST(HtmlReport, ScriptBlockEscapingRoundTripsAndSurvivesBadUtf8) {
  const json doc{{"a", "x</script>y<!--z"}, {"b", "\\<"}, {"n", nullptr}, {"v", {1.5, -0.0, 1e300}}};
  const std::string text = json_for_script_block(doc);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(json::parse(text), doc);
  // Invalid UTF-8 (a trace's name field) is replaced rather than thrown on.
  const json bad{{"name", std::string("dev\xff\xfe")}};
  std::string out;
  EXPECT_NO_THROW(out = json_for_script_block(bad));
  EXPECT_TRUE(json::parse(out)["name"].is_string());
}

TEST(HtmlReport, UnwritablePathIsAnErrorNamingIt) {
  const Scenario sc = mixed_scenario(5 * kMs);
  const std::string path = "/nonexistent-dir-irqshape/report.html";
  const Status st = write_outputs(sc, compare(sc), OutputPaths{"", "", "", path}, ReportContext{"t", "demo", ""});
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
}

}  // namespace
}  // namespace irqshape::sim
