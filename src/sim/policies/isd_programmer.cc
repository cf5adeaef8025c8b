#include "sim/policies/isd_programmer.h"

#include <set>

#include "isd/driver.h"
#include "isd/program.h"
#include "isu/regs.h"
#include "sim/policies/params.h"

namespace irqshape::sim {

namespace {

isd::SourceKind kind_of(SourceClass cls) {
  switch (cls) {
    case SourceClass::Block: return isd::SourceKind::block;
    case SourceClass::Net: return isd::SourceKind::net;
    case SourceClass::Timer: return isd::SourceKind::timer;
    case SourceClass::Other: return isd::SourceKind::other;
  }
  return isd::SourceKind::other;
}

// "irq=36" -> 36.
std::int32_t irq_of(const std::string& name) {
  if (name.rfind("irq=", 0) != 0) return -1;
  const auto v = parse_uint(std::string_view(name).substr(4));
  return v && *v <= 0x7FFF'FFFF ? static_cast<std::int32_t>(*v) : -1;
}

}  // namespace

Result<isd::SourceMap> isd_source_map(const std::vector<SourceInfo>& sources, bool strict) {
  isd::SourceMap map;
  std::set<std::string> names;
  std::set<std::int32_t> irqs;
  for (const SourceInfo& s : sources) {
    if (s.id >= isu::regs::kSources) continue;
    isd::SourceInfo info{s.id, s.name, irq_of(s.name), kind_of(s.cls)};
    const bool name_taken = !info.name.empty() && names.count(info.name) != 0;
    const bool irq_taken = info.irq >= 0 && irqs.count(info.irq) != 0;
    if (name_taken || irq_taken) {
      if (strict) return make_error("sources: two sources are named \"{}\" (ids up to {}): a rules file cannot tell them "
                                    "apart", s.name, s.id);
      info.name.clear();
      info.irq = -1;
    }
    if (!info.name.empty()) names.insert(info.name);
    if (info.irq >= 0) irqs.insert(info.irq);
    if (Status added = map.add(std::move(info)); !added) return added.error();
  }
  return map;
}

IsuPolicy::Programmer isd_programmer(std::optional<isd::Config> config) {
  return [config = std::move(config)](hw::RegisterWindow& unit, const std::vector<SourceInfo>& sources) -> Status {
    auto map = isd_source_map(sources, config.has_value());
    if (!map) return map.error();
    isd::Driver driver(unit);
    auto report = driver.apply(config ? *config : isd::default_config(*map), *map);
    if (!report) return report.error();
    return {};
  };
}

}  // namespace irqshape::sim
