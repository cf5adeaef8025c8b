// Duration options: one syntax on every command, checked while the command line is parsed,
// so a bad value is a usage error naming the option like any other.
//
// A duration is a number with a unit, as in ISD configuration files (250us, 4ms, 1.5s:
// isd::parse_duration). The length of a run (`demo --duration`, `capture --duration`, ...)
// may also be a bare number of seconds, as timeout(1) and fio take theirs; a delay or a
// budget (`--period 10ms`, `--max-added-p99 50us`) needs its unit, since "50" is as likely
// meant in microseconds as in seconds.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>

#include "cli/option_check.h"
#include "isd/units.h"

namespace irqshape::cli {

struct DurationLimits {
  std::uint64_t min_ns = 0;
  std::uint64_t max_ns = ~std::uint64_t{0};
  bool bare_seconds = false;  // a number without a unit is seconds (run lengths only)
};

// The duration `text` gives, in ns, or why it is not one within `limits`.
inline Result<std::uint64_t> parse_cli_duration(const std::string& text,
                                                const DurationLimits& limits) {
  const std::size_t end = text.find_last_not_of(" \t");
  const bool bare = end != std::string::npos &&
                    (std::isdigit(static_cast<unsigned char>(text[end])) != 0 || text[end] == '.');
  const bool seconds = bare && limits.bare_seconds;
  auto ns = isd::parse_duration(seconds ? text.substr(0, end + 1) + "s" : text);
  if (!ns && seconds) {  // the parser's reason, quoting what was typed, not the text with "s" added
    const std::string added = "\"" + text.substr(0, end + 1) + "s\"";
    std::string message = ns.message();
    if (message.starts_with(added)) message = "\"" + text + "\"" + message.substr(added.size());
    return make_error("{}", message);
  }
  if (!ns) return ns.error();
  if (*ns < limits.min_ns || *ns > limits.max_ns) {
    const std::string low = limits.min_ns == 0 ? "0" : isd::format_duration(limits.min_ns);
    if (limits.max_ns == ~std::uint64_t{0})
      return make_error("\"{}\" is below the shortest allowed, {}", text, low);
    return make_error("\"{}\" is outside {} to {}", text, low, isd::format_duration(limits.max_ns));
  }
  return *ns;
}

// Adds an option taking a duration into `ns` (std::uint64_t, or std::optional of one to
// tell "not given" apart).
template <typename Target>
CLI::Option* add_duration_option(CLI::App* cmd, const std::string& names, Target& ns,
                                 const std::string& description, const DurationLimits& limits) {
  const std::string syntax = limits.bare_seconds
                                 ? "; a duration such as 2s, 500ms or 1.5 (seconds)"
                                 : "; a duration with its unit, such as 50us or 10ms";
  auto* opt = cmd->add_option_function<std::string>(
      names, [&ns, limits](const std::string& text) { ns = *parse_cli_duration(text, limits); },
      description + syntax);
  opt->check(checked_by(
      names, [limits](const std::string& text) { return parse_cli_duration(text, limits); }));
  return opt->type_name("DURATION");
}

}  // namespace irqshape::cli
