// JSON text that never throws: names that reach JSON output come from traces and config
// files, and may be invalid UTF-8; nlohmann's dump() throws on those by default (and an
// uncaught throw aborts the program after part of its output is written). Invalid bytes
// become U+FFFD instead. Every JSON writer uses this.
#pragma once

#include <string>

namespace irqshape {

template <typename Json>
[[nodiscard]] std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace irqshape
