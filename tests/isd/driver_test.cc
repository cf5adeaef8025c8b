// The driver against the ISU model, through the register window only: probe, reset,
// apply (commit, read-back), the error paths (values the unit rejects, reserved bits,
// refused commits, a unit that keeps another value than written, a full rule table),
// live updates, telemetry and the history ring.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "isd/config.h"
#include "isd/driver.h"
#include "isd_test_support.h"

namespace irqshape::isd {
namespace {

namespace regs = isu::regs;
using harness::ModelHarness;
using testing::ConstantWindow;
using testing::example_platform;
using testing::TamperingWindow;

class DriverTest : public ::testing::Test {
 protected:
  ModelHarness model;
  Driver driver{model.window()};
  SourceMap platform = example_platform();

  Config load(const char* path) {
    auto c = load_config(path);
    EXPECT_TRUE(c.ok()) << c.message();
    return c.ok() ? *c : Config{};
  }
  void fire(std::uint32_t source, std::uint64_t t) { model.interrupt({t, source, 0x40, 0}); }
};

TEST_F(DriverTest, ProbeReadsTheCapabilities) {
  auto caps = driver.probe();
  ASSERT_TRUE(caps.ok()) << caps.message();
  EXPECT_EQ(caps->version_major, 1u);
  EXPECT_EQ(caps->sources, 256u);
  EXPECT_EQ(caps->patterns, 64u);
  EXPECT_EQ(caps->steps, 8u);
  EXPECT_EQ(caps->rules, 64u);
  EXPECT_EQ(caps->partials, 1024u);
  EXPECT_EQ(caps->history_log2_min, 8u);
  EXPECT_EQ(caps->history_log2_max, 13u);
  EXPECT_EQ(caps->context_log2_min, 4u);
  EXPECT_EQ(caps->context_log2_max, 8u);
}

TEST_F(DriverTest, ProbeRefusesSomethingElse) {
  ConstantWindow nothing(0xFFFF'FFFF);
  Driver d(nothing);
  auto caps = d.probe();
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.message(), "probe: not an ISU: ID reads 0xFFFFFFFF, expected 0x49535500 (\"ISU\\0\")");
  auto report = d.apply(Config{}, platform);
  EXPECT_FALSE(report.ok());
}

TEST_F(DriverTest, ProbeRefusesAnotherMajorVersion) {
  TamperingWindow v2(model.window());
  v2.on_read = [](std::uint32_t offset, std::uint32_t& v) { return offset == regs::VERSION ? (v = 0x0002'0003, true) : false; };
  Driver d(v2);
  auto caps = d.probe();
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.message(), "probe: ISU register map version 2.3 is not supported (this driver speaks 1.x)");
}

TEST_F(DriverTest, ApplyProgramsReadsBackAndEnables) {
  auto report = driver.apply(load("examples/nic-nvme.toml"), platform);
  ASSERT_TRUE(report.ok()) << report.message();
  EXPECT_TRUE(report->enabled);
  EXPECT_EQ(report->sources, 4u);
  EXPECT_EQ(report->patterns, 1u);
  EXPECT_EQ(report->rules, 3u);
  EXPECT_GT(report->register_reads, 50u);
  EXPECT_TRUE(driver.problems().empty());
  // What the unit holds, seen from its side.
  isu::Isu& unit = model.unit();
  EXPECT_TRUE(unit.enabled());
  EXPECT_EQ(unit.read32(regs::HIST_CFG), 13u);
  EXPECT_EQ(unit.read32(regs::RATE_WINDOW), 100'000u);
  EXPECT_EQ(unit.read32(regs::ERR_STATUS), 0u);
  auto nic = driver.read_source(0);
  ASSERT_TRUE(nic.ok());
  EXPECT_EQ(nic->value(regs::SRC_COAL_TIME), 50'000u);
  EXPECT_EQ(nic->value(regs::SRC_COAL_COUNT), 32u);
  auto legacy = driver.read_source(3);
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->value(regs::SRC_STORM_LIMIT), 20u);
  // And the shaping happens: a periodic timer is lowered once the predictor trusts it.
  // (the deviation estimate starts at half the first gap and decays by 1/8 per gap)
  for (std::uint64_t t = 0; t < 60; ++t) fire(2, t * 1'000'000);
  const SourceTelemetry timer = driver.read_source_telemetry(2);
  EXPECT_EQ(timer.in, 60u);
  EXPECT_GT(timer.lowered, 30u);
}

TEST_F(DriverTest, ApplyTheIssueExampleAndWatchTheSequenceRaise) {
  auto report = driver.apply(load("examples/issue-example.toml"), platform);
  ASSERT_TRUE(report.ok()) << report.message();
  // nvme0q1 (1), then eth0 (0) 5 ms later, then eth1 (4) 0.5 ms after that
  fire(1, 1'000'000);
  fire(0, 6'000'000);
  fire(4, 6'500'000);
  const SourceTelemetry nic1 = driver.read_source_telemetry(4);
  EXPECT_EQ(nic1.patterns, 1u);
  EXPECT_EQ(nic1.raised, 1u);
  const TelemetrySnapshot snap = driver.read_telemetry();
  ASSERT_EQ(snap.rules.size(), 1u);
  EXPECT_EQ(snap.rules[0].matches, 1u);
  ASSERT_EQ(snap.patterns.size(), 1u);
  EXPECT_EQ(snap.patterns[0].matches, 1u);
}

// A program that bypasses compile(): what the unit itself says about bad values.
Program one_source(std::uint32_t ctrl, std::uint32_t time, std::uint32_t prio) {
  Program p;
  SourceProgram s;
  s.id = 7;
  s.name = "nic0";
  s.where = "x.toml:3:1: source \"nic0\"";
  s.fields = {Field{regs::SRC_CTRL, ctrl, "x.toml:4:15: source \"nic0\": adaptive-rx"},
              Field{regs::SRC_COAL_COUNT, 0, s.where},
              Field{regs::SRC_COAL_TIME, time, "x.toml:5:12: source \"nic0\": rx-usecs"},
              Field{regs::SRC_STORM_LIMIT, 0, s.where},
              Field{regs::SRC_PRIO, prio, "x.toml:6:16: source \"nic0\": raise-vector"}};
  p.sources.push_back(s);
  return p;
}

TEST_F(DriverTest, AValueOutOfRangeIsReportedWithItsKeyAndNotCommitted) {
  auto report = driver.apply(one_source(0, 0, regs::src_prio::RaiseVector::make(5)));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.message(),
            "x.toml:6:16: source \"nic0\": raise-vector: SRC_PRIO: the unit rejected 0x00000005 (OUT_OF_RANGE) (unit left disabled)");
  ASSERT_EQ(driver.problems().size(), 1u);
  EXPECT_EQ(driver.problems()[0].offset, regs::SRC_PRIO);
  EXPECT_FALSE(model.unit().enabled());
  EXPECT_EQ(model.unit().read32(regs::ERR_STATUS), 0u) << "the driver clears what it reported";
}

TEST_F(DriverTest, AReservedBitIsReported) {
  auto report = driver.apply(one_source(0x10, 0, 0));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.message(),
            "x.toml:4:15: source \"nic0\": adaptive-rx: SRC_CTRL: the unit rejected 0x00000010 (RESERVED_BITS) (unit left disabled)");
}

TEST_F(DriverTest, ARefusedCommitNamesTheCodeAndTheKey) {
  auto report = driver.apply(one_source(regs::src_ctrl::Adaptive::mask, 0, 0));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.message(), "x.toml:5:12: source \"nic0\": rx-usecs: COMMIT: command 0x03 refused: COMMIT_STATUS 6 "
                              "(BAD_COALESCING) (unit left disabled)");
}

TEST_F(DriverTest, AValueTheUnitDoesNotKeepIsFoundOnReadBack) {
  TamperingWindow bus(model.window());  // a bus that flips bit 0 of every non-zero SRC_COAL_TIME write
  bus.on_write = [](std::uint32_t offset, std::uint32_t& v) {
    if (offset == regs::SRC_COAL_TIME && v != 0) v ^= 1;
  };
  Driver d(bus);
  auto report = d.apply(load("examples/nic-nvme.toml"), platform);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.message(),
            "examples/nic-nvme.toml:15:12: source \"nic0\": rx-usecs: SRC_COAL_TIME: wrote 0x0000C350, read back 0x0000C351 "
            "(and 1 more problem reported by Driver::problems(); unit left disabled)");
  ASSERT_EQ(d.problems().size(), 2u);
  EXPECT_EQ(d.problems()[1].key, "examples/nic-nvme.toml:22:20: source \"nvme0\": aggregation-time");
}

TEST_F(DriverTest, AFullRuleTableIsRefusedBeforeAnyWrite) {
  TamperingWindow small(model.window());  // a unit with 2 rules
  small.on_read = [](std::uint32_t offset, std::uint32_t& v) { return offset == regs::CAP_RULES ? (v = 2, true) : false; };
  Driver d(small);
  auto report = d.apply(load("examples/nic-nvme.toml"), platform);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.message(), "examples/nic-nvme.toml:43:1: rule \"io-completes-then-rx\": the rule table is full: the unit "
                              "has 2 rules (CAP_RULES)");
  EXPECT_EQ(d.register_writes(), 0u);
}

TEST_F(DriverTest, UpdateSourceChangesOneSourceLive) {
  ASSERT_TRUE(driver.apply(load("examples/nic-nvme.toml"), platform).ok());
  auto nic = driver.read_source(0);
  ASSERT_TRUE(nic.ok());
  nic->set(regs::SRC_COAL_TIME, 12'345);
  ASSERT_TRUE(driver.update_source(*nic).ok());
  EXPECT_EQ(driver.read_source(0)->value(regs::SRC_COAL_TIME), 12'345u);
  EXPECT_EQ(driver.read_source(1)->value(regs::SRC_COAL_TIME), 20'000u) << "others untouched";
  EXPECT_TRUE(model.unit().enabled());
  nic->set(regs::SRC_COAL_TIME, 0);  // adaptive without a time: refused, and the live entry kept
  auto st = driver.update_source(*nic);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("BAD_COALESCING"), std::string::npos);
  EXPECT_EQ(driver.read_source(0)->value(regs::SRC_COAL_TIME), 12'345u);
}

TEST_F(DriverTest, TelemetryThroughRegistersMatchesTheModel) {
  ASSERT_TRUE(driver.apply(load("examples/nic-nvme.toml"), platform).ok());
  for (std::uint64_t i = 0; i < 5000; ++i) fire(static_cast<std::uint32_t>(i % 4), 1000 + i * 700);
  model.advance(10'000'000);
  const TelemetrySnapshot snap = driver.read_telemetry();
  EXPECT_EQ(snap.unit.history_count, 5000u);
  ASSERT_GE(snap.sources.size(), 4u);
  for (const SourceTelemetry& t : snap.sources) {
    const isu::SourceTelemetry& m = model.unit().telemetry(t.id);
    EXPECT_EQ(t.in, m.in);
    EXPECT_EQ(t.out, m.out);
    EXPECT_EQ(t.events, m.events);
    EXPECT_EQ(t.coalesced, m.coalesced);
    EXPECT_EQ(t.deferred, m.deferred);
    EXPECT_EQ(t.hold_sum_ns, m.hold_sum);
    EXPECT_EQ(t.hold, m.hold);
    EXPECT_EQ(t.in, t.events + t.dropped + t.pending) << "conservation, source " << t.id;
  }
  EXPECT_GT(snap.sources[0].coalesced, 0u);
}

TEST_F(DriverTest, HistoryIsReadWholeAcrossTheWrap) {
  Config c;
  c.unit.history_log2 = Located<std::uint32_t>{8, {}};  // 256 entries
  ASSERT_TRUE(driver.apply(c, platform).ok());
  for (std::uint64_t i = 0; i < 1000; ++i) fire(static_cast<std::uint32_t>(i % 3), 5000 + i * 100);
  auto all = driver.read_history();
  ASSERT_TRUE(all.ok()) << all.message();
  ASSERT_EQ(all->size(), 256u);
  EXPECT_EQ(all->front().sequence, 744u);
  EXPECT_EQ(all->back().sequence, 999u);
  for (std::size_t i = 0; i < all->size(); ++i) {
    const HistoryEntry& e = (*all)[i];
    EXPECT_EQ(e.time, 5000 + e.sequence * 100);
    EXPECT_EQ(e.source, e.sequence % 3);
    EXPECT_NE(e.flags & regs::hist_flag::kValid, 0);
  }
  EXPECT_EQ(model.unit().read32(regs::CTRL), regs::ctrl::Enable::mask) << "unfrozen afterwards";
  // Incremental reads: what came since, and what was lost to the wrap.
  auto since = driver.read_history_since(900);
  ASSERT_TRUE(since.ok());
  EXPECT_EQ(since->entries.size(), 100u);
  EXPECT_EQ(since->lost, 0u);
  EXPECT_EQ(since->next, 1000u);
  auto late = driver.read_history_since(100);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->lost, 644u);
  EXPECT_EQ(late->entries.size(), 256u);
}

TEST_F(DriverTest, HistoryFreezeKeepsTheWindowStable) {
  ASSERT_TRUE(driver.apply(Config{}, platform).ok());
  fire(1, 100);
  // A bus on which an interrupt arrives in the middle of the read: with the ring frozen
  // it is not recorded, so the window read stays the one that was asked for.
  TamperingWindow racy(model.window());
  bool fired = false;
  racy.on_read = [&](std::uint32_t offset, std::uint32_t&) {
    if (offset == regs::HIST_ENTRY && !fired) {
      fired = true;
      fire(2, 200);
    }
    return false;
  };
  Driver d(racy);
  auto h = d.read_history_since(0);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->entries.size(), 1u);
  EXPECT_EQ(h->next, 1u);
  EXPECT_EQ(model.unit().history().count(), 1u) << "the arrival during the frozen read was not recorded";
}

// ERR_STATUS is write-1-to-clear per bit (docs/isu-spec.md, ERR_STATUS). The driver clears
// only the access-error bits (5:0) it reports; the data-path bits (11:8) are telemetry.
TEST_F(DriverTest, ClearingAccessErrorsKeepsTheDataPathBits) {
  ASSERT_TRUE(driver.apply(load("examples/nic-nvme.toml"), platform).ok());
  fire(0, 5'000'000);
  model.advance(1'000'000);  // time went backwards: INPUT_TIME
  ASSERT_EQ(model.unit().read32(regs::ERR_STATUS), regs::err::InputTime::mask);
  auto nic = driver.read_source(0);
  ASSERT_TRUE(nic.ok());
  nic->set(regs::SRC_COAL_TIME, 12'345);
  ASSERT_TRUE(driver.update_source(*nic).ok());
  EXPECT_EQ(model.unit().read32(regs::ERR_STATUS), regs::err::InputTime::mask) << "update_source keeps data-path bits";
  nic->set(regs::SRC_COAL_TIME, 0);  // refused: COMMIT_REJECTED, reported and cleared
  ASSERT_FALSE(driver.update_source(*nic).ok());
  EXPECT_EQ(model.unit().read32(regs::ERR_STATUS), regs::err::InputTime::mask) << "only the reported bits are cleared";
  EXPECT_EQ(driver.read_telemetry().unit.err_status, regs::err::InputTime::mask);
}

// A data-path bit set while apply() programs (a clock step) is not a rejected
// configuration: it is a warning, and the unit is enabled.
TEST_F(DriverTest, ADataPathBitDuringApplyIsAWarning) {
  fire(0, 5'000'000);
  TamperingWindow bus(model.window());
  bool stepped = false;
  bus.on_write = [&](std::uint32_t offset, std::uint32_t&) {
    if (offset != regs::COMMIT || stepped) return;
    stepped = true;
    model.advance(1'000'000);
  };
  Driver d(bus);
  auto report = d.apply(load("examples/nic-nvme.toml"), platform);
  ASSERT_TRUE(report.ok()) << report.message();
  EXPECT_TRUE(report->enabled);
  ASSERT_FALSE(report->warnings.empty());
  EXPECT_NE(report->warnings.back().find("INPUT_TIME"), std::string::npos) << report->warnings.back();
  EXPECT_EQ(model.unit().read32(regs::ERR_STATUS), regs::err::InputTime::mask);
}

// Reading NOW_LO or HIST_COUNT_LO latches the _HI half (docs/isu-spec.md, conventions):
// the driver reads every 64-bit register _LO first, its _HI right after.
TEST_F(DriverTest, EveryHighHalfIsReadRightAfterItsLowHalf) {
  TamperingWindow bus(model.window());
  std::vector<std::uint32_t> reads;
  bus.on_read = [&](std::uint32_t offset, std::uint32_t&) {
    reads.push_back(offset);
    return false;
  };
  Driver d(bus);
  ASSERT_TRUE(d.apply(load("examples/nic-nvme.toml"), platform).ok());
  for (std::uint64_t i = 0; i < 100; ++i) fire(static_cast<std::uint32_t>(i % 4), 1000 + i * 700);
  reads.clear();
  (void)d.now();
  (void)d.read_telemetry();
  ASSERT_TRUE(d.read_history().ok());
  std::size_t highs = 0;
  for (std::size_t i = 0; i < reads.size(); ++i) {
    const regs::RegisterInfo* r = regs::find_register(reads[i]);
    ASSERT_NE(r, nullptr);
    const std::string_view name = r->name;
    if (!name.ends_with("_HI")) continue;
    ++highs;
    ASSERT_GT(i, 0u);
    EXPECT_EQ(reads[i - 1], reads[i] - 4) << name << " read before its _LO half";
  }
  EXPECT_GT(highs, 10u);
}

}  // namespace
}  // namespace irqshape::isd
