#include "isd/driver.h"

#include <algorithm>

#include <fmt/format.h>

namespace irqshape::isd {

namespace regs = isu::regs;

namespace {

// ERR_STATUS is write-1-to-clear per bit (docs/isu-spec.md, ERR_STATUS). The driver judges
// and clears only the access-error bits (5:0), the ones its own register writes cause. The
// data-path bits (11:8: INPUT_SOURCE, INPUT_TIME, INPUT_DESTINATION, PARTIAL_OVERFLOW) say
// what the unit did with its inputs; they are left set for telemetry to export.
constexpr std::uint32_t kAccessErrors = regs::err::kAccessErrors;
constexpr std::uint32_t kDataPathErrors = regs::err::kDefined & ~regs::err::kAccessErrors;

std::string reg_name(std::uint32_t offset) {
  if (const regs::RegisterInfo* r = regs::find_register(offset)) return r->name;
  return fmt::format("0x{:03X}", offset);
}

const Field* field_at(std::span<const Field> fields, std::uint32_t offset) {
  for (const Field& f : fields)
    if (f.offset == offset) return &f;
  return nullptr;
}

// The field a refused COMMIT is about, for its configuration key.
std::uint32_t blamed_register(std::uint32_t code) {
  switch (code) {
    case regs::commit::kBadSteps: return regs::PAT_CTRL;
    case regs::commit::kBadWindow: return regs::pat_min(1);
    case regs::commit::kBadCondition: return regs::RULE_COND;
    case regs::commit::kBadAction: return regs::RULE_ACTION;
    case regs::commit::kBadCoalescing: return regs::SRC_COAL_TIME;
    case regs::commit::kBadStorm: return regs::SRC_STORM_LIMIT;
    default: return regs::COMMIT;
  }
}

}  // namespace

std::string err_status_names(std::uint32_t bits) {
  static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
      {regs::err::ReservedBits::mask, "RESERVED_BITS"},       {regs::err::OutOfRange::mask, "OUT_OF_RANGE"},
      {regs::err::ReadOnlyWrite::mask, "READ_ONLY_WRITE"},    {regs::err::Unmapped::mask, "UNMAPPED"},
      {regs::err::CommitRejected::mask, "COMMIT_REJECTED"},   {regs::err::ConfigLocked::mask, "CONFIG_LOCKED"},
      {regs::err::InputSource::mask, "INPUT_SOURCE"},         {regs::err::InputTime::mask, "INPUT_TIME"},
      {regs::err::InputDestination::mask, "INPUT_DESTINATION"}, {regs::err::PartialOverflow::mask, "PARTIAL_OVERFLOW"}};
  std::string out;
  for (const auto& [bit, name] : kNames)
    if ((bits & bit) != 0) out += fmt::format("{}{}", out.empty() ? "" : "|", name);
  return out.empty() ? "0" : out;
}

std::string_view commit_code_name(std::uint32_t code) {
  switch (code) {
    case regs::commit::kOk: return "OK";
    case regs::commit::kBadCommand: return "BAD_COMMAND";
    case regs::commit::kBadSteps: return "BAD_STEPS";
    case regs::commit::kBadWindow: return "BAD_WINDOW";
    case regs::commit::kBadCondition: return "BAD_CONDITION";
    case regs::commit::kBadAction: return "BAD_ACTION";
    case regs::commit::kBadCoalescing: return "BAD_COALESCING";
    case regs::commit::kBadStorm: return "BAD_STORM";
    default: return "unknown code";
  }
}

Result<Capabilities> Driver::probe() {
  Capabilities c;
  c.id = rd(regs::ID);
  if (c.id != regs::kIdValue)
    return make_error("probe: not an ISU: ID reads 0x{:08X}, expected 0x{:08X} (\"ISU\\0\")", c.id, regs::kIdValue);
  const std::uint32_t version = rd(regs::VERSION);
  c.version_major = regs::version::Major::get(version);
  c.version_minor = regs::version::Minor::get(version);
  if (c.version_major != regs::kVersionMajor)
    return make_error("probe: ISU register map version {}.{} is not supported (this driver speaks {}.x)", c.version_major,
                      c.version_minor, regs::kVersionMajor);
  c.sources = rd(regs::CAP_SOURCES);
  c.destinations = rd(regs::CAP_DESTINATIONS);
  c.patterns = rd(regs::CAP_PATTERNS);
  c.steps = rd(regs::CAP_STEPS);
  c.rules = rd(regs::CAP_RULES);
  c.partials = rd(regs::CAP_PARTIALS);
  const std::uint32_t hist = rd(regs::CAP_HISTORY), ctx = rd(regs::CAP_CONTEXT);
  c.history_log2_min = regs::cap_range::MinLog2::get(hist);
  c.history_log2_max = regs::cap_range::MaxLog2::get(hist);
  c.context_log2_min = regs::cap_range::MinLog2::get(ctx);
  c.context_log2_max = regs::cap_range::MaxLog2::get(ctx);
  // Values the register layout cannot address would make every later check wrong.
  if (c.sources == 0 || c.sources > regs::src_sel::Index::max + 1)
    return make_error("probe: implausible CAP_SOURCES = {}", c.sources);
  if (c.steps < regs::kMinSteps || c.steps > regs::kMaxSteps) return make_error("probe: implausible CAP_STEPS = {}", c.steps);
  if (c.patterns > regs::pat_sel::Index::max + 1) return make_error("probe: implausible CAP_PATTERNS = {}", c.patterns);
  if (c.rules > regs::rule_sel::Index::max + 1) return make_error("probe: implausible CAP_RULES = {}", c.rules);
  if (c.history_log2_min > c.history_log2_max || c.history_log2_max > 31)
    return make_error("probe: implausible CAP_HISTORY = 0x{:08X}", hist);
  if (c.context_log2_min > c.context_log2_max || c.context_log2_max > 31)
    return make_error("probe: implausible CAP_CONTEXT = 0x{:08X}", ctx);
  caps_ = c;
  probed_ = true;
  return c;
}

Status Driver::reset() {
  wr(regs::CTRL, regs::ctrl::SoftReset::mask);
  const std::uint32_t ctrl = rd(regs::CTRL), status = rd(regs::STATUS), hist = rd(regs::HIST_CFG);
  if (ctrl != 0 || regs::status::Enabled::test(status) || hist != regs::hist_cfg::kReset)
    return make_error("reset: the unit did not reset (CTRL 0x{:08X}, STATUS 0x{:08X}, HIST_CFG {})", ctrl, status, hist);
  return {};
}

Status Driver::set_enabled(bool enabled) {
  const std::uint32_t ctrl = rd(regs::CTRL);
  wr(regs::CTRL, regs::ctrl::Enable::set(ctrl, enabled ? 1 : 0));
  if (regs::status::Enabled::test(rd(regs::STATUS)) != enabled)
    return make_error("CTRL: the unit did not {} (STATUS 0x{:08X})", enabled ? "enable" : "disable", rd(regs::STATUS));
  return {};
}

std::uint64_t Driver::now() { return rd64(regs::NOW_LO); }

void Driver::clear_errors() {
  if (const std::uint32_t e = rd(regs::ERR_STATUS) & kAccessErrors; e != 0) wr(regs::ERR_STATUS, e);
}

bool Driver::check_access(std::span<const Field> fields, const std::string& where) {
  const std::uint32_t err = rd(regs::ERR_STATUS);
  if ((err & kAccessErrors) == 0) return true;
  const std::uint32_t addr = rd(regs::ERR_ADDR), data = rd(regs::ERR_DATA);
  const Field* f = field_at(fields, addr);
  problems_.push_back(RegisterProblem{addr, reg_name(addr),
                                      fmt::format("the unit rejected 0x{:08X} ({})", data,
                                                  err_status_names(err & kAccessErrors)),
                                      f != nullptr ? f->key : where});
  wr(regs::ERR_STATUS, err & kAccessErrors);
  return false;
}

bool Driver::commit(std::uint32_t command, std::span<const Field> fields, const std::string& where) {
  if (!check_access(fields, where)) return false;  // a rejected write left a stale value in a shadow
  wr(regs::COMMIT, command);
  const std::uint32_t status = rd(regs::COMMIT_STATUS);
  const std::uint32_t code = regs::commit::Result::get(status);
  if (code == regs::commit::kOk && regs::commit::LastCommand::get(status) == command) return true;
  const Field* f = field_at(fields, blamed_register(code));
  problems_.push_back(RegisterProblem{regs::COMMIT, "COMMIT",
                                      fmt::format("command 0x{:02X} refused: COMMIT_STATUS {} ({})", command, code,
                                                  commit_code_name(code)),
                                      f != nullptr ? f->key : where});
  clear_errors();
  return false;
}

void Driver::check_readback(std::uint32_t offset, std::uint32_t wrote, const std::string& key) {
  const std::uint32_t read = rd(offset);
  if (read == wrote) return;
  problems_.push_back(RegisterProblem{offset, reg_name(offset),
                                      fmt::format("wrote 0x{:08X}, read back 0x{:08X}", wrote, read), key});
}

void Driver::write_geometry(const GeometryProgram& g) {
  for (const Field& f : g.fields) wr(f.offset, f.value);
  if (!check_access(g.fields, "[unit]")) return;
  for (const Field& f : g.fields) check_readback(f.offset, f.value, f.key);
}

bool Driver::write_source(const SourceProgram& s) {
  wr(regs::SRC_SEL, s.id);
  for (const Field& f : s.fields) wr(f.offset, f.value);
  return commit(regs::commit::kCommitSource, s.fields, s.where);
}

bool Driver::write_pattern(const PatternProgram& p) {
  const std::array<Field, 1> ctrl{Field{regs::PAT_CTRL, regs::pat_ctrl::Enable::mask | regs::pat_ctrl::Steps::make(p.steps), p.where}};
  wr(regs::PAT_SEL, p.index);
  for (unsigned k = 0; k < regs::kMaxSteps; ++k) {
    wr(regs::pat_src(k), p.source[k]);
    wr(regs::pat_min(k), p.min_ns[k]);
    wr(regs::pat_max(k), p.max_ns[k]);
  }
  wr(ctrl[0].offset, ctrl[0].value);
  return commit(regs::commit::kCommitPattern, ctrl, p.where);
}

bool Driver::write_rule(const RuleProgram& r) {
  wr(regs::RULE_SEL, r.index);
  for (const Field& f : r.fields) wr(f.offset, f.value);
  return commit(regs::commit::kCommitRule, r.fields, r.where);
}

void Driver::verify_source(const SourceProgram& s) {
  wr(regs::SRC_SEL, s.id);
  if (!commit(regs::commit::kLoadSource, s.fields, s.where)) return;
  for (const Field& f : s.fields) check_readback(f.offset, f.value, f.key);
}

void Driver::verify_pattern(const PatternProgram& p) {
  wr(regs::PAT_SEL, p.index);
  if (!commit(regs::commit::kLoadPattern, {}, p.where)) return;
  check_readback(regs::PAT_CTRL, regs::pat_ctrl::Enable::mask | regs::pat_ctrl::Steps::make(p.steps), p.where);
  for (unsigned k = 0; k < regs::kMaxSteps; ++k) {
    check_readback(regs::pat_src(k), p.source[k], p.where);
    check_readback(regs::pat_min(k), p.min_ns[k], p.where);
    check_readback(regs::pat_max(k), p.max_ns[k], p.where);
  }
}

void Driver::verify_rule(const RuleProgram& r) {
  wr(regs::RULE_SEL, r.index);
  if (!commit(regs::commit::kLoadRule, r.fields, r.where)) return;
  for (const Field& f : r.fields) check_readback(f.offset, f.value, f.key);
}

Error Driver::problems_error(std::string_view what) const {
  const RegisterProblem& first = problems_.front();
  if (problems_.size() == 1) return make_error("{} (unit left disabled)", first.str());
  return make_error("{} (and {} more problem{} {}; unit left disabled)", first.str(), problems_.size() - 1,
                    problems_.size() == 2 ? "" : "s", what);
}

Result<ApplyReport> Driver::apply(const Config& config, const SourceMap& sources) {
  if (!probed_)
    if (auto c = probe(); !c) return c.error();
  auto program = compile(config, sources, caps_);
  if (!program) return program.error();
  auto report = apply(*program);
  if (report) {  // telemetry covers every source the platform named, too
    for (const SourceInfo& s : sources.sources())
      if (s.id < caps_.sources && std::find(telemetry_sources_.begin(), telemetry_sources_.end(), s.id) == telemetry_sources_.end())
        telemetry_sources_.push_back(s.id);
    std::sort(telemetry_sources_.begin(), telemetry_sources_.end());
  }
  return report;
}

Result<ApplyReport> Driver::apply(const Program& p) {
  if (!probed_)
    if (auto c = probe(); !c) return c.error();
  const std::uint64_t reads0 = reads_, writes0 = writes_;
  problems_.clear();
  if (auto s = reset(); !s) return s.error();
  clear_errors();
  write_geometry(p.geometry);
  std::vector<bool> ok_source, ok_pattern, ok_rule;
  for (const SourceProgram& s : p.sources) ok_source.push_back(write_source(s));
  for (const PatternProgram& q : p.patterns) ok_pattern.push_back(write_pattern(q));
  for (const RuleProgram& r : p.rules) ok_rule.push_back(write_rule(r));
  // Read back what was accepted: a unit that takes a value and keeps another is as
  // wrong as one that refuses it.
  for (std::size_t i = 0; i < p.sources.size(); ++i)
    if (ok_source[i]) verify_source(p.sources[i]);
  for (std::size_t i = 0; i < p.patterns.size(); ++i)
    if (ok_pattern[i]) verify_pattern(p.patterns[i]);
  for (std::size_t i = 0; i < p.rules.size(); ++i)
    if (ok_rule[i]) verify_rule(p.rules[i]);
  const std::uint32_t err = rd(regs::ERR_STATUS);
  if ((err & kAccessErrors) != 0)
    problems_.push_back(RegisterProblem{regs::ERR_STATUS, "ERR_STATUS",
                                        fmt::format("0x{:08X} ({}) after programming", err & kAccessErrors,
                                                    err_status_names(err & kAccessErrors)),
                                        "apply"});
  program_ = p;
  telemetry_sources_.clear();
  for (const SourceProgram& s : p.sources) telemetry_sources_.push_back(s.id);
  for (const PatternProgram& q : p.patterns)
    for (unsigned k = 0; k < q.steps; ++k) telemetry_sources_.push_back(q.source[k]);
  for (const RuleProgram& r : p.rules)
    if (const std::uint32_t src = r.value(regs::RULE_SOURCE); src != regs::kAnySource) telemetry_sources_.push_back(src);
  std::sort(telemetry_sources_.begin(), telemetry_sources_.end());
  telemetry_sources_.erase(std::unique(telemetry_sources_.begin(), telemetry_sources_.end()), telemetry_sources_.end());
  if (!problems_.empty()) return problems_error("reported by Driver::problems()");

  if (auto s = set_enabled(true); !s) return s.error();
  ApplyReport report;
  report.caps = caps_;
  report.sources = p.sources.size();
  report.patterns = p.patterns.size();
  report.rules = p.rules.size();
  report.warnings = p.warnings;
  if ((err & kDataPathErrors) != 0)  // the inputs, not the configuration: left set for telemetry
    report.warnings.push_back(fmt::format("ERR_STATUS 0x{:08X} ({}) after programming: the unit reported its inputs, "
                                          "not the configuration (left set for telemetry)",
                                          err & kDataPathErrors, err_status_names(err & kDataPathErrors)));
  report.enabled = true;
  report.register_reads = reads_ - reads0;
  report.register_writes = writes_ - writes0;
  return report;
}

Status Driver::update_source(const SourceProgram& s) {
  problems_.clear();
  if (s.id >= (probed_ ? caps_.sources : regs::kSources)) return make_error("update_source: no source id {}", s.id);
  clear_errors();
  if (!deliver_held_before_shortening(s)) return Error{problems_.front().str()};
  if (write_source(s)) verify_source(s);
  if (!problems_.empty()) return Error{problems_.front().str()};
  return {};
}

// COMMIT_SOURCE takes effect from the source's next interrupt (docs/isu-spec.md, COMMIT and
// 5.5): a batch held under the old, longer SRC_COAL_TIME keeps its old deadline until then.
// The spec offers no per-source way to deliver a held batch (no command flushes one
// source; a shorter COMMIT_SOURCE only acts at the source's next interrupt). So before
// shortening SRC_COAL_TIME of a source that holds events, the driver has the unit deliver
// what it holds - clearing CTRL.ENABLE delivers every held event at once, stamped with NOW
// (spec, CTRL); setting it again resumes shaping - and no batch is held longer than the
// new time. This delivers every source's held batches, storm-deferred ones included:
// less added delay, never more, but a storm-guarded source's deferred events leave before
// the end of their rate window. Only when the source holds events and the time shrinks.
// False (with a problem recorded) when the unit refuses the LOAD_SOURCE.
bool Driver::deliver_held_before_shortening(const SourceProgram& s) {
  const std::uint32_t ctrl = rd(regs::CTRL);
  if (!regs::ctrl::Enable::test(ctrl)) return true;
  wr(regs::SRC_SEL, s.id);
  if (!commit(regs::commit::kLoadSource, {}, s.where)) return false;
  if (s.value(regs::SRC_COAL_TIME) >= rd(regs::SRC_COAL_TIME)) return true;
  wr(regs::TEL_SRC_SEL, s.id);
  if (rd(regs::TEL_PENDING) == 0) return true;
  wr(regs::CTRL, regs::ctrl::Enable::set(ctrl, 0));
  wr(regs::CTRL, ctrl);
  return true;
}

Result<SourceProgram> Driver::read_source(std::uint32_t id) {
  if (id >= (probed_ ? caps_.sources : regs::kSources)) return make_error("read_source: no source id {}", id);
  SourceProgram s;
  s.id = id;
  s.where = fmt::format("source id {}", id);
  for (const SourceProgram& p : program_.sources)
    if (p.id == id) s.name = p.name, s.where = p.where;
  wr(regs::SRC_SEL, id);
  wr(regs::COMMIT, regs::commit::kLoadSource);
  if (const std::uint32_t st = rd(regs::COMMIT_STATUS); regs::commit::Result::get(st) != regs::commit::kOk)
    return make_error("read_source {}: LOAD_SOURCE refused (COMMIT_STATUS 0x{:08X})", id, st);
  const std::uint32_t offsets[] = {regs::SRC_CTRL, regs::SRC_COAL_COUNT, regs::SRC_COAL_TIME, regs::SRC_STORM_LIMIT,
                                   regs::SRC_PRIO};
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    s.fields[i].offset = offsets[i];
    s.fields[i].value = rd(offsets[i]);
    s.fields[i].key = s.where;
  }
  return s;
}

SourceTelemetry Driver::read_source_telemetry(std::uint32_t id) {
  SourceTelemetry t;
  t.id = id;
  wr(regs::TEL_SRC_SEL, id);  // latches a consistent snapshot: no torn 64-bit counters
  t.in = rd64(regs::TEL_IN_LO);
  t.out = rd64(regs::TEL_OUT_LO);
  t.events = rd64(regs::TEL_EVENTS_LO);
  t.coalesced = rd64(regs::TEL_COALESCED_LO);
  t.deferred = rd64(regs::TEL_DEFERRED_LO);
  t.dropped = rd64(regs::TEL_DROPPED_LO);
  t.raised = rd64(regs::TEL_RAISED_LO);
  t.lowered = rd64(regs::TEL_LOWERED_LO);
  t.patterns = rd64(regs::TEL_PATTERNS_LO);
  t.rate = rd(regs::TEL_RATE);
  t.pred_mean_ns = rd(regs::TEL_PRED_MEAN);
  t.pred_dev_ns = rd(regs::TEL_PRED_DEV);
  t.pred_next = rd64(regs::TEL_PRED_NEXT_LO);
  t.pending = rd(regs::TEL_PENDING);
  t.hold_sum_ns = rd64(regs::TEL_HOLD_SUM_LO);
  t.hold_max_ns = rd(regs::TEL_HOLD_MAX);
  for (unsigned k = 0; k < regs::kHoldBuckets; ++k) t.hold[k] = rd(regs::tel_hold(k));
  return t;
}

TelemetrySnapshot Driver::read_telemetry() { return read_telemetry(telemetry_sources_); }

TelemetrySnapshot Driver::read_telemetry(std::span<const std::uint32_t> sources) {
  TelemetrySnapshot s;
  s.unit.now = now();
  s.unit.enabled = regs::status::Enabled::test(rd(regs::STATUS));
  s.unit.err_status = rd(regs::ERR_STATUS);
  s.unit.unshaped_in = rd(regs::UNSHAPED_IN);
  s.unit.pm_live = rd(regs::PM_LIVE);
  s.unit.pm_dropped = rd(regs::PM_DROPPED);
  s.unit.history_count = rd64(regs::HIST_COUNT_LO);
  for (const std::uint32_t id : sources) s.sources.push_back(read_source_telemetry(id));
  for (const RuleProgram& r : program_.rules) {
    wr(regs::TEL_RULE_SEL, r.index);
    s.rules.push_back(RuleTelemetry{r.index, rd64(regs::TEL_RULE_MATCHES_LO)});
  }
  for (const PatternProgram& p : program_.patterns) {
    wr(regs::TEL_PAT_SEL, p.index);
    s.patterns.push_back(PatternTelemetry{p.index, rd64(regs::TEL_PAT_MATCHES_LO), rd(regs::TEL_PAT_LIVE)});
  }
  return s;
}

Result<std::vector<HistoryEntry>> Driver::read_history() {
  auto r = read_history_since(0);
  if (!r) return r.error();
  return std::move(r->entries);
}

Result<HistoryRead> Driver::read_history_since(std::uint64_t cursor, bool freeze) {
  const std::uint32_t ctrl = rd(regs::CTRL);
  if (freeze) wr(regs::CTRL, ctrl | regs::ctrl::HistoryFreeze::mask);
  const std::uint64_t count = rd64(regs::HIST_COUNT_LO);  // reading the low half latches the high half
  const std::uint32_t log2 = rd(regs::HIST_CFG);
  HistoryRead out;
  if (log2 > 31) {
    if (freeze) wr(regs::CTRL, ctrl);
    return make_error("history: implausible HIST_CFG = {}", log2);
  }
  const std::uint64_t size = std::uint64_t{1} << log2;
  const std::uint64_t oldest = count > size ? count - size : 0;
  std::uint64_t seq = std::max(cursor, oldest);
  if (cursor < oldest) out.lost = oldest - cursor;
  if (cursor > count) seq = count;  // a cursor from before a reset or CLEAR_HISTORY
  out.entries.reserve(count - seq);
  for (; seq < count; ++seq) {
    wr(regs::HIST_INDEX, static_cast<std::uint32_t>(seq));  // sequence numbers are kept modulo 2^32
    const std::uint32_t entry = rd(regs::HIST_ENTRY);
    const auto flags = static_cast<std::uint8_t>(regs::hist_entry::Flags::get(entry));
    if ((flags & regs::hist_flag::kValid) == 0 || rd(regs::HIST_SEQ) != static_cast<std::uint32_t>(seq)) {
      ++out.lost;  // overwritten meanwhile (possible only when not frozen)
      continue;
    }
    HistoryEntry e;
    e.sequence = seq;
    e.time = rd64(regs::HIST_TS_LO);
    e.source = static_cast<std::uint16_t>(regs::hist_entry::Source::get(entry));
    e.vector = static_cast<std::uint8_t>(regs::hist_entry::Vector::get(entry));
    e.flags = flags;
    out.entries.push_back(e);
  }
  out.next = count;
  if (freeze) wr(regs::CTRL, ctrl);
  return out;
}

}  // namespace irqshape::isd
