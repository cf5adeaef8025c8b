// Interrupt Shaping Unit register map: the contract between the unit and its driver.
// docs/isu-spec.md describes every register in datasheet form; tests check that the
// document and this header agree. The driver (src/isd) includes only this header.
//
// All registers are 32 bits wide, at 4-byte aligned byte offsets. Times are nanoseconds.
#pragma once

#include <bit>
#include <cstdint>

#include "base/bits.h"

namespace irqshape::isu::regs {

// ---- Geometry (also readable through the CAP_* registers) ----
inline constexpr std::uint32_t kIdValue = 0x4953'5500;  // "ISU\0"
inline constexpr std::uint32_t kVersionMajor = 1;
inline constexpr std::uint32_t kVersionMinor = 0;
inline constexpr std::uint32_t kSources = 256;
inline constexpr std::uint32_t kDestinations = 64;
inline constexpr std::uint32_t kPatterns = 64;
inline constexpr std::uint32_t kMinSteps = 2;
inline constexpr std::uint32_t kMaxSteps = 8;
inline constexpr std::uint32_t kRules = 64;
inline constexpr std::uint32_t kPartials = 1024;
inline constexpr std::uint32_t kHistoryLog2Min = 8, kHistoryLog2Max = 13;   // 256 .. 8192 entries
inline constexpr std::uint32_t kContextLog2Min = 4, kContextLog2Max = 8;    // 16 .. 256 slots per destination
inline constexpr std::uint32_t kThresholdMax = 0x7FFF'FFFF;  // rate thresholds and storm limits
inline constexpr std::uint32_t kAnySource = 0xFFFF;          // RULE_SOURCE wildcard
inline constexpr std::uint32_t kMinRateWindow = 1000;        // ns

// ---- Register offsets ----
enum Offset : std::uint32_t {
  // identification and capabilities
  ID = 0x000,
  VERSION = 0x004,
  CAP_SOURCES = 0x008,
  CAP_DESTINATIONS = 0x00C,
  CAP_PATTERNS = 0x010,
  CAP_STEPS = 0x014,
  CAP_RULES = 0x018,
  CAP_PARTIALS = 0x01C,
  CAP_HISTORY = 0x020,
  CAP_CONTEXT = 0x024,
  // control and status
  CTRL = 0x040,
  STATUS = 0x044,
  ERR_STATUS = 0x048,
  ERR_ADDR = 0x04C,
  ERR_DATA = 0x050,
  ERR_COUNT = 0x054,
  COMMIT = 0x058,
  COMMIT_STATUS = 0x05C,
  RATE_WINDOW = 0x060,
  PRED_SHIFT = 0x064,
  HIST_CFG = 0x068,
  CTX_CFG = 0x06C,
  NOW_LO = 0x070,
  NOW_HI = 0x074,
  UNSHAPED_IN = 0x078,
  PM_LIVE = 0x07C,
  PM_DROPPED = 0x080,
  // history ring viewer
  HIST_COUNT_LO = 0x100,
  HIST_COUNT_HI = 0x104,
  HIST_INDEX = 0x108,
  HIST_TS_LO = 0x10C,
  HIST_TS_HI = 0x110,
  HIST_ENTRY = 0x114,
  HIST_SEQ = 0x118,
  // pattern shadow
  PAT_SEL = 0x200,
  PAT_CTRL = 0x204,
  PAT_SRC0 = 0x210,  // PAT_SRCk = 0x210 + 4k, k = 0..7
  PAT_MIN0 = 0x230,  // PAT_MINk = 0x230 + 4k
  PAT_MAX0 = 0x250,  // PAT_MAXk = 0x250 + 4k
  // rule shadow
  RULE_SEL = 0x280,
  RULE_COND = 0x284,
  RULE_SOURCE = 0x288,
  RULE_PARAM = 0x28C,
  RULE_ACTION = 0x290,
  // source shadow
  SRC_SEL = 0x2C0,
  SRC_CTRL = 0x2C4,
  SRC_COAL_COUNT = 0x2C8,
  SRC_COAL_TIME = 0x2CC,
  SRC_STORM_LIMIT = 0x2D0,
  SRC_PRIO = 0x2D4,
  // telemetry: per source (snapshot taken when TEL_SRC_SEL is written)
  TEL_SRC_SEL = 0x300,
  TEL_IN_LO = 0x304,
  TEL_IN_HI = 0x308,
  TEL_OUT_LO = 0x30C,
  TEL_OUT_HI = 0x310,
  TEL_EVENTS_LO = 0x314,
  TEL_EVENTS_HI = 0x318,
  TEL_COALESCED_LO = 0x31C,
  TEL_COALESCED_HI = 0x320,
  TEL_DEFERRED_LO = 0x324,
  TEL_DEFERRED_HI = 0x328,
  TEL_DROPPED_LO = 0x32C,
  TEL_DROPPED_HI = 0x330,
  TEL_RAISED_LO = 0x334,
  TEL_RAISED_HI = 0x338,
  TEL_LOWERED_LO = 0x33C,
  TEL_LOWERED_HI = 0x340,
  TEL_PATTERNS_LO = 0x344,
  TEL_PATTERNS_HI = 0x348,
  TEL_RATE = 0x34C,
  TEL_PRED_MEAN = 0x350,
  TEL_PRED_DEV = 0x354,
  TEL_PRED_NEXT_LO = 0x358,
  TEL_PRED_NEXT_HI = 0x35C,
  TEL_PENDING = 0x360,
  TEL_HOLD_SUM_LO = 0x364,  // total time events were held before delivery, ns
  TEL_HOLD_SUM_HI = 0x368,
  TEL_HOLD_MAX = 0x36C,     // longest hold of an event, ns (saturating)
  TEL_HOLD0 = 0x370,        // TEL_HOLDk = 0x370 + 4k, k = 0..15: hold-time histogram
  // telemetry: per rule and per pattern
  TEL_RULE_SEL = 0x3C0,
  TEL_RULE_MATCHES_LO = 0x3C4,
  TEL_RULE_MATCHES_HI = 0x3C8,
  TEL_PAT_SEL = 0x3D0,
  TEL_PAT_MATCHES_LO = 0x3D4,
  TEL_PAT_MATCHES_HI = 0x3D8,
  TEL_PAT_LIVE = 0x3DC,
  // context ring viewer (record snapshot taken when CTX_SEL is written)
  CTX_SEL = 0x400,
  CTX_DATA0 = 0x404,  // CTX_DATAk = 0x404 + 4k, k = 0..15
  kWindowSize = 0x1000,
};

[[nodiscard]] constexpr std::uint32_t pat_src(unsigned step) { return PAT_SRC0 + 4 * step; }
[[nodiscard]] constexpr std::uint32_t pat_min(unsigned step) { return PAT_MIN0 + 4 * step; }
[[nodiscard]] constexpr std::uint32_t pat_max(unsigned step) { return PAT_MAX0 + 4 * step; }
[[nodiscard]] constexpr std::uint32_t ctx_data(unsigned word) { return CTX_DATA0 + 4 * word; }
[[nodiscard]] constexpr std::uint32_t tel_hold(unsigned bucket) { return TEL_HOLD0 + 4 * bucket; }

// Hold-time histogram: bucket 0 counts events held less than 1024 ns (including those
// delivered at once); bucket k (1..14) those held [1024 * 2^(k-1), 1024 * 2^k) ns;
// bucket 15 those held 2^24 ns (16.8 ms) or longer. Each event of a batch is counted at
// the batch's longest hold (its first event's), an upper bound. Counters wrap at 2^32:
// a driver reads them periodically and takes differences modulo 2^32.
inline constexpr unsigned kHoldBuckets = 16;
[[nodiscard]] constexpr unsigned hold_bucket(std::uint64_t hold_ns) {
  const auto width = static_cast<unsigned>(std::bit_width(hold_ns >> 10));
  return width > kHoldBuckets - 1 ? kHoldBuckets - 1 : width;
}
// Lower bound of bucket k in ns (0 for bucket 0).
[[nodiscard]] constexpr std::uint64_t hold_bucket_floor(unsigned k) { return k == 0 ? 0 : std::uint64_t{1024} << (k - 1); }

// ---- Fields ----
namespace version {
using Minor = BitField<0, 16>;
using Major = BitField<16, 16>;
}  // namespace version

namespace cap_range {  // CAP_HISTORY, CAP_CONTEXT
using MinLog2 = BitField<0, 8>;
using MaxLog2 = BitField<8, 8>;
}  // namespace cap_range

namespace ctrl {
using Enable = Bit<0>;
using HistoryFreeze = Bit<1>;
using SoftReset = Bit<31>;  // write 1: reset the unit; always reads 0
inline constexpr std::uint32_t kDefined = fields_mask<Enable, HistoryFreeze, SoftReset>;
}  // namespace ctrl

namespace status {
using Enabled = Bit<0>;
using BatchesPending = Bit<1>;
using HistoryFrozen = Bit<2>;
using Error = Bit<3>;  // ERR_STATUS is non-zero
}  // namespace status

// ERR_STATUS (write 1 to clear). Bits 0-5: register access errors (ERR_ADDR/ERR_DATA
// hold the first one); bits 8-11: data-path conditions.
namespace err {
using ReservedBits = Bit<0>;     // a write set a reserved bit
using OutOfRange = Bit<1>;       // a field value outside its range
using ReadOnlyWrite = Bit<2>;    // a write to a read-only register
using Unmapped = Bit<3>;         // an access to an unmapped or unaligned offset
using CommitRejected = Bit<4>;   // COMMIT found the shadow registers inconsistent
using ConfigLocked = Bit<5>;     // HIST_CFG/CTX_CFG written while enabled
using InputSource = Bit<8>;      // an input's source id >= CAP_SOURCES (passed through unshaped)
using InputTime = Bit<9>;        // an input's timestamp went backwards (clamped)
using InputDestination = Bit<10>;// a context record for a destination >= CAP_DESTINATIONS
using PartialOverflow = Bit<11>; // the partial-match table was full; a partial match was dropped
inline constexpr std::uint32_t kAccessErrors = 0x3F;
inline constexpr std::uint32_t kDefined = 0x3F | 0xF00;
}  // namespace err

// COMMIT commands and COMMIT_STATUS.
namespace commit {
using Command = BitField<0, 8>;
enum Cmd : std::uint32_t {
  kCommitPattern = 0x01,
  kCommitRule = 0x02,
  kCommitSource = 0x03,
  kLoadPattern = 0x11,
  kLoadRule = 0x12,
  kLoadSource = 0x13,
  kClearPattern = 0x21,
  kClearRule = 0x22,
  kClearTelemetry = 0x30,
  kClearHistory = 0x31,
};
using Result = BitField<0, 8>;
using LastCommand = BitField<8, 8>;
enum Code : std::uint32_t {
  kOk = 0,
  kBadCommand = 1,
  kBadSteps = 2,       // PAT_CTRL.STEPS outside 2..8
  kBadWindow = 3,      // PAT_MINk > PAT_MAXk for some step
  kBadCondition = 4,   // enabled rule with KIND 0, a PATTERN rule naming a pattern >= 64,
                       // or a RATE rule with PARAM above kThresholdMax
  kBadAction = 5,      // RAISE with LOWER, or COALESCE with URGENT
  kBadCoalescing = 6,  // COALESCE or ADAPTIVE without a time threshold (every held event needs a deadline)
  kBadStorm = 7,       // storm guard enabled with STORM_LIMIT 0, or DROP without GUARD
};
}  // namespace commit

namespace hist_cfg {
using Log2Size = BitField<0, 4>;
inline constexpr std::uint32_t kReset = kHistoryLog2Min;
}  // namespace hist_cfg

namespace ctx_cfg {
using Log2Slots = BitField<0, 4>;
inline constexpr std::uint32_t kReset = 6;
}  // namespace ctx_cfg

namespace hist_entry {
using Source = BitField<0, 16>;
using Vector = BitField<16, 8>;
using Flags = BitField<24, 8>;
}  // namespace hist_entry

// Flags of a history entry (HIST_ENTRY bits 31:24).
namespace hist_flag {
inline constexpr std::uint32_t kValid = 1u << 0;       // the entry is the one HIST_INDEX asked for
inline constexpr std::uint32_t kHeld = 1u << 1;        // held for coalescing
inline constexpr std::uint32_t kDeferred = 1u << 2;    // held by the storm guard
inline constexpr std::uint32_t kDropped = 1u << 3;     // dropped by the storm guard
inline constexpr std::uint32_t kPattern = 1u << 4;     // completed at least one pattern
inline constexpr std::uint32_t kRaised = 1u << 5;
inline constexpr std::uint32_t kLowered = 1u << 6;
inline constexpr std::uint32_t kFlushed = 1u << 7;     // delivered a virtual interrupt at once
}  // namespace hist_flag

namespace pat_sel {
using Index = BitField<0, 6>;
}
namespace pat_ctrl {
using Steps = BitField<0, 4>;
using Enable = Bit<31>;
inline constexpr std::uint32_t kDefined = fields_mask<Steps, Enable>;
}  // namespace pat_ctrl
namespace pat_step {
using Source = BitField<0, 8>;
}

namespace rule_sel {
using Index = BitField<0, 6>;
}
namespace rule_cond {
using Kind = BitField<0, 4>;
using Enable = Bit<31>;
inline constexpr std::uint32_t kDefined = fields_mask<Kind, Enable>;
enum KindCode : std::uint32_t {
  kAlways = 1,         // every interrupt of the filtered source(s)
  kPattern = 2,        // PARAM = pattern index: that pattern completed on this interrupt
  kRateAbove = 3,      // PARAM = events per RATE_WINDOW: source rate above it
  kRateBelow = 4,      // PARAM = events per RATE_WINDOW: source rate below it
  kPeriodic = 5,       // PARAM = ns: source's inter-arrival deviation at most PARAM (>= 8 gaps seen)
  kOffPrediction = 6,  // PARAM = ns: arrival differs from the predicted time by more than PARAM
};
inline constexpr std::uint32_t kMaxKind = kOffPrediction;
}  // namespace rule_cond
namespace rule_source {
using Source = BitField<0, 16>;  // < CAP_SOURCES, or kAnySource
}
namespace rule_action {
using Raise = Bit<0>;
using Lower = Bit<1>;
using Augment = Bit<2>;
using Coalesce = Bit<3>;
using Urgent = Bit<4>;
inline constexpr std::uint32_t kDefined = fields_mask<Raise, Lower, Augment, Coalesce, Urgent>;
}  // namespace rule_action

namespace src_sel {
using Index = BitField<0, 8>;
}
namespace src_ctrl {
using Coalesce = Bit<0>;
using Adaptive = Bit<1>;
using StormGuard = Bit<2>;
using StormDrop = Bit<3>;
inline constexpr std::uint32_t kDefined = fields_mask<Coalesce, Adaptive, StormGuard, StormDrop>;
}  // namespace src_ctrl
namespace src_coal_count {
using Frames = BitField<0, 16>;  // 0: no count threshold (the time threshold alone)
}
namespace src_prio {
using RaiseVector = BitField<0, 8>;  // 0: none; else 32..255
using LowerVector = BitField<8, 8>;
inline constexpr std::uint32_t kDefined = fields_mask<RaiseVector, LowerVector>;
}  // namespace src_prio

namespace tel_sel {
using Index = BitField<0, 8>;
}
namespace ctx_sel {
using Slot = BitField<0, 8>;
using Destination = BitField<8, 8>;
inline constexpr std::uint32_t kDefined = fields_mask<Slot, Destination>;
}  // namespace ctx_sel

// ---- Register table: access type, reset value and defined bits of every register ----
enum class Access : std::uint8_t { RO, RW, W1C, WO };

struct RegisterInfo {
  std::uint32_t offset;
  const char* name;
  Access access;
  std::uint32_t reset;
  std::uint32_t defined;  // bits that exist; a write setting any other bit is rejected
};

inline constexpr std::uint32_t kAll = 0xFFFF'FFFF;

inline constexpr RegisterInfo kRegisters[] = {
    {ID, "ID", Access::RO, kIdValue, kAll},
    {VERSION, "VERSION", Access::RO, (kVersionMajor << 16) | kVersionMinor, kAll},
    {CAP_SOURCES, "CAP_SOURCES", Access::RO, kSources, kAll},
    {CAP_DESTINATIONS, "CAP_DESTINATIONS", Access::RO, kDestinations, kAll},
    {CAP_PATTERNS, "CAP_PATTERNS", Access::RO, kPatterns, kAll},
    {CAP_STEPS, "CAP_STEPS", Access::RO, kMaxSteps, kAll},
    {CAP_RULES, "CAP_RULES", Access::RO, kRules, kAll},
    {CAP_PARTIALS, "CAP_PARTIALS", Access::RO, kPartials, kAll},
    {CAP_HISTORY, "CAP_HISTORY", Access::RO, (kHistoryLog2Max << 8) | kHistoryLog2Min, kAll},
    {CAP_CONTEXT, "CAP_CONTEXT", Access::RO, (kContextLog2Max << 8) | kContextLog2Min, kAll},
    {CTRL, "CTRL", Access::RW, 0, ctrl::kDefined},
    {STATUS, "STATUS", Access::RO, 0, kAll},
    {ERR_STATUS, "ERR_STATUS", Access::W1C, 0, err::kDefined},
    {ERR_ADDR, "ERR_ADDR", Access::RO, 0, kAll},
    {ERR_DATA, "ERR_DATA", Access::RO, 0, kAll},
    {ERR_COUNT, "ERR_COUNT", Access::RO, 0, kAll},
    {COMMIT, "COMMIT", Access::WO, 0, commit::Command::mask},
    {COMMIT_STATUS, "COMMIT_STATUS", Access::RO, 0, kAll},
    {RATE_WINDOW, "RATE_WINDOW", Access::RW, 1'000'000, kAll},
    {PRED_SHIFT, "PRED_SHIFT", Access::RW, 3, 0xF},
    {HIST_CFG, "HIST_CFG", Access::RW, hist_cfg::kReset, hist_cfg::Log2Size::mask},
    {CTX_CFG, "CTX_CFG", Access::RW, ctx_cfg::kReset, ctx_cfg::Log2Slots::mask},
    {NOW_LO, "NOW_LO", Access::RO, 0, kAll},
    {NOW_HI, "NOW_HI", Access::RO, 0, kAll},
    {UNSHAPED_IN, "UNSHAPED_IN", Access::RO, 0, kAll},
    {PM_LIVE, "PM_LIVE", Access::RO, 0, kAll},
    {PM_DROPPED, "PM_DROPPED", Access::RO, 0, kAll},
    {HIST_COUNT_LO, "HIST_COUNT_LO", Access::RO, 0, kAll},
    {HIST_COUNT_HI, "HIST_COUNT_HI", Access::RO, 0, kAll},
    {HIST_INDEX, "HIST_INDEX", Access::RW, 0, kAll},
    {HIST_TS_LO, "HIST_TS_LO", Access::RO, 0, kAll},
    {HIST_TS_HI, "HIST_TS_HI", Access::RO, 0, kAll},
    {HIST_ENTRY, "HIST_ENTRY", Access::RO, 0, kAll},
    {HIST_SEQ, "HIST_SEQ", Access::RO, 0, kAll},
    {PAT_SEL, "PAT_SEL", Access::RW, 0, pat_sel::Index::mask},
    {PAT_CTRL, "PAT_CTRL", Access::RW, 0, pat_ctrl::kDefined},
    {pat_src(0), "PAT_SRC0", Access::RW, 0, pat_step::Source::mask},
    {pat_src(1), "PAT_SRC1", Access::RW, 0, pat_step::Source::mask},
    {pat_src(2), "PAT_SRC2", Access::RW, 0, pat_step::Source::mask},
    {pat_src(3), "PAT_SRC3", Access::RW, 0, pat_step::Source::mask},
    {pat_src(4), "PAT_SRC4", Access::RW, 0, pat_step::Source::mask},
    {pat_src(5), "PAT_SRC5", Access::RW, 0, pat_step::Source::mask},
    {pat_src(6), "PAT_SRC6", Access::RW, 0, pat_step::Source::mask},
    {pat_src(7), "PAT_SRC7", Access::RW, 0, pat_step::Source::mask},
    {pat_min(0), "PAT_MIN0", Access::RW, 0, kAll},
    {pat_min(1), "PAT_MIN1", Access::RW, 0, kAll},
    {pat_min(2), "PAT_MIN2", Access::RW, 0, kAll},
    {pat_min(3), "PAT_MIN3", Access::RW, 0, kAll},
    {pat_min(4), "PAT_MIN4", Access::RW, 0, kAll},
    {pat_min(5), "PAT_MIN5", Access::RW, 0, kAll},
    {pat_min(6), "PAT_MIN6", Access::RW, 0, kAll},
    {pat_min(7), "PAT_MIN7", Access::RW, 0, kAll},
    {pat_max(0), "PAT_MAX0", Access::RW, 0, kAll},
    {pat_max(1), "PAT_MAX1", Access::RW, 0, kAll},
    {pat_max(2), "PAT_MAX2", Access::RW, 0, kAll},
    {pat_max(3), "PAT_MAX3", Access::RW, 0, kAll},
    {pat_max(4), "PAT_MAX4", Access::RW, 0, kAll},
    {pat_max(5), "PAT_MAX5", Access::RW, 0, kAll},
    {pat_max(6), "PAT_MAX6", Access::RW, 0, kAll},
    {pat_max(7), "PAT_MAX7", Access::RW, 0, kAll},
    {RULE_SEL, "RULE_SEL", Access::RW, 0, rule_sel::Index::mask},
    {RULE_COND, "RULE_COND", Access::RW, 0, rule_cond::kDefined},
    {RULE_SOURCE, "RULE_SOURCE", Access::RW, kAnySource, rule_source::Source::mask},
    {RULE_PARAM, "RULE_PARAM", Access::RW, 0, kAll},
    {RULE_ACTION, "RULE_ACTION", Access::RW, 0, rule_action::kDefined},
    {SRC_SEL, "SRC_SEL", Access::RW, 0, src_sel::Index::mask},
    {SRC_CTRL, "SRC_CTRL", Access::RW, 0, src_ctrl::kDefined},
    {SRC_COAL_COUNT, "SRC_COAL_COUNT", Access::RW, 0, src_coal_count::Frames::mask},
    {SRC_COAL_TIME, "SRC_COAL_TIME", Access::RW, 0, kAll},
    {SRC_STORM_LIMIT, "SRC_STORM_LIMIT", Access::RW, 0, kAll},
    {SRC_PRIO, "SRC_PRIO", Access::RW, 0, src_prio::kDefined},
    {TEL_SRC_SEL, "TEL_SRC_SEL", Access::RW, 0, tel_sel::Index::mask},
    {TEL_IN_LO, "TEL_IN_LO", Access::RO, 0, kAll},
    {TEL_IN_HI, "TEL_IN_HI", Access::RO, 0, kAll},
    {TEL_OUT_LO, "TEL_OUT_LO", Access::RO, 0, kAll},
    {TEL_OUT_HI, "TEL_OUT_HI", Access::RO, 0, kAll},
    {TEL_EVENTS_LO, "TEL_EVENTS_LO", Access::RO, 0, kAll},
    {TEL_EVENTS_HI, "TEL_EVENTS_HI", Access::RO, 0, kAll},
    {TEL_COALESCED_LO, "TEL_COALESCED_LO", Access::RO, 0, kAll},
    {TEL_COALESCED_HI, "TEL_COALESCED_HI", Access::RO, 0, kAll},
    {TEL_DEFERRED_LO, "TEL_DEFERRED_LO", Access::RO, 0, kAll},
    {TEL_DEFERRED_HI, "TEL_DEFERRED_HI", Access::RO, 0, kAll},
    {TEL_DROPPED_LO, "TEL_DROPPED_LO", Access::RO, 0, kAll},
    {TEL_DROPPED_HI, "TEL_DROPPED_HI", Access::RO, 0, kAll},
    {TEL_RAISED_LO, "TEL_RAISED_LO", Access::RO, 0, kAll},
    {TEL_RAISED_HI, "TEL_RAISED_HI", Access::RO, 0, kAll},
    {TEL_LOWERED_LO, "TEL_LOWERED_LO", Access::RO, 0, kAll},
    {TEL_LOWERED_HI, "TEL_LOWERED_HI", Access::RO, 0, kAll},
    {TEL_PATTERNS_LO, "TEL_PATTERNS_LO", Access::RO, 0, kAll},
    {TEL_PATTERNS_HI, "TEL_PATTERNS_HI", Access::RO, 0, kAll},
    {TEL_RATE, "TEL_RATE", Access::RO, 0, kAll},
    {TEL_PRED_MEAN, "TEL_PRED_MEAN", Access::RO, 0, kAll},
    {TEL_PRED_DEV, "TEL_PRED_DEV", Access::RO, 0, kAll},
    {TEL_PRED_NEXT_LO, "TEL_PRED_NEXT_LO", Access::RO, 0, kAll},
    {TEL_PRED_NEXT_HI, "TEL_PRED_NEXT_HI", Access::RO, 0, kAll},
    {TEL_PENDING, "TEL_PENDING", Access::RO, 0, kAll},
    {TEL_HOLD_SUM_LO, "TEL_HOLD_SUM_LO", Access::RO, 0, kAll},
    {TEL_HOLD_SUM_HI, "TEL_HOLD_SUM_HI", Access::RO, 0, kAll},
    {TEL_HOLD_MAX, "TEL_HOLD_MAX", Access::RO, 0, kAll},
    {tel_hold(0), "TEL_HOLD0", Access::RO, 0, kAll},
    {tel_hold(1), "TEL_HOLD1", Access::RO, 0, kAll},
    {tel_hold(2), "TEL_HOLD2", Access::RO, 0, kAll},
    {tel_hold(3), "TEL_HOLD3", Access::RO, 0, kAll},
    {tel_hold(4), "TEL_HOLD4", Access::RO, 0, kAll},
    {tel_hold(5), "TEL_HOLD5", Access::RO, 0, kAll},
    {tel_hold(6), "TEL_HOLD6", Access::RO, 0, kAll},
    {tel_hold(7), "TEL_HOLD7", Access::RO, 0, kAll},
    {tel_hold(8), "TEL_HOLD8", Access::RO, 0, kAll},
    {tel_hold(9), "TEL_HOLD9", Access::RO, 0, kAll},
    {tel_hold(10), "TEL_HOLD10", Access::RO, 0, kAll},
    {tel_hold(11), "TEL_HOLD11", Access::RO, 0, kAll},
    {tel_hold(12), "TEL_HOLD12", Access::RO, 0, kAll},
    {tel_hold(13), "TEL_HOLD13", Access::RO, 0, kAll},
    {tel_hold(14), "TEL_HOLD14", Access::RO, 0, kAll},
    {tel_hold(15), "TEL_HOLD15", Access::RO, 0, kAll},
    {TEL_RULE_SEL, "TEL_RULE_SEL", Access::RW, 0, rule_sel::Index::mask},
    {TEL_RULE_MATCHES_LO, "TEL_RULE_MATCHES_LO", Access::RO, 0, kAll},
    {TEL_RULE_MATCHES_HI, "TEL_RULE_MATCHES_HI", Access::RO, 0, kAll},
    {TEL_PAT_SEL, "TEL_PAT_SEL", Access::RW, 0, pat_sel::Index::mask},
    {TEL_PAT_MATCHES_LO, "TEL_PAT_MATCHES_LO", Access::RO, 0, kAll},
    {TEL_PAT_MATCHES_HI, "TEL_PAT_MATCHES_HI", Access::RO, 0, kAll},
    {TEL_PAT_LIVE, "TEL_PAT_LIVE", Access::RO, 0, kAll},
    {CTX_SEL, "CTX_SEL", Access::RW, 0, ctx_sel::kDefined},
    {ctx_data(0), "CTX_DATA0", Access::RO, 0, kAll},
    {ctx_data(1), "CTX_DATA1", Access::RO, 0, kAll},
    {ctx_data(2), "CTX_DATA2", Access::RO, 0, kAll},
    {ctx_data(3), "CTX_DATA3", Access::RO, 0, kAll},
    {ctx_data(4), "CTX_DATA4", Access::RO, 0, kAll},
    {ctx_data(5), "CTX_DATA5", Access::RO, 0, kAll},
    {ctx_data(6), "CTX_DATA6", Access::RO, 0, kAll},
    {ctx_data(7), "CTX_DATA7", Access::RO, 0, kAll},
    {ctx_data(8), "CTX_DATA8", Access::RO, 0, kAll},
    {ctx_data(9), "CTX_DATA9", Access::RO, 0, kAll},
    {ctx_data(10), "CTX_DATA10", Access::RO, 0, kAll},
    {ctx_data(11), "CTX_DATA11", Access::RO, 0, kAll},
    {ctx_data(12), "CTX_DATA12", Access::RO, 0, kAll},
    {ctx_data(13), "CTX_DATA13", Access::RO, 0, kAll},
    {ctx_data(14), "CTX_DATA14", Access::RO, 0, kAll},
    {ctx_data(15), "CTX_DATA15", Access::RO, 0, kAll},
};

[[nodiscard]] constexpr const RegisterInfo* find_register(std::uint32_t offset) {
  for (const RegisterInfo& r : kRegisters)
    if (r.offset == offset) return &r;
  return nullptr;
}

// ---- Context record: 64 bytes, written by the unit into a per-destination ring ----
// Byte offsets inside the record (little-endian), also the CTX_DATA word layout.
namespace ctx {
inline constexpr unsigned kRecordBytes = 64;
inline constexpr unsigned kSequence = 0x00;      // u32: per-destination record number, 0 = empty slot
inline constexpr unsigned kSourceVector = 0x04;  // u16 source, u8 vector, u8 rule id (0xFF: none)
inline constexpr unsigned kCount = 0x08;         // u32: events this virtual interrupt carries
inline constexpr unsigned kFlags = 0x0C;         // u32: ctx_flag bits
inline constexpr unsigned kFirstTime = 0x10;     // u64: first event
inline constexpr unsigned kLastTime = 0x18;      // u64: last event
inline constexpr unsigned kPrevStepTime = 0x20;  // u64: previous step of the completed sequence (0: none)
inline constexpr unsigned kPredictedNext = 0x28; // u64: predicted next arrival of this source (0: unknown)
inline constexpr unsigned kPatternMask = 0x30;   // u64: patterns completed by the carried events
inline constexpr unsigned kDropped = 0x38;       // u32: events of this source dropped since its last record
inline constexpr std::uint8_t kNoRule = 0xFF;
// The last sequence number before a destination's numbering starts again at 1: a multiple
// of every ring size, so slot = (sequence - 1) mod slots stays consecutive across the wrap.
inline constexpr std::uint32_t kLastSequence = 0u - (1u << kContextLog2Max);
static_assert(kLastSequence % (1u << kContextLog2Max) == 0);
}  // namespace ctx

namespace ctx_flag {
inline constexpr std::uint32_t kCoalesced = 1u << 0;  // count > 1
inline constexpr std::uint32_t kDeferred = 1u << 1;   // held by the storm guard
inline constexpr std::uint32_t kPattern = 1u << 2;    // carries a completed sequence
inline constexpr std::uint32_t kRaised = 1u << 3;
inline constexpr std::uint32_t kLowered = 1u << 4;
inline constexpr std::uint32_t kUrgent = 1u << 5;
inline constexpr std::uint32_t kTimer = 1u << 6;      // flushed by a time threshold or storm window
}  // namespace ctx_flag

}  // namespace irqshape::isu::regs
