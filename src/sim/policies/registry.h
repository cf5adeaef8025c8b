// Making policies by name. A policy is named on the command line as
//   NAME                       "none", "static", "dim", "cinterrupts", "vic", "isu"
//   NAME:key=value,key=value   parameters, e.g. "static:rx-frames=8,rx-usecs=50"
//   FILE.toml                  the ISU programmed from an ISD configuration file
// Parameter names and defaults of each policy are in docs/policies.md.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sim/policy.h"

namespace irqshape::sim {

struct PolicySpec {
  std::string name;                           // policy name (for a .toml file: "isu")
  std::map<std::string, std::string> params;  // key -> value, as written
  std::string config_file;                    // the .toml file, if one was given

  // The spec written back in the form parse_policy_spec reads.
  [[nodiscard]] std::string to_string() const;
};

// Parses one --policy argument: NAME, NAME:key=value,... or a FILE.toml. Errors (an
// malformed policy name or parameter list) name the argument and what is wrong. Whether
// the name is a known policy is make_policy's question (tests add their own).
Result<PolicySpec> parse_policy_spec(const std::string& text);

// Builds a policy; unknown names, unknown parameters and bad values are errors that name
// the policy and the parameter.
Result<std::unique_ptr<Policy>> make_policy(const PolicySpec& spec);

// Every policy name make_policy knows, in the order reports list them.
std::vector<std::string> policy_names();

}  // namespace irqshape::sim
