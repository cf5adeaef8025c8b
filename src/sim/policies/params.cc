#include "sim/policies/params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <charconv>

#include "isd/units.h"

namespace irqshape::sim {

std::string ClassSet::str() const {
  std::string s;
  for (SourceKind c : kSourceKinds) {
    if (!contains(c)) continue;
    if (!s.empty()) s += '+';
    s += to_string(c);
  }
  return s.empty() ? "none" : s;
}

std::optional<ClassSet> ClassSet::parse(std::string_view text) {
  if (text == "none") return ClassSet{};
  if (text == "all") return ClassSet{SourceKind::block, SourceKind::net, SourceKind::timer, SourceKind::other};
  ClassSet set;
  while (true) {
    const auto plus = text.find('+');
    const std::string_view word = text.substr(0, plus);
    bool found = false;
    for (SourceKind c : kSourceKinds) {
      if (word == to_string(c)) {
        set.bits_ |= bit(c);
        found = true;
      }
    }
    if (!found) return std::nullopt;
    if (plus == std::string_view::npos) return set;
    text.remove_prefix(plus + 1);
  }
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::string> ParamReader::value_of(const std::string& key) {
  known_.push_back(key);
  const auto it = rest_.find(key);
  if (it == rest_.end()) return std::nullopt;
  std::string v = std::move(it->second);
  rest_.erase(it);
  return v;
}

void ParamReader::problem(const std::string& key, const std::string& why) {
  if (!error_) error_ = make_error("policy \"{}\": parameter \"{}\": {}", policy_, key, why);
}

void ParamReader::fail(const std::string& key, const std::string& why) { problem(key, why); }

void ParamReader::take_uint(const std::string& key, std::uint64_t& out, std::uint64_t min, std::uint64_t max) {
  const auto text = value_of(key);
  if (!text) return;
  const auto v = parse_uint(*text);
  if (!v) return problem(key, fmt::format("\"{}\" is not a non-negative integer", *text));
  if (*v < min || *v > max) return problem(key, fmt::format("{} is out of range {}..{}", *v, min, max));
  out = *v;
}

void ParamReader::take_uint(const std::string& key, std::uint32_t& out, std::uint32_t min, std::uint32_t max) {
  std::uint64_t v = out;
  take_uint(key, v, min, max);
  out = static_cast<std::uint32_t>(v);
}

void ParamReader::take_bool(const std::string& key, bool& out) {
  const auto text = value_of(key);
  if (!text) return;
  if (*text == "1" || *text == "true" || *text == "on" || *text == "yes") {
    out = true;
  } else if (*text == "0" || *text == "false" || *text == "off" || *text == "no") {
    out = false;
  } else {
    problem(key, fmt::format("\"{}\" is not a boolean (0/1, true/false, on/off, yes/no)", *text));
  }
}

void ParamReader::take_classes(const std::string& key, ClassSet& out) {
  const auto text = value_of(key);
  if (!text) return;
  const auto set = ClassSet::parse(*text);
  if (!set) {
    return problem(key, fmt::format("\"{}\" is not a '+'-separated list of block, net, timer, other (or all, none)",
                                    *text));
  }
  out = *set;
}

void ParamReader::take_duration(const std::string& key, std::optional<std::uint64_t>& out,
                                Status (*check)(std::uint64_t)) {
  const auto text = value_of(key);
  if (!text) return;
  const auto v = isd::parse_duration(*text);
  if (!v) return problem(key, v.message());  // it quotes the text
  if (Status s = check(*v); !s) return problem(key, s.message());
  out = *v;
}

void ParamReader::take_choice(const std::string& key, unsigned& out, std::initializer_list<std::string_view> choices) {
  const auto text = value_of(key);
  if (!text) return;
  unsigned i = 0;
  for (std::string_view c : choices) {
    if (*text == c) {
      out = i;
      return;
    }
    ++i;
  }
  problem(key, fmt::format("\"{}\" is not one of {}", *text, fmt::join(choices, ", ")));
}

Status ParamReader::finish() const {
  if (error_) return *error_;
  if (!rest_.empty()) {
    if (known_.empty()) return make_error("policy \"{}\": unknown parameter \"{}\" (it takes none)", policy_,
                                          rest_.begin()->first);
    return make_error("policy \"{}\": unknown parameter \"{}\" (known: {})", policy_, rest_.begin()->first,
                      fmt::join(known_, ", "));
  }
  return {};
}

}  // namespace irqshape::sim
