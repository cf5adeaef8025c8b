// The ISU adapter with the unit programmed through its registers by hand (the registry's
// ISD-programmed `isu` is covered by registry_test and the conformance test): what goes
// in, what comes out, and how drops, context slots and vectors are carried.
#include "sim/policies/isu_policy.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "isu/isu.h"
#include "isu/regs.h"
#include "policy_test_support.h"
#include "sim/policies/isd_programmer.h"

namespace irqshape::sim {
namespace {

using namespace testing;
using namespace isu::regs;

struct Registers {
  hw::RegisterWindow& w;
  void source(unsigned s, std::uint32_t ctrl, std::uint32_t frames, std::uint32_t time, std::uint32_t storm = 0,
              std::uint32_t prio = 0) {
    w.write32(SRC_SEL, s);
    w.write32(SRC_CTRL, ctrl);
    w.write32(SRC_COAL_COUNT, frames);
    w.write32(SRC_COAL_TIME, time);
    w.write32(SRC_STORM_LIMIT, storm);
    w.write32(SRC_PRIO, prio);
    w.write32(COMMIT, commit::kCommitSource);
  }
  void rule(unsigned i, std::uint32_t kind, std::uint32_t src, std::uint32_t actions) {
    w.write32(RULE_SEL, i);
    w.write32(RULE_SOURCE, src);
    w.write32(RULE_PARAM, 0);
    w.write32(RULE_ACTION, actions);
    w.write32(RULE_COND, rule_cond::Enable::mask | kind);
    w.write32(COMMIT, commit::kCommitRule);
  }
  Status enable() {
    w.write32(CTRL, ctrl::Enable::mask);
    if (const std::uint32_t err = w.read32(ERR_STATUS); err != 0) return make_error("ERR_STATUS {:#x}", err);
    return {};
  }
};

std::unique_ptr<IsuPolicy> programmed(std::function<void(Registers&)> program) {
  return std::make_unique<IsuPolicy>(
      [program](hw::RegisterWindow& w, const std::vector<SourceInfo>&) {
        Registers r{w};
        w.write32(CTRL, ctrl::SoftReset::mask);
        program(r);
        return r.enable();
      },
      "hand-programmed");
}

SourceInfo nic(std::uint32_t id) {
  SourceInfo s = source(id, SourceClass::Net, "eth0-rx-" + std::to_string(id), static_cast<std::uint8_t>(0x41 + id));
  s.message.source = 0x0300 + id;  // the device's requester id, not the ISU source id
  return s;
}

// The same case as StaticPolicy.FramesOrUsecsWhicheverFirst, through the unit's count
// and time thresholds: interrupts at 30 us (4 events) and 150 us (1).
TEST(IsuPolicy, CoalescesAsProgrammed) {
  auto p = programmed([](Registers& r) { r.source(0, src_ctrl::Coalesce::mask, 4, 50 * us); });
  p->add_source(nic(0));
  ASSERT_TRUE(p->start());
  Driver d(*p);
  for (Nanos t : {0 * us, 10 * us, 20 * us, 30 * us, 100 * us}) d.event(t);
  d.finish(1 * ms);
  EXPECT_EQ(d.summary(), (std::vector<Expect>{{30 * us, 4}, {150 * us, 1}}));
  for (const Interrupt& i : d.got()) {
    EXPECT_EQ(i.message.vector, 0x41);
    EXPECT_EQ(i.message.source, 0x0300u);  // given back as the source announced it
    EXPECT_FALSE(i.has_payload);
  }
  EXPECT_NE(p->telemetry_json().find("\"in\":5,\"out\":2,\"events\":5,\"coalesced\":3"), std::string::npos)
      << p->telemetry_json();
}

TEST(IsuPolicy, UnprogrammedUnitPassesEverythingThrough) {
  IsuPolicy p([](hw::RegisterWindow&, const std::vector<SourceInfo>&) { return Status{}; }, "disabled");
  p.add_source(nic(0));
  Driver d(p);
  for (Nanos t : {0 * us, 1 * us, 2 * us}) d.event(t);
  d.finish(1 * ms);
  EXPECT_EQ(d.summary(), (std::vector<Expect>{{0, 1}, {1 * us, 1}, {2 * us, 1}}));
}

// Storm guard with drop, limit 2 events per 100 us window: the 3rd..5th events of the
// first window are dropped and reported on the source's next interrupt.
TEST(IsuPolicy, DropsAreReportedOnTheNextInterrupt) {
  auto p = programmed([](Registers& r) {
    r.w.write32(RATE_WINDOW, 100 * us);
    r.source(0, src_ctrl::StormGuard::mask | src_ctrl::StormDrop::mask, 0, 0, 2);
  });
  p->add_source(nic(0));
  Driver d(*p);
  for (Nanos t : {0 * us, 1 * us, 2 * us, 3 * us, 4 * us, 300 * us}) d.event(t);
  d.finish(1 * ms);
  ASSERT_EQ(d.summary(), (std::vector<Expect>{{0, 1}, {1 * us, 1}, {300 * us, 1}}));
  EXPECT_EQ(d.got()[2].dropped, 3u);
}

// Drops after the last interrupt go out at the end on an interrupt carrying no events.
TEST(IsuPolicy, DropsAfterTheLastInterruptAreReportedAtFlush) {
  auto p = programmed([](Registers& r) {
    r.w.write32(RATE_WINDOW, 100 * us);
    r.source(0, src_ctrl::StormGuard::mask | src_ctrl::StormDrop::mask, 0, 0, 1);
  });
  p->add_source(nic(0));
  Driver d(*p);
  for (Nanos t : {0 * us, 1 * us, 2 * us}) d.event(t);
  d.finish(1 * ms);
  ASSERT_EQ(d.summary(), (std::vector<Expect>{{0, 1}, {1 * ms, 0}}));
  EXPECT_EQ(d.got()[1].dropped, 2u);
}

// AUGMENT writes a context record: its slot is the payload; RAISE delivers on the raise
// vector.
TEST(IsuPolicy, ContextSlotIsThePayloadAndRaisedVectorsArrive) {
  auto p = programmed([](Registers& r) {
    r.source(0, 0, 0, 0, 0, src_prio::RaiseVector::make(0xE0));
    r.rule(0, rule_cond::kAlways, 0, rule_action::Augment::mask | rule_action::Raise::mask);
  });
  p->add_source(nic(0));
  p->add_source(nic(1));
  Driver d(*p);
  d.event(0, 0);
  d.event(1 * us, 0);
  d.event(2 * us, 1);
  d.finish(1 * ms);
  ASSERT_EQ(d.got().size(), 3u);
  EXPECT_TRUE(d.got()[0].has_payload);
  EXPECT_EQ(d.got()[0].payload, 0u);
  EXPECT_EQ(d.got()[1].payload, 1u);
  EXPECT_EQ(d.got()[0].message.vector, 0xE0);
  EXPECT_EQ(p->unit().context(0, 1).sequence, 2u);
  EXPECT_EQ(p->unit().context(0, 1).source, 0u);
  EXPECT_FALSE(d.got()[2].has_payload);  // source 1: no rule
  EXPECT_EQ(d.got()[2].message.vector, 0x42);
}

// A held batch is delivered at flush, stamped with the flush time.
TEST(IsuPolicy, FlushDeliversWhatIsHeld) {
  auto p = programmed([](Registers& r) { r.source(0, src_ctrl::Coalesce::mask, 0, 1000 * us); });
  p->add_source(nic(0));
  Collect out;
  p->on_event(ev(0), out);
  p->on_event(ev(5 * us), out);
  EXPECT_TRUE(out.got.empty());
  EXPECT_EQ(p->next_deadline(), 1000 * us);
  p->flush(20 * us, out);
  EXPECT_EQ(summary(out.got), (std::vector<Expect>{{20 * us, 2}}));
  EXPECT_EQ(p->next_deadline(), kNoDeadline);
  EXPECT_TRUE(p->unit().enabled());  // enabled again after the flush
}

// A configuration the driver cannot apply is an error of start(), named; the unit then
// stays disabled (everything passes through) and describe() says so.
TEST(IsuPolicy, ProgrammingErrorsComeOutOfStart) {
  IsuPolicy p([](hw::RegisterWindow&, const std::vector<SourceInfo>&) { return Status{make_error("rules.toml:3: bad")}; },
              "from rules.toml");
  p.add_source(nic(0));
  const Status s = p.start();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "rules.toml:3: bad");
  EXPECT_NE(p.describe().find("NOT APPLIED"), std::string::npos);
  Collect out;
  p.on_event(ev(0), out);
  EXPECT_EQ(out.got.size(), 1u);
}

// start() is optional: the first call programs the unit.
TEST(IsuPolicy, ProgramsItselfIfStartIsNeverCalled) {
  auto p = programmed([](Registers& r) { r.source(0, src_ctrl::Coalesce::mask, 2, 10 * us); });
  p->add_source(nic(0));
  Collect out;
  p->on_event(ev(0), out);
  p->on_event(ev(1 * us), out);
  EXPECT_EQ(summary(out.got), (std::vector<Expect>{{1 * us, 2}}));
}

// ---- `isu` as the registry makes it: programmed by the ISD ----

// A file only this process uses (test runs of several presets may share the directory).
std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + std::to_string(::getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

// The static case once more, this time written as an ISD rules file.
TEST(IsuFromIsd, RulesFileProgramsTheUnit) {
  const std::string path = write_file("policies-nic.toml", R"toml(
[source.nic0]
match = "eth0-rx-0"
rx-usecs = 50
rx-frames = 4
)toml");
  const auto got = run(path, {nic(0)}, {ev(0), ev(10 * us), ev(20 * us), ev(30 * us), ev(100 * us)}, 1 * ms);
  EXPECT_EQ(got, (std::vector<Expect>{{30 * us, 4}, {150 * us, 1}}));
  auto p = make(path);
  EXPECT_NE(p->describe().find(path), std::string::npos) << p->describe();
  std::remove(path.c_str());
}

// Problems of the file itself fail make_policy; problems that need the sources fail
// start(), naming the file and the key.
TEST(IsuFromIsd, ConfigurationErrorsNameTheFile) {
  auto missing = make_policy(*parse_policy_spec("/nonexistent/rules.toml"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("/nonexistent/rules.toml"), std::string::npos) << missing.message();

  const std::string bad = write_file("policies-bad.toml", "[source.nic0]\nrx-usecs = \"soon\"\n");
  auto syntax = make_policy(*parse_policy_spec(bad));
  ASSERT_FALSE(syntax);
  EXPECT_NE(syntax.message().find("policies-bad.toml:2"), std::string::npos) << syntax.message();
  std::remove(bad.c_str());

  const std::string unknown = write_file("policies-unknown.toml", "[source.disk]\nmatch = \"nvme9q1\"\nrx-usecs = 10\n");
  auto p = make_policy(*parse_policy_spec(unknown));
  ASSERT_TRUE(p) << p.message();
  (*p)->add_source(nic(0));
  const Status s = (*p)->start();
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("policies-unknown.toml:2"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("nvme9q1"), std::string::npos) << s.message();
  std::remove(unknown.c_str());
}

// Without a file: the ISD's defaults per source kind. A timer is left alone; a block
// queue is coalesced adaptively (at most 20 us): at a steady 2 us spacing the unit
// learns the rate and starts holding completions.
TEST(IsuFromIsd, DefaultsPerSourceKind) {
  auto p = make("isu");
  p->add_source(source(0, SourceClass::Block, "nvme0q1"));
  p->add_source(source(1, SourceClass::Timer, "hpet"));
  ASSERT_TRUE(p->start());
  EXPECT_NE(p->describe().find("default"), std::string::npos);
  Driver d(*p);
  for (int i = 0; i < 40; ++i) d.event(static_cast<Nanos>(i) * 2 * us, 0);
  d.event(100 * us, 1);
  d.event(101 * us, 1);
  d.finish(1 * ms);
  std::uint32_t block_interrupts = 0, timer_interrupts = 0;
  for (const Interrupt& i : d.got()) (i.source == 0 ? block_interrupts : timer_interrupts) += 1;
  EXPECT_EQ(timer_interrupts, 2u);
  EXPECT_LT(block_interrupts, 20u);  // 40 completions, coalesced
  EXPECT_NE(p->telemetry_json().find("\"name\":\"nvme0q1\""), std::string::npos) << p->telemetry_json();
}

TEST(IsuFromIsd, SourceMapFromTheSimulatorsSources) {
  const std::vector<SourceInfo> sources = {source(0, SourceClass::Net, "eth0"), source(1, SourceClass::Other, "irq=36"),
                                           source(2, SourceClass::Block, "eth0"), source(300, SourceClass::Block, "x")};
  auto lenient = isd_source_map(sources, false);
  ASSERT_TRUE(lenient) << lenient.message();
  ASSERT_EQ(lenient->sources().size(), 3u);  // id 300 is beyond the unit's 256 sources
  EXPECT_EQ(*lenient->resolve("irq=36"), 1u);
  EXPECT_EQ(*lenient->resolve("eth0"), 0u);
  EXPECT_EQ(lenient->find(2)->name, "");  // the second "eth0" stays reachable as id=2
  EXPECT_EQ(lenient->find(0)->kind, isd::SourceKind::net);
  auto strict = isd_source_map(sources, true);
  ASSERT_FALSE(strict);
  EXPECT_NE(strict.message().find("\"eth0\""), std::string::npos);
}

}  // namespace
}  // namespace irqshape::sim
