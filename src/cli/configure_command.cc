// `irqshape isd-check CONFIG`: validates an ISD configuration and shows what it programs:
// the register values per source, pattern and rule, and - a dry run - applies it to the
// ISU model through the driver (reset, shadows + COMMIT, read-back, enable), printing the
// register writes on request.
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "isd/config.h"
#include "isd/driver.h"
#include "isd/harness/model_harness.h"
#include "isd/program.h"
#include "isd/trace_input.h"

namespace irqshape::cli {
namespace {

namespace regs = isu::regs;

struct Options {
  std::string config, trace;
  std::vector<std::string> sources;
  bool defaults = false, writes = false, print = false;
};

// Records the driver's register writes on their way to the unit.
class RecordingWindow final : public hw::RegisterWindow {
 public:
  explicit RecordingWindow(hw::RegisterWindow& inner) : inner_(inner) {}
  std::uint32_t read32(std::uint32_t offset) override { return inner_.read32(offset); }
  void write32(std::uint32_t offset, std::uint32_t value) override {
    writes.emplace_back(offset, value);
    inner_.write32(offset, value);
  }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> writes;

 private:
  hw::RegisterWindow& inner_;
};

// Without --source, the platform is made from the names the configuration uses: each
// [source.NAME] table (its match "id=N"/"irq=N" honoured) and every other source a rule
// names, in order, on the next free ids (a rule's "irq=N" is a source on Linux irq N).
Result<isd::SourceMap> platform_from_config(const isd::Config& c) {
  isd::SourceMap map;
  struct Pending {
    std::string name, irq;  // irq: from match = "irq=N" or a rule's "irq=N", else empty
    isd::Origin at;         // where the file asks for the source
    std::string context;    // "source \"b\"", "rule \"r\""
  };
  std::vector<Pending> pending;
  // A mapping the map refuses (a name used twice, an id or irq mapped twice) is the
  // file's doing: the error names the file, line and column of the source or rule.
  auto add = [&](const std::string& spec, const isd::Origin& at, const std::string& context) -> Status {
    if (auto st = map.add_spec(spec); !st) return make_error("{}: {}: {}", at.str(), context, st.message());
    return {};
  };
  // A rule's "irq=N": a source on Linux irq N (named "irqN"), unless a [source] table is.
  auto irq_of = [](const std::string& selector) -> std::string {
    if (selector.rfind("irq=", 0) != 0 || selector.size() == 4 || selector.size() > 13) return "";
    const std::string digits = selector.substr(4);
    if (digits.find_first_not_of("0123456789") != std::string::npos) return "";
    return std::to_string(std::stoull(digits));
  };
  auto want = [&](const isd::Located<std::string>& name, const std::string& context) {
    if (name.value.rfind("id=", 0) == 0) return;
    for (const isd::SourceSettings& s : c.sources)
      if (s.name == name.value) return;
    const std::string irq = irq_of(name.value);
    for (const Pending& p : pending) {
      if (!irq.empty() && p.irq == irq) return;
      if (irq.empty() && p.irq.empty() && p.name == name.value) return;
    }
    pending.push_back({irq.empty() ? name.value : "irq" + irq, irq, name.at, context});
  };
  for (const isd::SourceSettings& s : c.sources) {
    const std::string match = s.match ? s.match->value : s.name;
    const isd::Origin& at = s.match ? s.match->at : s.at;
    const std::string context = fmt::format("source \"{}\"", s.name);
    if (match.rfind("id=", 0) == 0) {
      if (auto st = add(s.name + "=" + match.substr(3), at, context); !st) return st.error();
    } else if (match.rfind("irq=", 0) == 0) {
      const std::string irq = irq_of(match);
      pending.push_back({s.name, irq.empty() ? match.substr(4) : irq, at, context});
    } else {
      pending.push_back({match, "", at, context});
    }
  }
  for (const isd::RuleSettings& r : c.rules) {
    const std::string context = fmt::format("rule \"{}\"", r.name);
    for (const isd::SequenceStep& st : r.condition.steps) want(st.source, context);
    if (r.condition.source) want(*r.condition.source, context);
  }
  std::uint32_t next = 0;
  for (const Pending& p : pending) {
    while (map.find(next) != nullptr) ++next;
    const std::string spec = p.irq.empty() ? fmt::format("{}={}", p.name, next) : fmt::format("{}={}:{}", p.name, next, p.irq);
    if (auto st = add(spec, p.at, p.context); !st) return st.error();
  }
  return map;
}

std::string ctrl_text(std::uint32_t v) {
  std::string s;
  auto add = [&](bool on, const char* n) {
    if (on) s += fmt::format("{}{}", s.empty() ? "" : "|", n);
  };
  add(regs::src_ctrl::Coalesce::test(v), "COALESCE");
  add(regs::src_ctrl::Adaptive::test(v), "ADAPTIVE");
  add(regs::src_ctrl::StormGuard::test(v), "STORM_GUARD");
  add(regs::src_ctrl::StormDrop::test(v), "STORM_DROP");
  return s.empty() ? "-" : s;
}

std::string_view kind_text(std::uint32_t kind) {
  switch (kind) {
    case regs::rule_cond::kAlways: return "ALWAYS";
    case regs::rule_cond::kPattern: return "PATTERN";
    case regs::rule_cond::kRateAbove: return "RATE_ABOVE";
    case regs::rule_cond::kRateBelow: return "RATE_BELOW";
    case regs::rule_cond::kPeriodic: return "PERIODIC";
    case regs::rule_cond::kOffPrediction: return "OFF_PREDICTION";
    default: return "?";
  }
}

void print_program(const isd::Program& p, const isd::SourceMap& map) {
  fmt::print("geometry:");
  for (const isd::Field& f : p.geometry.fields) fmt::print(" {}={}", regs::find_register(f.offset)->name, f.value);
  fmt::print("\nsources ({}):\n", p.sources.size());
  if (!p.sources.empty())
    fmt::print("  {:>3}  {:<18} {:<24} {:>6} {:>10} {:>8} {:>6}\n", "id", "name", "SRC_CTRL", "COUNT", "TIME ns", "STORM", "PRIO");
  for (const isd::SourceProgram& s : p.sources)
    fmt::print("  {:>3}  {:<18} {:<24} {:>6} {:>10} {:>8} {:>#6x}\n", s.id, s.name, ctrl_text(s.value(regs::SRC_CTRL)),
               s.value(regs::SRC_COAL_COUNT), s.value(regs::SRC_COAL_TIME), s.value(regs::SRC_STORM_LIMIT),
               s.value(regs::SRC_PRIO));
  fmt::print("patterns ({}):\n", p.patterns.size());
  for (const isd::PatternProgram& q : p.patterns) {
    std::string ids;
    for (unsigned k = 0; k < q.steps; ++k) ids += fmt::format("{}{}", k ? " -> " : "", q.source[k]);
    fmt::print("  {:>3}  {}   [sources {}]\n", q.index, q.text, ids);
  }
  fmt::print("rules ({}):\n", p.rules.size());
  for (const isd::RuleProgram& r : p.rules) {
    const std::uint32_t cond = r.value(regs::RULE_COND), src = r.value(regs::RULE_SOURCE);
    const auto actions = isd::action_names(r.value(regs::RULE_ACTION));
    std::string act;
    for (const std::string& a : actions) act += fmt::format("{}{}", act.empty() ? "" : ",", a);
    fmt::print("  {:>3}  {:<24} {}{}({}) on {} -> {}\n", r.index, r.name, regs::rule_cond::Enable::test(cond) ? "" : "disabled ",
               kind_text(regs::rule_cond::Kind::get(cond)), r.value(regs::RULE_PARAM),
               src == regs::kAnySource ? "any source" : map.display(src), act.empty() ? "count only" : act);
  }
  for (const std::string& w : p.warnings) fmt::print("warning: {}\n", w);
}

int run(const Options& o) {
  isd::Config config;
  std::string what;
  if (o.defaults) {
    what = "defaults";
  } else {
    auto c = isd::load_config(o.config);
    if (!c) {
      fmt::print(stderr, "irqshape isd-check: {}\n", c.message());
      return 1;
    }
    config = std::move(*c);
    what = o.config;
  }
  isd::SourceMap map;
  for (const std::string& spec : o.sources)
    if (auto st = map.add_spec(spec); !st) {
      fmt::print(stderr, "irqshape isd-check: --source {}\n", st.message());
      return 1;
    }
  if (!o.trace.empty()) {
    if (!o.sources.empty()) {
      fmt::print(stderr, "irqshape isd-check: give --trace or --source, not both\n");
      return 1;
    }
    auto t = isd::load_trace_events(o.trace);
    if (!t) {
      fmt::print(stderr, "irqshape isd-check: {}\n", t.message());
      return 1;
    }
    map = std::move(t->names);
  }
  const bool from_config = o.sources.empty() && o.trace.empty() && !o.defaults;
  if (from_config) {
    auto m = platform_from_config(config);
    if (!m) {
      fmt::print(stderr, "irqshape isd-check: {}\n", m.message());
      return 1;
    }
    map = std::move(*m);
  }
  if (o.defaults) config = isd::default_config(map);
  if (o.print) {
    fmt::print("{}\n", isd::write_config(config));
    return 0;
  }

  isd::harness::ModelHarness model;  // the dry run: the ISU model behind the driver
  RecordingWindow window(model.window());
  isd::Driver driver(window);
  auto caps = driver.probe();
  if (!caps) {
    fmt::print(stderr, "irqshape isd-check: {}\n", caps.message());
    return 1;
  }
  auto program = isd::compile(config, map, *caps);
  if (!program) {
    fmt::print(stderr, "irqshape isd-check: {}\n", program.message());
    return 1;
  }
  fmt::print("{}: valid\n", what);
  fmt::print("unit: ISU {}.{}, {} sources, {} patterns of up to {} steps, {} rules, {} partial matches\n", caps->version_major,
             caps->version_minor, caps->sources, caps->patterns, caps->steps, caps->rules, caps->partials);
  std::string platform;
  for (const isd::SourceInfo& s : map.sources())
    platform += fmt::format(" {}={}{}", s.name, s.id, s.irq >= 0 ? fmt::format(":{}", s.irq) : "");
  fmt::print("platform:{}{}\n", platform.empty() ? " (none)" : platform,
             from_config ? "  (from the configuration's names; --source NAME=ID[:IRQ][,raise=V][,lower=V] gives the real one)" : "");
  print_program(*program, map);
  window.writes.clear();
  auto report = driver.apply(*program);
  if (!report) {
    fmt::print(stderr, "irqshape isd-check: {}\n", report.message());
    return 1;
  }
  fmt::print("dry run on the ISU model: {} register writes, {} reads; every entry read back as written; unit enabled\n",
             report->register_writes, report->register_reads);
  if (o.writes)
    for (const auto& [offset, value] : window.writes) {
      const regs::RegisterInfo* r = regs::find_register(offset);
      fmt::print("  write 0x{:03X} {:<16} 0x{:08X}\n", offset, r != nullptr ? r->name : "?", value);
    }
  return 0;
}

}  // namespace

void add_isd_check_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("isd-check",
                                 "Validate an ISD configuration file and show the registers it programs (dry run on the ISU model)");
  auto o = std::make_shared<Options>();
  cmd->add_option("config", o->config, "ISD configuration file (TOML, see docs/isd.md)");
  cmd->add_option("--source", o->sources,
                  "A platform source NAME=ID[:IRQ][,raise=V][,lower=V] (repeat; V: the vectors the guest also serves "
                  "it on); default: the names the configuration uses, on ids 0, 1, ...");
  cmd->add_option("--trace", o->trace, "Take the platform's sources from this trace's source table (names, irq numbers)");
  cmd->add_flag("--defaults", o->defaults, "Check the built-in defaults (isd::default_config) for the --source platform instead");
  cmd->add_flag("--writes", o->writes, "List every register write of the dry run");
  cmd->add_flag("--print", o->print, "Print the configuration as the driver reads it (normalized TOML) and stop");
  cmd->callback([o] {
    if (o->config.empty() && !o->defaults) {
      fmt::print(stderr, "irqshape isd-check: give a configuration file, or --defaults\n");
      throw CLI::RuntimeError(1);
    }
    if (const int rc = run(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace irqshape::cli
