#include "sim/policies/registry.h"

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
// defaults per source kind. A file is read and checked here, so that a syntax error or
// an unknown key fails at once; what depends on the sources is checked by start().
Result<std::unique_ptr<Policy>> make_isu(const PolicySpec& spec) {
  if (Status s = ParamReader(spec.name, spec.params).finish(); !s) return s.error();
  std::optional<isd::Config> config;
  std::string description = "ISU, programmed by the ISD with its defaults per source kind (isd::default_config)";
  if (!spec.config_file.empty()) {
    auto loaded = isd::load_config(spec.config_file);
    if (!loaded) return loaded.error();
    config = std::move(*loaded);
    description = fmt::format("ISU, programmed by the ISD from {}", spec.config_file);
  }
  return std::unique_ptr<Policy>(std::make_unique<IsuPolicy>(isd_programmer(std::move(config)), description));
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
  if (ends_with(text, ".toml")) {
    spec.name = "isu";
    spec.config_file = text;
    return spec;
  }
  const auto colon = text.find(':');
  spec.name = text.substr(0, colon);
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
