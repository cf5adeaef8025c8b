// Prometheus text exposition format 0.0.4 (what a /metrics endpoint serves):
//
//   # HELP irqshape_isu_interrupts_in_total Interrupts the unit received.
//   # TYPE irqshape_isu_interrupts_in_total counter
//   irqshape_isu_interrupts_in_total{source="nvme0q1"} 123
//
// A writer collects families in order; each family() starts one (HELP and TYPE lines)
// and the samples that follow belong to it. Names and label names are checked against
// the format's grammar, label values and help texts are escaped, so whatever a source
// is called the output stays parseable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace irqshape::exporter {

enum class MetricType { counter, gauge, histogram, untyped };

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusWriter {
 public:
  // Starts a family. Counters should end in "_total" (the convention; not enforced). A
  // family that is refused (an invalid name, or one written before) writes nothing, and
  // the samples after it are refused until the next family.
  Status family(std::string_view name, MetricType type, std::string_view help);
  // A sample of the current family: `suffix` is appended to the family name ("" for
  // counters and gauges). A label name given twice is refused, and in a histogram family
  // so is `le` (histogram() writes the buckets).
  Status sample(const Labels& labels, double value, std::string_view suffix = {});
  // A histogram sample of the current (histogram) family: `upper_bounds` (seconds,
  // finite and strictly increasing, without +Inf) and per-bucket (not cumulative) counts,
  // one more count than bounds for the +Inf bucket; writes _bucket{le=...} cumulatively,
  // _sum, _count.
  Status histogram(const Labels& labels, std::span<const double> upper_bounds, std::span<const std::uint64_t> counts,
                   double sum);

  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] std::string take() { return std::move(text_); }

  static bool valid_metric_name(std::string_view name);
  static bool valid_label_name(std::string_view name);
  static std::string escape_label_value(std::string_view value);
  static std::string escape_help(std::string_view help);
  static std::string format_value(double value);

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  Status write_sample(std::string_view name, const Labels& labels, const std::pair<std::string, std::string>* extra,
                      double value);
  [[nodiscard]] Status current_family() const;

  std::string text_;
  std::string family_;
  MetricType type_ = MetricType::untyped;
  bool refused_ = false;  // the last family() failed
  std::vector<std::string> seen_;
};

}  // namespace irqshape::exporter
