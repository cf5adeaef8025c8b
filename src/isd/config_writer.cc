// Writes a Config as a TOML file that parse_config reads back to the same configuration:
// the format `irqshape learn` produces for people to edit.
#include <fmt/format.h>

#include "isd/config.h"

namespace irqshape::isd {

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) out += fmt::format("\\u{:04X}", c);
        else out += ch;
    }
  }
  return out + "\"";
}

std::string key(std::string_view k) {
  const bool bare = !k.empty() && k.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
                                      std::string_view::npos;
  return bare ? std::string(k) : quote(k);
}

void comment(std::string& out, const std::vector<std::string>& lines) {
  for (const std::string& text : lines) {
    std::size_t start = 0;
    do {
      const std::size_t nl = text.find('\n', start);
      const std::string_view line = std::string_view(text).substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      out += line.empty() ? "#\n" : fmt::format("# {}\n", line);
      start = nl == std::string::npos ? text.size() + 1 : nl + 1;
    } while (start <= text.size());
  }
}

std::string time_value(std::uint64_t ns) {
  if (ns % kNsPerUs == 0) return fmt::format("{}", ns / kNsPerUs);  // rx-usecs is in microseconds
  return quote(format_duration(ns));
}

void unit(std::string& out, const UnitSettings& u) {
  if (!u.history_log2 && !u.context_log2 && !u.rate_window_ns && !u.prediction_shift) return;
  out += "[unit]\n";
  if (u.history_log2) out += fmt::format("history = {}\n", 1u << u.history_log2->value);
  if (u.context_log2) out += fmt::format("context-slots = {}\n", 1u << u.context_log2->value);
  if (u.rate_window_ns) out += fmt::format("rate-window = {}\n", quote(format_duration(u.rate_window_ns->value)));
  if (u.prediction_shift) out += fmt::format("prediction-shift = {}\n", u.prediction_shift->value);
  out += "\n";
}

void adapt(std::string& out, const std::optional<AdaptSettings>& a) {
  if (!a) return;
  out += "[adapt]\n";
  out += fmt::format("max-added-p99 = {}\n", quote(format_duration(a->max_added_p99_ns.value)));
  if (a->period_ns) out += fmt::format("period = {}\n", quote(format_duration(a->period_ns->value)));
  out += "\n";
}

void source(std::string& out, const SourceSettings& s) {
  comment(out, s.comment);
  out += fmt::format("[source.{}]\n", key(s.name));
  if (s.match) out += fmt::format("match = {}\n", quote(s.match->value));
  if (s.time_ns) out += fmt::format("rx-usecs = {}\n", time_value(s.time_ns->value));
  if (s.frames) out += fmt::format("rx-frames = {}\n", s.frames->value);
  if (s.coalesce) out += fmt::format("coalesce = {}\n", s.coalesce->value);
  if (s.adaptive) out += fmt::format("adaptive-rx = {}\n", s.adaptive->value);
  if (s.storm_limit) {
    const Rate& r = s.storm_limit->value;
    out += r.per_ns == 0 ? fmt::format("storm-limit = {}\n", r.count) : fmt::format("storm-limit = {}\n", quote(format_rate(r)));
  }
  if (s.storm_action) out += fmt::format("storm-action = \"{}\"\n", s.storm_action->value == StormAction::drop ? "drop" : "defer");
  if (s.raise_vector) out += fmt::format("raise-vector = 0x{:02X}\n", s.raise_vector->value);
  if (s.lower_vector) out += fmt::format("lower-vector = 0x{:02X}\n", s.lower_vector->value);
  out += "\n";
}

void rule(std::string& out, const RuleSettings& r) {
  comment(out, r.comment);
  out += "[[rule]]\n";
  out += fmt::format("name = {}\n", quote(r.name));
  out += fmt::format("{} = {}\n", r.condition.kind == ConditionKind::sequence ? "sequence" : "when",
                     quote(format_condition(r.condition)));
  std::string actions;
  for (const std::string& a : action_names(r.actions)) actions += fmt::format("{}\"{}\"", actions.empty() ? "" : ", ", a);
  out += fmt::format("actions = [{}]\n", actions);
  if (!r.enabled) out += "enabled = false\n";
  out += "\n";
}

}  // namespace

std::string write_config(const Config& config) {
  std::string out;
  comment(out, config.comment);
  if (!config.comment.empty()) out += "\n";
  unit(out, config.unit);
  adapt(out, config.adapt);
  for (const SourceSettings& s : config.sources) source(out, s);
  for (const RuleSettings& r : config.rules) rule(out, r);
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

}  // namespace irqshape::isd
