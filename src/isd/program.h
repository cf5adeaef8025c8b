// From a configuration to register values: compile() resolves source names through a
// SourceMap, checks the result against the unit's capabilities (CAP_* registers), and
// produces the exact contents of every shadow register the driver will write. Every
// value keeps the configuration key it came from, so a register the unit rejects or
// reads back differently is reported against that key.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "isd/config.h"
#include "isd/source_map.h"
#include "isu/regs.h"

namespace irqshape::isd {

// What probe() reads from ID, VERSION and CAP_*.
struct Capabilities {
  std::uint32_t id = 0;
  std::uint32_t version_major = 0, version_minor = 0;
  std::uint32_t sources = 0, destinations = 0;
  std::uint32_t patterns = 0, steps = 0, rules = 0, partials = 0;
  std::uint32_t history_log2_min = 0, history_log2_max = 0;
  std::uint32_t context_log2_min = 0, context_log2_max = 0;

  // The values of the register map version this driver was written against
  // (isu/regs.h), for dry runs without a unit.
  static Capabilities isu_v1();
};

// A register value and the configuration key that produced it.
struct Field {
  std::uint32_t offset = 0;  // register (isu::regs::Offset)
  std::uint32_t value = 0;
  std::string key;  // "examples/nic.toml:14:1: source \"nic0\": rx-usecs"
};

struct GeometryProgram {
  std::vector<Field> fields;  // HIST_CFG, CTX_CFG, RATE_WINDOW, PRED_SHIFT (only those configured)
  std::uint32_t rate_window_ns = 1'000'000;  // the window rates were converted with
};

struct SourceProgram {
  std::uint32_t id = 0;
  std::string name;
  std::string where;  // "file:line:col: source \"nic0\""
  // SRC_CTRL, SRC_COAL_COUNT, SRC_COAL_TIME, SRC_STORM_LIMIT, SRC_PRIO, in this order.
  std::array<Field, 5> fields{};

  [[nodiscard]] std::uint32_t value(std::uint32_t offset) const;
  void set(std::uint32_t offset, std::uint32_t value);
};

struct PatternProgram {
  std::uint32_t index = 0;
  std::string text;   // "nvme0 -> nic0 within 4ms..6ms"
  std::string where;  // of the first rule that uses it
  std::uint32_t steps = 0;
  std::array<std::uint32_t, isu::regs::kMaxSteps> source{}, min_ns{}, max_ns{};
};

struct RuleProgram {
  std::uint32_t index = 0;
  std::string name;
  std::string where;
  // RULE_SOURCE, RULE_PARAM, RULE_ACTION, RULE_COND, in the order the spec writes them.
  std::array<Field, 4> fields{};

  [[nodiscard]] std::uint32_t value(std::uint32_t offset) const;
};

struct Program {
  GeometryProgram geometry;
  std::vector<SourceProgram> sources;
  std::vector<PatternProgram> patterns;
  std::vector<RuleProgram> rules;
  std::vector<std::string> warnings;  // accepted, but probably not what was meant
};

// Checks `config` against the platform and the unit, and computes register values.
Result<Program> compile(const Config& config, const SourceMap& sources,
                        const Capabilities& caps = Capabilities::isu_v1());

// Shaping defaults per source kind (docs/isd.md, "Defaults"), for every source of the map:
//   net    adaptive coalescing: rx-usecs 50, rx-frames 64 (cap), like NIC adaptive-rx
//   block  adaptive coalescing: 20 us, up to 16 completions (NVMe aggregation analogue)
//   timer  none (a periodic interrupt gains nothing from being held)
//   other  storm guard only: defer above 100,000/s
// Geometry: history 4096 entries, 64 context slots, 1 ms rate window, prediction shift 3.
Config default_config(const SourceMap& sources);

}  // namespace irqshape::isd
