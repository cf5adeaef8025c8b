// JSON lines: one JSON object per line (https://jsonlines.org), flushed line by line so
// a reader tailing the file sees whole records.
#pragma once

#include <cstdint>
#include <ostream>

#include <nlohmann/json.hpp>

namespace irqshape::exporter {

class JsonLinesWriter {
 public:
  explicit JsonLinesWriter(std::ostream& out) : out_(out) {}

  void write(const nlohmann::json& record) {
    // Replace invalid UTF-8 rather than throw: a source name from a hostile trace must
    // not stop the export.
    out_ << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    out_.flush();
    ++lines_;
  }
  [[nodiscard]] std::uint64_t lines() const { return lines_; }

 private:
  std::ostream& out_;
  std::uint64_t lines_ = 0;
};

}  // namespace irqshape::exporter
