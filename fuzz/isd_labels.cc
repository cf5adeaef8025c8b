// Fuzzes the labels reader and the teacher behind it: any bytes as a labels file,
// taught against a small fixed trace. Errors are values that name the file; traps
// otherwise.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "isd/teach.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace irqshape;
  static const isd::SourceMap names = isd::SourceMap::from_names({"a", "b", "c"});
  static const std::vector<isd::Event> trace = [] {
    std::vector<isd::Event> ev;
    for (std::uint64_t i = 0; i < 64; ++i) ev.push_back({1'000 + i * 250'000 + (i % 3) * 40'000, static_cast<std::uint32_t>(i % 3)});
    return ev;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto labels = isd::parse_labels(text, "fuzz-labels.toml");
  if (!labels) {
    if (labels.message().rfind("fuzz-labels.toml", 0) != 0) std::abort();
    return 0;
  }
  auto taught = isd::teach(trace, *labels, names);
  if (!taught) {
    if (taught.message().rfind("fuzz-labels.toml", 0) != 0) std::abort();
    return 0;
  }
  for (const isd::TaughtPattern& p : *taught)
    if (p.sources.size() < 2 || p.sources.size() > 8 || p.windows.size() + 1 != p.sources.size()) std::abort();
  return 0;
}
