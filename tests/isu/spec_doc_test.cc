// docs/isu-spec.md is the contract a driver writer reads; isu/regs.h is the one the code
// uses. This test reads the document's register summary and context record tables and
// checks them against the header, entry by entry.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "isu/regs.h"

namespace irqshape::isu::regs {
namespace {

std::string read_spec() {
  std::ifstream in("docs/isu-spec.md");  // tests run from the source tree
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The cells of a markdown table row ("| a | b |" -> {"a", "b"}), or {} for other lines.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  if (line.empty() || line[0] != '|') return out;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] != '|') {
      cell += line[i];
      continue;
    }
    const auto b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
    out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    cell.clear();
  }
  return out;
}

bool is_hex(const std::string& s, std::size_t digits) {
  return s.size() == digits + 2 && s.rfind("0x", 0) == 0 &&
         s.find_first_not_of("0123456789ABCDEF", 2) == std::string::npos;
}

std::vector<std::vector<std::string>> table_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto c = cells(line);
    if (!c.empty()) rows.push_back(std::move(c));
  }
  return rows;
}

const char* access_name(Access a) {
  switch (a) {
    case Access::RO: return "RO";
    case Access::RW: return "RW";
    case Access::W1C: return "W1C";
    case Access::WO: return "WO";
  }
  return "?";
}

TEST(SpecDocument, RegisterSummaryMatchesTheHeader) {
  const std::string spec = read_spec();
  ASSERT_FALSE(spec.empty()) << "docs/isu-spec.md not found";
  // summary rows: | 0xOOO | NAME | ACCESS | 0xRRRRRRRR | description |
  std::map<std::uint32_t, std::vector<std::string>> doc;
  for (const auto& row : table_rows(spec)) {
    if (row.size() < 5 || !is_hex(row[0], 3) || !is_hex(row[3], 8)) continue;
    const auto offset = static_cast<std::uint32_t>(std::stoul(row[0], nullptr, 16));
    EXPECT_TRUE(doc.emplace(offset, row).second) << "offset listed twice: " << row[1];
  }
  EXPECT_EQ(doc.size(), std::size(kRegisters));
  for (const RegisterInfo& r : kRegisters) {
    auto it = doc.find(r.offset);
    ASSERT_NE(it, doc.end()) << r.name << " missing from the document";
    EXPECT_EQ(it->second[1], r.name);
    EXPECT_EQ(it->second[2], access_name(r.access)) << r.name;
    EXPECT_EQ(std::stoul(it->second[3], nullptr, 16), r.reset) << r.name;
  }
}

TEST(SpecDocument, ContextRecordLayoutMatchesTheHeader) {
  const std::string spec = read_spec();
  const auto section = spec.find("## 6. Context records");
  ASSERT_NE(section, std::string::npos);
  const std::string text = spec.substr(section, spec.find("## 7.") - section);
  // record rows: | 0xBB | size | field |
  std::set<unsigned> documented;
  unsigned bytes = 0;
  for (const auto& row : table_rows(text)) {
    if (row.size() < 3 || !is_hex(row[0], 2) || row[1].empty() || row[1].find_first_not_of("0123456789") != std::string::npos) continue;
    documented.insert(static_cast<unsigned>(std::stoul(row[0], nullptr, 16)));
    bytes += static_cast<unsigned>(std::stoul(row[1]));
  }
  EXPECT_EQ(bytes, ctx::kRecordBytes);
  for (unsigned offset : {ctx::kSequence, ctx::kSourceVector, ctx::kCount, ctx::kFlags, ctx::kFirstTime,
                          ctx::kLastTime, ctx::kPrevStepTime, ctx::kPredictedNext, ctx::kPatternMask, ctx::kDropped}) {
    EXPECT_TRUE(documented.count(offset)) << "record field at byte " << offset << " is not documented";
  }
}

}  // namespace
}  // namespace irqshape::isu::regs
