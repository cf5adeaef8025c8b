// The Interrupt Shaping Driver: programs and reads an ISU through its register window
// only (32-bit reads and writes at the offsets of isu/regs.h), as a driver does real
// hardware. It never sees the model behind the window.
//
//   isd::Driver drv(window);
//   auto caps = drv.probe();                   // ID, VERSION, CAP_*
//   auto report = drv.apply(config, sources);  // reset, program, read back, enable
//   auto snap = drv.read_telemetry();          // counters through the snapshot selectors
//   auto hist = drv.read_history();            // the history ring, frozen while read
//
// apply() follows the datasheet's programming sequence (docs/isu-spec.md, section 7):
// soft reset; geometry while disabled; every source, pattern and rule through its shadow
// registers and one COMMIT, checking ERR_STATUS before the commit (a rejected write
// leaves the previous value in the shadow, so that entry is not committed) and
// COMMIT_STATUS after it; then every entry is loaded back (LOAD_*) and compared with what
// was written. Any rejection or difference is reported naming the register and the
// configuration key that produced it, and the unit is left disabled. Only a clean
// configuration is enabled.
//
// Not thread-safe: like a register port, one user at a time.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "hw/register_window.h"
#include "isd/config.h"
#include "isd/program.h"
#include "isd/source_map.h"
#include "isu/regs.h"

namespace irqshape::isd {

// A register the unit rejected, or that read back differently from what was written.
struct RegisterProblem {
  std::uint32_t offset = 0;
  std::string reg;    // "SRC_PRIO", "COMMIT"
  std::string what;   // "rejected 0x00000510 (OUT_OF_RANGE)", "wrote 0x..., read back 0x..."
  std::string key;    // the configuration key: "nic.toml:9:16: source \"nic0\": raise-vector"

  [[nodiscard]] std::string str() const { return key + ": " + reg + ": " + what; }
};

struct ApplyReport {
  Capabilities caps;
  std::size_t sources = 0, patterns = 0, rules = 0;
  std::uint64_t register_writes = 0, register_reads = 0;
  std::vector<std::string> warnings;
  bool enabled = false;
};

// Per-source counters as the unit reports them (one TEL_SRC_SEL snapshot).
struct SourceTelemetry {
  std::uint32_t id = 0;
  std::uint64_t in = 0, out = 0, events = 0, coalesced = 0, deferred = 0, dropped = 0;
  std::uint64_t raised = 0, lowered = 0, patterns = 0;
  std::uint32_t rate = 0;  // events per rate window (estimate)
  std::uint32_t pred_mean_ns = 0, pred_dev_ns = 0;
  std::uint64_t pred_next = 0;
  std::uint32_t pending = 0;
  std::uint64_t hold_sum_ns = 0;
  std::uint32_t hold_max_ns = 0;
  std::array<std::uint32_t, isu::regs::kHoldBuckets> hold{};  // wrapping counters
};

struct RuleTelemetry {
  std::uint32_t index = 0;
  std::uint64_t matches = 0;
};

struct PatternTelemetry {
  std::uint32_t index = 0;
  std::uint64_t matches = 0;
  std::uint32_t live = 0;
};

struct UnitTelemetry {
  std::uint64_t now = 0;
  bool enabled = false;
  std::uint32_t err_status = 0;
  std::uint32_t unshaped_in = 0, pm_live = 0, pm_dropped = 0;
  std::uint64_t history_count = 0;
};

struct TelemetrySnapshot {
  UnitTelemetry unit;
  std::vector<SourceTelemetry> sources;
  std::vector<RuleTelemetry> rules;
  std::vector<PatternTelemetry> patterns;
};

struct HistoryEntry {
  std::uint64_t sequence = 0;  // position in the stream of every entry recorded
  std::uint64_t time = 0;
  std::uint16_t source = 0;
  std::uint8_t vector = 0;
  std::uint8_t flags = 0;  // isu::regs::hist_flag bits (VALID included)
};

struct HistoryRead {
  std::vector<HistoryEntry> entries;  // oldest first
  std::uint64_t next = 0;             // cursor for the next read_history_since()
  std::uint64_t lost = 0;             // entries overwritten before they could be read
};

class Driver {
 public:
  explicit Driver(hw::RegisterWindow& window) : w_(window) {}

  // Reads ID, VERSION and CAP_*. Fails if the window is not an ISU, or speaks a register
  // map major version other than 1.
  Result<Capabilities> probe();
  // CTRL.SOFT_RESET (held events are delivered first), checked.
  Status reset();
  // Resolves, checks and programs `config` (see the header comment); probes if needed.
  Result<ApplyReport> apply(const Config& config, const SourceMap& sources);
  Result<ApplyReport> apply(const Program& program);
  Status set_enabled(bool enabled);

  // Live update of one source's settings (shadows, COMMIT_SOURCE, LOAD_SOURCE and
  // compare): what the adaptation controller uses between periods. Shortening the
  // coalescing time of a source that holds events first has the unit deliver them,
  // so no batch keeps the old, longer deadline: the spec has no per-source way, so this
  // toggles CTRL.ENABLE, which delivers every source's held batches, storm-deferred
  // ones included (see driver.cc).
  Status update_source(const SourceProgram& source);
  // The live settings of a source, read back through LOAD_SOURCE.
  Result<SourceProgram> read_source(std::uint32_t id);

  [[nodiscard]] SourceTelemetry read_source_telemetry(std::uint32_t id);
  // Telemetry of the sources, rules and patterns of the applied configuration (and of
  // every source of the SourceMap given to apply()).
  [[nodiscard]] TelemetrySnapshot read_telemetry();
  [[nodiscard]] TelemetrySnapshot read_telemetry(std::span<const std::uint32_t> sources);
  void set_telemetry_sources(std::vector<std::uint32_t> sources) { telemetry_sources_ = std::move(sources); }
  [[nodiscard]] const std::vector<std::uint32_t>& telemetry_sources() const { return telemetry_sources_; }

  // Every entry still in the history ring, oldest first.
  Result<std::vector<HistoryEntry>> read_history();
  // Entries from sequence number `cursor` on (the ring holds the last 2^HIST_CFG), with
  // the count of those already overwritten. `freeze`: set CTRL.HISTORY_FREEZE while
  // reading (a stable window; interrupts arriving meanwhile are not recorded).
  Result<HistoryRead> read_history_since(std::uint64_t cursor, bool freeze = true);

  std::uint64_t now();
  [[nodiscard]] const Capabilities& capabilities() const { return caps_; }
  [[nodiscard]] const Program& program() const { return program_; }
  [[nodiscard]] const std::vector<RegisterProblem>& problems() const { return problems_; }
  [[nodiscard]] std::uint64_t register_reads() const { return reads_; }
  [[nodiscard]] std::uint64_t register_writes() const { return writes_; }

 private:
  std::uint32_t rd(std::uint32_t offset) {
    ++reads_;
    return w_.read32(offset);
  }
  void wr(std::uint32_t offset, std::uint32_t value) {
    ++writes_;
    w_.write32(offset, value);
  }
  // _LO first: reading it latches _HI (docs/isu-spec.md). In one expression the order of
  // the two reads would be unspecified.
  std::uint64_t rd64(std::uint32_t lo) {
    const std::uint64_t low = rd(lo);
    return low | (std::uint64_t{rd(lo + 4)} << 32);
  }

  void clear_errors();
  // After writing an entry's shadows: reports rejected writes; true if there were none.
  bool check_access(std::span<const Field> fields, const std::string& where);
  bool commit(std::uint32_t command, std::span<const Field> fields, const std::string& where);
  void check_readback(std::uint32_t offset, std::uint32_t wrote, const std::string& key);

  void write_geometry(const GeometryProgram& g);
  bool write_source(const SourceProgram& s);
  bool write_pattern(const PatternProgram& p);
  bool write_rule(const RuleProgram& r);
  void verify_source(const SourceProgram& s);
  void verify_pattern(const PatternProgram& p);
  void verify_rule(const RuleProgram& r);
  Error problems_error(std::string_view what) const;
  bool deliver_held_before_shortening(const SourceProgram& s);

  hw::RegisterWindow& w_;
  Capabilities caps_;
  bool probed_ = false;
  Program program_;
  std::vector<RegisterProblem> problems_;
  std::vector<std::uint32_t> telemetry_sources_;
  std::uint64_t reads_ = 0, writes_ = 0;
};

// "OUT_OF_RANGE|RESERVED_BITS" for ERR_STATUS bits; "BAD_WINDOW" for a COMMIT_STATUS code.
std::string err_status_names(std::uint32_t bits);
std::string_view commit_code_name(std::uint32_t code);

}  // namespace irqshape::isd
