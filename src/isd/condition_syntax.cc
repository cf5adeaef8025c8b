#include "isd/condition_syntax.h"

#include <array>
#include <vector>

#include <fmt/format.h>

namespace irqshape::isd {

namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

class Cursor {
 public:
  Cursor(std::string_view text, const StringLocator& where, ConditionParse& out) : text_(text), where_(where), out_(out) {}

  void skip() {
    while (pos_ < text_.size() && blank(text_[pos_])) ++pos_;
  }
  bool at_end() {
    skip();
    return pos_ >= text_.size();
  }
  bool eat(std::string_view token) {
    skip();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  // Letters, digits and '-' (a function name).
  std::string_view word() {
    skip();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-')) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // Everything up to (not including) one of `stops`, trimmed; `start` receives its offset.
  std::string_view until(std::string_view stops, std::size_t& start) {
    skip();
    start = pos_;
    while (pos_ < text_.size() && stops.find(text_[pos_]) == std::string_view::npos) ++pos_;
    std::size_t end = pos_;
    while (end > start && blank(text_[end - 1])) --end;
    return text_.substr(start, end - start);
  }
  std::size_t pos() const { return pos_; }

  ConditionParse& fail(std::size_t offset, std::string message) {
    out_.ok = false;
    out_.at = where_.at(offset);
    out_.message = std::move(message);
    return out_;
  }

 private:
  std::string_view text_;
  const StringLocator& where_;
  ConditionParse& out_;
  std::size_t pos_ = 0;
};

std::string_view trim(std::string_view s, std::size_t& offset) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1), ++offset;
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// One "within ..." clause; `offset` is where `text` starts inside the whole string.
bool parse_window(std::string_view text, std::size_t offset, SequenceStep& step, Cursor& c) {
  const std::size_t dots = text.find("..");
  std::size_t lo_off = offset, hi_off = offset;
  std::string_view lo, hi = text;
  if (dots != std::string_view::npos) {
    lo = trim(text.substr(0, dots), lo_off);
    hi_off = offset + dots + 2;
    hi = trim(text.substr(dots + 2), hi_off);
  }
  if (dots != std::string_view::npos) {
    auto d = parse_duration(lo);
    if (!d) return c.fail(lo_off, d.message()), false;
    step.min_ns = *d;
  }
  auto d = parse_duration(hi);
  if (!d) return c.fail(hi_off, d.message()), false;
  step.max_ns = *d;
  if (step.min_ns > step.max_ns) {
    c.fail(offset, fmt::format("window {}: the minimum is above the maximum (COMMIT_STATUS BAD_WINDOW)", text));
    return false;
  }
  if (step.max_ns > kMaxTimeNs) {
    c.fail(hi_off, fmt::format("window {}: above the unit's maximum delay of 4.294967295s (PAT_MAXk)", text));
    return false;
  }
  return true;
}

}  // namespace

ConditionParse parse_sequence(std::string_view text, const StringLocator& where) {
  ConditionParse out;
  out.condition.kind = ConditionKind::sequence;
  out.condition.at = where.start;
  Cursor c(text, where, out);
  std::vector<std::pair<std::size_t, std::size_t>> segments;
  for (std::size_t start = 0;;) {
    const std::size_t arrow = text.find("->", start);
    if (arrow == std::string_view::npos) {
      segments.emplace_back(start, text.size());
      break;
    }
    segments.emplace_back(start, arrow);
    start = arrow + 2;
  }
  if (segments.size() < 2) return c.fail(0, "a sequence needs at least 2 steps, e.g. \"nvme0 -> nic0 within 5ms\"");
  if (segments.size() > 8) {
    std::size_t off = segments[8].first;
    while (off < text.size() && blank(text[off])) ++off;
    return c.fail(off, "a pattern has at most 8 steps");
  }
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto [begin, end] = segments[i];
    std::size_t off = begin;
    const std::string_view seg = trim(text.substr(begin, end - begin), off);
    std::size_t name_len = 0;
    while (name_len < seg.size() && !blank(seg[name_len])) ++name_len;
    const std::string_view name = seg.substr(0, name_len);
    if (name.empty()) return c.fail(off, i == 0 ? "expected a source name" : "expected a source name after \"->\"");
    if (name == "*") return c.fail(off, "a sequence step needs a source, not \"*\"");
    SequenceStep step;
    step.source = Located<std::string>{std::string(name), where.at(off)};
    std::size_t rest_off = off + name_len;
    std::string_view rest = trim(seg.substr(name_len), rest_off);
    if (i == 0) {
      if (!rest.empty())
        return c.fail(rest_off, "the first step has no window (windows are delays from the previous step)");
    } else {
      if (rest.empty())
        return c.fail(off, fmt::format("step {} needs a window: \"{} within 5ms\" or \"{} within 4ms..6ms\"", i + 1,
                                                  name, name));
      if (rest.substr(0, 6) != "within" || (rest.size() > 6 && !blank(rest[6])))
        return c.fail(rest_off, fmt::format("expected \"within\" after \"{}\"", name));
      std::size_t win_off = rest_off + 6;
      const std::string_view win = trim(rest.substr(6), win_off);
      if (win.empty()) return c.fail(win_off, "expected a delay after \"within\"");
      step.window_at = where.at(win_off);
      if (!parse_window(win, win_off, step, c)) return out;
    }
    out.condition.steps.push_back(std::move(step));
  }
  out.ok = true;
  return out;
}

ConditionParse parse_when(std::string_view text, const StringLocator& where) {
  ConditionParse out;
  out.condition.at = where.start;
  Cursor c(text, where, out);
  c.skip();
  const std::size_t fn_off = c.pos();
  const std::string_view fn = c.word();
  Condition& cond = out.condition;
  if (fn == "rate") cond.kind = ConditionKind::rate_above;
  else if (fn == "periodic") cond.kind = ConditionKind::periodic;
  else if (fn == "off-prediction") cond.kind = ConditionKind::off_prediction;
  else if (fn == "always") cond.kind = ConditionKind::always;
  else
    return c.fail(fn_off, fmt::format("unknown condition \"{}\" (expected rate(...), periodic(...), off-prediction(...) "
                                      "or always(...))", fn.empty() ? text : fn));
  if (!c.eat("(")) return c.fail(c.pos(), fmt::format("expected \"(\" after \"{}\"", fn));
  std::size_t src_off = 0;
  const std::string_view src = c.until(",)", src_off);
  if (src.empty() && cond.kind != ConditionKind::always)
    return c.fail(src_off, fmt::format("{}(...) needs a source (or * for any source)", fn));
  if (!src.empty() && src != "*" && src != "any")
    cond.source = Located<std::string>{std::string(src), where.at(src_off)};

  switch (cond.kind) {
    case ConditionKind::always:
    case ConditionKind::rate_above:
      if (!c.eat(")")) return c.fail(c.pos(), "expected \")\"");
      break;
    default:
      if (!c.eat(",")) return c.fail(c.pos(), fmt::format("expected \",\" and a {} after the source", fn == "periodic" ? "jitter bound" : "tolerance"));
      break;
  }
  if (cond.kind == ConditionKind::rate_above) {
    if (c.eat(">")) cond.kind = ConditionKind::rate_above;
    else if (c.eat("<")) cond.kind = ConditionKind::rate_below;
    else return c.fail(c.pos(), "expected \">\" or \"<\" after rate(...)");
    if (c.eat("=")) return c.fail(c.pos() - 1, "use > or < (the unit compares strictly)");
    std::size_t v_off = 0;
    const std::string_view v = c.until("", v_off);
    auto rate = parse_rate(v);
    if (!rate) return c.fail(v_off, rate.message());
    if (cond.kind == ConditionKind::rate_below && rate->count == 0) return c.fail(v_off, "rate(...) < 0 never holds");
    cond.rate = *rate;
  } else if (cond.kind == ConditionKind::periodic || cond.kind == ConditionKind::off_prediction) {
    if (cond.kind == ConditionKind::periodic) {
      c.skip();
      const std::size_t j_off = c.pos();
      if (!c.eat("jitter")) return c.fail(j_off, "expected \"jitter < DURATION\", e.g. periodic(timer, jitter < 50us)");
      if (!c.eat("<")) return c.fail(c.pos(), "expected \"<\" or \"<=\" after \"jitter\"");
      (void)c.eat("=");  // both program PARAM = bound: the unit tests deviation <= PARAM
    }
    std::size_t d_off = 0;
    const std::string_view d = c.until(")", d_off);
    auto ns = parse_duration(d);
    if (!ns) return c.fail(d_off, ns.message());
    if (*ns > 0xFFFF'FFFFull) return c.fail(d_off, fmt::format("{} is above the unit's maximum of 4.294967295s (RULE_PARAM)", d));
    cond.ns = *ns;
    if (!c.eat(")")) return c.fail(c.pos(), "expected \")\"");
  }
  if (!c.at_end()) return c.fail(c.pos(), "unexpected text after the condition");
  out.ok = true;
  return out;
}

std::optional<Action> parse_action(std::string_view name) {
  if (name == "raise-priority") return kRaisePriority;
  if (name == "lower-priority") return kLowerPriority;
  if (name == "augment") return kAugment;
  if (name == "coalesce") return kCoalesce;
  if (name == "urgent") return kUrgent;
  return std::nullopt;
}

std::string_view action_name(Action a) {
  switch (a) {
    case kRaisePriority: return "raise-priority";
    case kLowerPriority: return "lower-priority";
    case kAugment: return "augment";
    case kCoalesce: return "coalesce";
    case kUrgent: return "urgent";
  }
  return "?";
}

std::vector<std::string> action_names(std::uint32_t actions) {
  std::vector<std::string> names;
  for (const Action a : {kRaisePriority, kLowerPriority, kAugment, kCoalesce, kUrgent})
    if ((actions & a) != 0) names.emplace_back(action_name(a));
  return names;
}

std::string format_condition(const Condition& c) {
  const std::string src = c.source ? c.source->value : "*";
  switch (c.kind) {
    case ConditionKind::sequence: {
      std::string s;
      for (std::size_t i = 0; i < c.steps.size(); ++i) {
        const SequenceStep& st = c.steps[i];
        if (i == 0) {
          s += st.source.value;
          continue;
        }
        s += fmt::format(" -> {} within ", st.source.value);
        if (st.min_ns != 0) s += format_duration(st.min_ns) + "..";
        s += format_duration(st.max_ns);
      }
      return s;
    }
    case ConditionKind::always: return fmt::format("always({})", src);
    case ConditionKind::rate_above:
    case ConditionKind::rate_below:
      return fmt::format("rate({}) {} {}", src, c.kind == ConditionKind::rate_above ? '>' : '<',
                         c.rate.per_ns == 0 ? fmt::format("{}", c.rate.count) : format_rate(c.rate));
    case ConditionKind::periodic: return fmt::format("periodic({}, jitter < {})", src, format_duration(c.ns));
    case ConditionKind::off_prediction: return fmt::format("off-prediction({}, {})", src, format_duration(c.ns));
  }
  return {};
}

}  // namespace irqshape::isd
