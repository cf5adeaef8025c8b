// JSON lines: one JSON object per line (https://jsonlines.org), flushed line by line so
// a reader tailing the file sees whole records.
#pragma once

#include <cstdint>
#include <ostream>

#include <nlohmann/json.hpp>

#include "base/json_text.h"

namespace irqshape::exporter {

class JsonLinesWriter {
 public:
  explicit JsonLinesWriter(std::ostream& out) : out_(out) {}

  void write(const nlohmann::json& record) {
    out_ << json_text(record) << '\n';  // (invalid UTF-8 in a name is replaced, not thrown)
    out_.flush();
    ++lines_;
  }
  [[nodiscard]] std::uint64_t lines() const { return lines_; }

 private:
  std::ostream& out_;
  std::uint64_t lines_ = 0;
};

}  // namespace irqshape::exporter
