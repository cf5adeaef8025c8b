// docs/isu-spec.md is the contract a driver writer reads; isu/regs.h is the one the code
// uses. This test reads the document's register summary and context record tables and
// checks them against the header, entry by entry.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "isu/regs.h"

namespace irqshape::isu::regs {
namespace {

std::string read_spec() {
  std::ifstream in("docs/isu-spec.md");  // tests run from the source tree
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
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
  const std::regex row(R"(\|\s*0x([0-9A-F]{3})\s*\|\s*(\w+)\s*\|\s*(RO|RW|W1C|WO)\s*\|\s*0x([0-9A-F]{8})\s*\|)");
  std::map<std::uint32_t, std::smatch> doc;
  for (std::sregex_iterator it(spec.begin(), spec.end(), row), end; it != end; ++it) {
    const std::uint32_t offset = static_cast<std::uint32_t>(std::stoul((*it)[1].str(), nullptr, 16));
    EXPECT_TRUE(doc.emplace(offset, *it).second) << "offset listed twice: " << (*it)[2];
  }
  EXPECT_EQ(doc.size(), std::size(kRegisters));
  for (const RegisterInfo& r : kRegisters) {
    auto it = doc.find(r.offset);
    ASSERT_NE(it, doc.end()) << r.name << " missing from the document";
    EXPECT_EQ(it->second[2].str(), r.name);
    EXPECT_EQ(it->second[3].str(), access_name(r.access)) << r.name;
    EXPECT_EQ(std::stoul(it->second[4].str(), nullptr, 16), r.reset) << r.name;
  }
}

TEST(SpecDocument, ContextRecordLayoutMatchesTheHeader) {
  const std::string spec = read_spec();
  const auto section = spec.find("## 6. Context records");
  ASSERT_NE(section, std::string::npos);
  const std::string text = spec.substr(section, spec.find("## 7.") - section);
  const std::regex row(R"(\|\s*0x([0-9A-F]{2})\s*\|\s*(\d)\s*\|)");
  std::set<unsigned> documented;
  unsigned bytes = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), row), end; it != end; ++it) {
    documented.insert(static_cast<unsigned>(std::stoul((*it)[1].str(), nullptr, 16)));
    bytes += static_cast<unsigned>(std::stoul((*it)[2].str()));
  }
  EXPECT_EQ(bytes, ctx::kRecordBytes);
  for (unsigned offset : {ctx::kSequence, ctx::kSourceVector, ctx::kCount, ctx::kFlags, ctx::kFirstTime,
                          ctx::kLastTime, ctx::kPrevStepTime, ctx::kPredictedNext, ctx::kPatternMask, ctx::kDropped}) {
    EXPECT_TRUE(documented.count(offset)) << "record field at byte " << offset << " is not documented";
  }
}

}  // namespace
}  // namespace irqshape::isu::regs
