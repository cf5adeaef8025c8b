// toml++ tables iterate in key order; people read files top to bottom. Entries in
// document order make the first error reported the first one in the file, and keep
// sources, rules and examples in the order they were written.
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace irqshape::isd {

inline std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (auto&& [key, node] : t) out.emplace_back(&key, &node);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const toml::source_position& x = a.first->source().begin;
    const toml::source_position& y = b.first->source().begin;
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  });
  return out;
}

}  // namespace irqshape::isd
