// Option values checked while the command line is parsed, by the parser the command will
// use on them, so that a malformed value is a usage error (exit 2) naming the option, like
// any other CLI11 rejects, and not a run-time failure after other work has started.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <utility>

namespace irqshape::cli {

// A validator from `parse(text)`, which returns a Result or a Status. CLI11 puts the
// option's name before the message, so a leading `name` the parser's own message starts
// with ("--shard \"5/2\": ...") is left out rather than said twice.
template <typename Parse>
CLI::Validator checked_by(const std::string& name, Parse parse) {
  return CLI::Validator(
      [name, parse = std::move(parse)](std::string& text) -> std::string {
        const auto r = parse(text);
        if (r) return {};
        std::string message = r.message();
        if (message.starts_with(name + " "))
          message.erase(0, name.size() + 1);
        else if (message.starts_with(name + ": "))
          message.erase(0, name.size() + 2);
        return message;
      },
      "");
}

}  // namespace irqshape::cli
