#include "isd/units.h"

#include <fmt/format.h>

#include <numeric>
#include <optional>

namespace irqshape::isd {

namespace {

__extension__ using u128 = unsigned __int128;  // __extension__: not ISO C++, but GCC and clang have it

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses "123" or "12.345" scaled by `scale` (a power of ten), exactly. Returns nullopt
// on overflow or if the fraction is finer than 1/scale.
std::optional<std::uint64_t> scaled_number(std::string_view digits, std::uint64_t scale, std::string& why) {
  std::uint64_t whole = 0;
  std::size_t i = 0;
  for (; i < digits.size() && is_digit(digits[i]); ++i) {
    if (whole > (~std::uint64_t{0} - 9) / 10) {
      why = "too large";
      return std::nullopt;
    }
    whole = whole * 10 + static_cast<std::uint64_t>(digits[i] - '0');
  }
  if (i == 0) {
    why = "expected a number";
    return std::nullopt;
  }
  std::uint64_t frac = 0, frac_scale = 1;
  if (i < digits.size() && digits[i] == '.') {
    ++i;
    const std::size_t start = i;
    for (; i < digits.size() && is_digit(digits[i]); ++i) {
      if (frac_scale >= scale) {
        if (digits[i] != '0') {
          why = "finer than a nanosecond";
          return std::nullopt;
        }
        continue;
      }
      frac = frac * 10 + static_cast<std::uint64_t>(digits[i] - '0');
      frac_scale *= 10;
    }
    if (i == start) {
      why = "expected digits after '.'";
      return std::nullopt;
    }
  }
  if (i != digits.size()) {
    why = "expected a number";
    return std::nullopt;
  }
  if (whole > ~std::uint64_t{0} / scale) {
    why = "too large";
    return std::nullopt;
  }
  return whole * scale + frac * (scale / frac_scale);
}

struct Unit {
  std::string_view name;
  std::uint64_t ns;
};
constexpr Unit kUnits[] = {{"ns", 1}, {"us", kNsPerUs}, {"\xC2\xB5s", kNsPerUs}, {"ms", kNsPerMs}, {"s", kNsPerS}};

}  // namespace

Result<std::uint64_t> parse_duration(std::string_view text) {
  const std::string_view t = trim(text);
  std::size_t split = 0;
  while (split < t.size() && (is_digit(t[split]) || t[split] == '.')) ++split;
  const std::string_view number = t.substr(0, split), unit = trim(t.substr(split));
  if (number.empty()) return make_error("\"{}\" is not a duration (expected e.g. 250us, 4ms, 1.5s)", text);
  if (unit.empty()) return make_error("\"{}\" has no unit (write ns, us, ms or s)", text);
  for (const Unit& u : kUnits) {
    if (unit != u.name) continue;
    std::string why;
    const auto v = scaled_number(number, u.ns, why);
    if (!v) return make_error("\"{}\": {}", text, why);
    return *v;
  }
  return make_error("\"{}\": unknown unit \"{}\" (write ns, us, ms or s)", text, unit);
}

std::string format_duration(std::uint64_t ns) {
  // The largest unit not above the value, with as many decimals as it takes to be exact
  // (4885747100 -> "4.8857471s", not "4885747.1us").
  for (const std::uint64_t unit : {kNsPerS, kNsPerMs, kNsPerUs}) {
    if (ns < unit) continue;
    const std::uint64_t whole = ns / unit;
    const char* name = unit == kNsPerS ? "s" : unit == kNsPerMs ? "ms" : "us";
    if (ns % unit == 0) return fmt::format("{}{}", whole, name);
    const int width = unit == kNsPerS ? 9 : unit == kNsPerMs ? 6 : 3;
    std::string digits = fmt::format("{:0{}}", ns % unit, width);
    while (digits.back() == '0') digits.pop_back();
    return fmt::format("{}.{}{}", whole, digits, name);
  }
  return fmt::format("{}ns", ns);
}

Result<Rate> parse_rate(std::string_view text) {
  const std::string_view t = trim(text);
  const std::size_t slash = t.find('/');
  const std::string_view number = trim(t.substr(0, slash));
  // The count exactly, as count / scale: "0.5" is 5 / 10 (trailing zeros do not count).
  std::uint64_t scale = 1;
  if (const std::size_t dot = number.find('.'); dot != std::string_view::npos) {
    std::size_t end = number.size();
    while (end > dot + 1 && number[end - 1] == '0') --end;
    for (std::size_t i = dot + 1; i < end; ++i) {
      if (scale > ~std::uint64_t{0} / 10)
        return make_error("\"{}\" is not a rate (expected e.g. 1000/s, 20/ms, 50/window): too many decimals", text);
      scale *= 10;
    }
  }
  std::string why;
  const auto count = scaled_number(number, scale, why);
  if (!count) return make_error("\"{}\" is not a rate (expected e.g. 1000/s, 20/ms, 50/window): {}", text, why);
  const std::string_view per = slash == std::string_view::npos ? "window" : trim(t.substr(slash + 1));
  if (per == "window") {
    if (scale != 1) return make_error("\"{}\": a count per rate window is a whole number", text);
    return Rate{*count, 0};
  }
  // "/s", "/ms", "/us", "/ns", or per a duration: "/2us", "/100ms".
  std::optional<std::uint64_t> per_ns;
  for (const Unit& u : kUnits)
    if (per == u.name) per_ns = u.ns;
  if (!per_ns && !per.empty() && is_digit(per.front())) {
    auto d = parse_duration(per);
    if (!d) return make_error("\"{}\": per {}", text, d.message());
    if (*d == 0) return make_error("\"{}\": per 0ns is not a rate", text);
    per_ns = *d;
  }
  if (!per_ns) return make_error("\"{}\": unknown rate unit \"/{}\" (write /s, /ms, /us, /window or /DURATION)", text, per);
  // count / scale events per per_ns is count / g events per per_ns * (scale / g).
  const std::uint64_t g = std::gcd(*count, scale);  // scale >= 1, so g >= 1
  const u128 span = static_cast<u128>(*per_ns) * (scale / g);
  if (span > ~std::uint64_t{0}) return make_error("\"{}\": too many decimals to represent exactly", text);
  return Rate{*count / g, static_cast<std::uint64_t>(span)};
}

std::string format_rate(const Rate& rate) {
  if (rate.per_ns == 0) return fmt::format("{}/window", rate.count);
  for (const Unit& u : kUnits)
    if (rate.per_ns == u.ns && u.name != "\xC2\xB5s") return fmt::format("{}/{}", rate.count, u.name);
  return fmt::format("{}/{}", rate.count, format_duration(rate.per_ns));
}

std::optional<std::uint64_t> per_window(const Rate& rate, std::uint64_t window_ns, bool round_up) {
  if (rate.per_ns == 0) return rate.count;
  const u128 product = static_cast<u128>(rate.count) * window_ns;
  u128 q = product / rate.per_ns;
  if (round_up && product % rate.per_ns != 0) ++q;
  if (q > ~std::uint64_t{0}) return std::nullopt;
  return static_cast<std::uint64_t>(q);
}

}  // namespace irqshape::isd
