// Option values checked while the command line is parsed, by the parser the command will
// use on them, so that a malformed value is a usage error (exit 2) naming the option, like
// any other CLI11 rejects, and not a run-time failure after other work has started.
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
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

// CLI11 reads an integer with strtoull/strtoll in base 0: "-1" for an unsigned 64-bit
// option became 2^64 - 1, a value past 64 bits the largest one, and "010" octal 8. This
// check runs first on every integer option (check_integer_options): decimal digits, or 0x
// and hex digits; a minus sign only where the option is signed; a value that fits in 64
// bits (the option's own type may be narrower: CLI11 refuses what it cannot hold). Leading
// zeros of a decimal are dropped, so "010" is 10. Returns the error, or "" (and the text
// normalised).
inline std::string integer_text_error(std::string& text, bool is_signed) {
  std::string digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) {
    if (!is_signed) return "\"" + text + "\" is negative (0..18446744073709551615)";
    digits.erase(0, 1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.erase(0, 2);
  }
  std::uint64_t magnitude = 0;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, magnitude, base);
  if (digits.empty() || ptr != end || ec == std::errc::invalid_argument)
    return "\"" + text + "\" is not a whole number (write it in decimal, or 0x and hex digits)";
  const std::uint64_t limit = !is_signed ? UINT64_MAX : negative ? std::uint64_t{1} << 63 : INT64_MAX;
  if (ec == std::errc::result_out_of_range || magnitude > limit)
    return "\"" + text + "\" is out of range (" +
           (is_signed ? "-9223372036854775808..9223372036854775807" : "0..18446744073709551615") + ")";
  if (base == 10) text = (negative && magnitude != 0 ? "-" : "") + std::to_string(magnitude);
  return {};
}

// Adds integer_text_error's check to every integer option of `app` and its subcommands,
// before their own checks.
inline void check_integer_options(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::string type = opt->get_type_name();
    if (type != "UINT" && type != "INT") continue;
    const bool is_signed = type == "INT";
    opt->transform(CLI::Validator([is_signed](std::string& text) { return integer_text_error(text, is_signed); }, ""));
  }
  for (CLI::App* sub : app.get_subcommands({})) check_integer_options(*sub);
}

}  // namespace irqshape::cli
