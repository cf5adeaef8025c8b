#include "sim/policies/registry.h"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/policies/cinterrupts_policy.h"
#include "sim/policies/dim_policy.h"
#include "sim/policies/isd_programmer.h"
#include "sim/policies/isu_policy.h"
#include "sim/policies/none_policy.h"
#include "sim/policies/params.h"
#include "sim/policies/static_policy.h"
#include "sim/policies/vic_policy.h"

namespace irqshape::sim {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Reads the parameters of `Params` and builds `P` from them.
template <typename P, typename Params>
Result<std::unique_ptr<Policy>> build(const PolicySpec& spec) {
  ParamReader reader(spec.name, spec.params);
  Result<Params> params = Params::read(reader);
  if (!params) return params.error();
  return std::unique_ptr<Policy>(std::make_unique<P>(*params));
}

// The ISU, programmed by the ISD from the .toml file of the spec, or with the ISD's
// defaults per source kind; adapting to a latency budget when the file's [adapt] table
// or the parameters (max-added-p99, adapt-period) ask for it. A file is read and checked
// here, so that a syntax error or an unknown key fails at once; what depends on the
// sources is checked by start().
Result<std::unique_ptr<Policy>> make_isu(const PolicySpec& spec) {
  ParamReader reader(spec.name, spec.params);
  std::optional<std::uint64_t> budget, period;
  reader.take_duration("max-added-p99", budget, isd::check_adapt_budget);
  reader.take_duration("adapt-period", period, isd::check_adapt_period);
  if (period && !budget) reader.fail("adapt-period", "needs max-added-p99 (the latency budget to adapt to)");
  if (Status s = reader.finish(); !s) return s.error();
  std::optional<isd::Config> config;
  std::string description = "ISU, programmed by the ISD with its defaults per source kind (isd::default_config)";
  if (!spec.config_file.empty()) {
    auto loaded = isd::load_config(spec.config_file);
    if (!loaded) return loaded.error();
    config = std::move(*loaded);
    description = fmt::format("ISU, programmed by the ISD from {}", spec.config_file);
  }
  std::optional<isd::AdapterOptions> adapt;
  if (config && config->adapt) adapt = isd::adapter_options(*config->adapt);
  if (budget) {
    adapt.emplace();
    adapt->budget_ns = *budget;
    if (period) adapt->period_ns = *period;
  }
  if (adapt) {
    if (Status s = isd::validate(*adapt); !s) return make_error("policy \"isu\": {}", s.message());
    description += fmt::format("; adapting coalescing every {} to an added p99 of at most {} (isd::Adapter)",
                               isd::format_duration(adapt->period_ns), isd::format_duration(adapt->budget_ns));
  }
  return std::unique_ptr<Policy>(
      std::make_unique<IsuPolicy>(std::make_unique<IsdSoftware>(std::move(config), std::move(adapt)), description));
}

}  // namespace

std::string PolicySpec::to_string() const {
  if (!config_file.empty()) return config_file;
  std::string s = name;
  char sep = ':';
  for (const auto& [k, v] : params) {
    s += fmt::format("{}{}={}", sep, k, v);
    sep = ',';
  }
  return s;
}

Result<PolicySpec> parse_policy_spec(const std::string& text) {
  PolicySpec spec;
  if (text.empty()) return make_error("--policy: empty policy name");
  // A policy name is a word of letters, digits, '-' and '_' (the registry's names, or a
  // test factory's). A spec ending in .toml is a file unless it starts with such a word
  // and a colon ("vic:k=v,...,x=1.toml" is parameters; a file named like that is given
  // as ./vic:...). A parsed spec therefore always writes back to a spec that reads the
  // same, whatever the order of its parameters.
  const auto is_name = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
  };
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  if (ends_with(text, ".toml") && !(colon != std::string::npos && is_name(name))) {
    spec.name = "isu";
    spec.config_file = text;
    return spec;
  }
  spec.name = name;
  if (!is_name(spec.name)) {
    return make_error("--policy \"{}\": \"{}\" is not a policy name (letters, digits, '-', '_'; known: {}) "
                      "nor a .toml file",
                      text, spec.name, fmt::join(policy_names(), ", "));
  }
  if (colon == std::string::npos) return spec;
  std::string rest = text.substr(colon + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    const auto comma = rest.find(',', start);
    const std::string item = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto eq = item.find('=');
    if (item.empty() || eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return make_error("--policy \"{}\": expected key=value, got \"{}\"", text, item);
    }
    if (!spec.params.emplace(item.substr(0, eq), item.substr(eq + 1)).second) {
      return make_error("--policy \"{}\": parameter \"{}\" given twice", text, item.substr(0, eq));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return spec;
}

Result<std::unique_ptr<Policy>> make_policy(const PolicySpec& spec) {
  if (spec.name == "none") {
    if (Status s = ParamReader(spec.name, spec.params).finish(); !s) return s.error();
    return std::unique_ptr<Policy>(std::make_unique<NonePolicy>());
  }
  if (spec.name == "static") return build<StaticPolicy, StaticParams>(spec);
  if (spec.name == "dim") return build<DimPolicy, DimParams>(spec);
  if (spec.name == "cinterrupts") return build<CinterruptsPolicy, CinterruptsParams>(spec);
  if (spec.name == "vic") return build<VicPolicy, VicParams>(spec);
  if (spec.name == "isu") return make_isu(spec);
  return make_error("unknown policy \"{}\" (known: {})", spec.name, fmt::join(policy_names(), ", "));
}

std::vector<std::string> policy_names() { return {"none", "static", "dim", "cinterrupts", "vic", "isu"}; }

}  // namespace irqshape::sim
