// The `isu` policy's configuration, done the way the system does it: the ISD driver
// (src/isd) programs the unit through its registers, from a rules file
// (isd::load_config) or from its defaults per source kind (isd::default_config).
#pragma once

#include <optional>
#include <vector>

#include "base/result.h"
#include "isd/config.h"
#include "isd/source_map.h"
#include "sim/policies/isu_policy.h"
#include "sim/policy.h"

namespace irqshape::sim {

// The ISD's view of the simulator's sources: ISU id = SourceInfo::id, the name as given,
// the Linux irq number when the name is "irq=N", the kind from the source class. Sources
// the unit cannot shape (id >= 256) are left out: it passes them through unshaped.
// Two sources with one name (or irq number) are an error when `strict` (a rules file
// could not tell them apart); otherwise the later one is left nameless (still "id=N").
Result<isd::SourceMap> isd_source_map(const std::vector<SourceInfo>& sources, bool strict);

// Applies `config` (nullopt: isd::default_config of the sources) with isd::Driver.
IsuPolicy::Programmer isd_programmer(std::optional<isd::Config> config);

}  // namespace irqshape::sim
