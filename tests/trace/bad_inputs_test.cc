// The corpus of malformed inputs (tests/trace/bad, written by make_bad_inputs.py plus
// fuzzer finds): each must fail with exactly the message in its .expected sidecar,
// naming the file and the line or byte offset.
#include <gtest/gtest.h>

#include "test_util.h"
#include "trace/stats.h"

namespace irqshape::trace {
namespace {

namespace fs = std::filesystem;

std::string outcome(const std::string& path) {
  auto r = open_trace(path);
  if (!r) return r.message();
  auto s = compute_stats(**r);  // reads everything, and exercises the views on the way
  return s ? "read without error" : s.message();
}

TEST(BadInputs, EachFailsWithItsExpectedMessage) {
  const fs::path dir = testing::fixture_dir() / "bad";
  std::vector<fs::path> inputs;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = e.path().extension();
    if (ext != ".expected" && ext != ".py" && ext != ".md") inputs.push_back(e.path());
  }
  std::sort(inputs.begin(), inputs.end());
  ASSERT_GE(inputs.size(), 30u);
  for (const auto& in : inputs) {
    const fs::path sidecar = in.string() + ".expected";
    ASSERT_TRUE(fs::exists(sidecar)) << in << " has no .expected file";
    std::string expected = testing::read_file(sidecar);
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    EXPECT_EQ(outcome(in.string()), expected) << in;
  }
}

}  // namespace
}  // namespace irqshape::trace
