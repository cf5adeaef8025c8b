#include "export/prometheus_writer.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace irqshape::exporter {

namespace {

bool name_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return alpha || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, colon)) return false;
  return true;
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

// The exposition format is UTF-8: one invalid byte in a label value (a source name from
// a trace) would make Prometheus reject the whole scrape, so each invalid byte becomes
// U+FFFD, and `escape` maps the valid characters.
template <typename Escape>
std::string utf8_escaped(std::string_view text, Escape&& escape) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else if (n == 1) {
      escape(out, text[i++]);
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string_view type_name(MetricType t) {
  switch (t) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
    case MetricType::untyped: break;
  }
  return "untyped";
}

}  // namespace

bool PrometheusWriter::valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool PrometheusWriter::valid_label_name(std::string_view name) {
  return valid_name(name, false) && !(name.size() >= 2 && name[0] == '_' && name[1] == '_');  // __ is reserved
}

std::string PrometheusWriter::escape_label_value(std::string_view value) {
  return utf8_escaped(value, [](std::string& out, char c) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  });
}

std::string PrometheusWriter::escape_help(std::string_view help) {
  return utf8_escaped(help, [](std::string& out, char c) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  });
}

std::string PrometheusWriter::format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Integral values (counters) print without an exponent up to 2^53, where doubles stop
  // being exact; fmt's shortest round-trip form otherwise.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) return fmt::format("{:.0f}", value);
  return fmt::format("{}", value);
}

Status PrometheusWriter::family(std::string_view name, MetricType type, std::string_view help) {
  // A refused family is current until the next one: its samples are refused too, rather
  // than written into the family before it.
  refused_ = true;
  if (!valid_metric_name(name)) return make_error("prometheus: invalid metric name \"{}\"", name);
  if (std::find(seen_.begin(), seen_.end(), name) != seen_.end())
    return make_error("prometheus: metric family \"{}\" written twice", name);
  refused_ = false;
  seen_.emplace_back(name);
  family_ = name;
  type_ = type;
  text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type_name(type));
  return {};
}

Status PrometheusWriter::write_sample(std::string_view name, const Labels& labels,
                                      const std::pair<std::string, std::string>* extra, double value) {
  std::string line(name);
  if (!labels.empty() || extra != nullptr) {
    line += '{';
    bool first = true;
    auto add = [&](const std::pair<std::string, std::string>& l) -> Status {
      if (!valid_label_name(l.first)) return make_error("prometheus: invalid label name \"{}\"", l.first);
      // Prometheus refuses a whole scrape with a label name twice in one sample.
      for (const auto& other : labels) {
        if (&other == &l) break;
        if (other.first == l.first) return make_error("prometheus: \"{}\": label \"{}\" given twice", name, l.first);
      }
      if (!first) line += ',';
      first = false;
      line += fmt::format("{}=\"{}\"", l.first, escape_label_value(l.second));
      return {};
    };
    for (const auto& l : labels)
      if (auto s = add(l); !s) return s;
    if (extra != nullptr)
      if (auto s = add(*extra); !s) return s;
    line += '}';
  }
  text_ += fmt::format("{} {}\n", line, format_value(value));
  return {};
}

Status PrometheusWriter::current_family() const {
  if (refused_) return make_error("prometheus: sample of a family that was refused");
  if (family_.empty()) return make_error("prometheus: sample written before any family");
  return {};
}

Status PrometheusWriter::sample(const Labels& labels, double value, std::string_view suffix) {
  if (auto s = current_family(); !s) return s;
  // In a histogram family `le` is the bucket's bound, which histogram() writes.
  if (type_ == MetricType::histogram)
    for (const auto& l : labels)
      if (l.first == "le") return make_error("prometheus: histogram \"{}\": label \"le\" is reserved", family_);
  return write_sample(family_ + std::string(suffix), labels, nullptr, value);
}

Status PrometheusWriter::histogram(const Labels& labels, std::span<const double> upper_bounds,
                                   std::span<const std::uint64_t> counts, double sum) {
  if (auto s = current_family(); !s) return s;
  if (type_ != MetricType::histogram) return make_error("prometheus: \"{}\" is not a histogram", family_);
  if (counts.size() != upper_bounds.size() + 1)
    return make_error("prometheus: histogram \"{}\": {} counts for {} bounds", family_, counts.size(), upper_bounds.size());
  // Bucket bounds are finite and strictly increasing (+Inf is the last bucket's, written
  // here): Prometheus refuses a scrape with a bound twice or out of order.
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i]))
      return make_error("prometheus: histogram \"{}\": bound {} is {}, not finite", family_, i,
                        format_value(upper_bounds[i]));
    if (i > 0 && !(upper_bounds[i] > upper_bounds[i - 1]))
      return make_error("prometheus: histogram \"{}\": bound {} ({}) does not exceed the one before ({})", family_, i,
                        format_value(upper_bounds[i]), format_value(upper_bounds[i - 1]));
  }
  for (const auto& l : labels)
    if (l.first == "le") return make_error("prometheus: histogram \"{}\": label \"le\" is reserved", family_);
  std::uint64_t cumulative = 0;
  const std::string bucket = family_ + "_bucket";
  for (std::size_t i = 0; i <= upper_bounds.size(); ++i) {
    cumulative += counts[i];
    const std::pair<std::string, std::string> le{"le", i < upper_bounds.size() ? format_value(upper_bounds[i]) : "+Inf"};
    if (auto s = write_sample(bucket, labels, &le, static_cast<double>(cumulative)); !s) return s;
  }
  if (auto s = write_sample(family_ + "_sum", labels, nullptr, sum); !s) return s;
  return write_sample(family_ + "_count", labels, nullptr, static_cast<double>(cumulative));
}

}  // namespace irqshape::exporter
