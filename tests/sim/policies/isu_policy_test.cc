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
  SourceInfo s = source(id, SourceKind::net, "eth0-rx-" + std::to_string(id), static_cast<std::uint8_t>(0x41 + id));
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
// first window are dropped, each reported as the unit drops it.
TEST(IsuPolicy, DropsAreReportedAsTheyHappen) {
  auto p = programmed([](Registers& r) {
    r.w.write32(RATE_WINDOW, 100 * us);
    r.source(0, src_ctrl::StormGuard::mask | src_ctrl::StormDrop::mask, 0, 0, 2);
  });
  p->add_source(nic(0));
  Driver d(*p);
  for (Nanos t : {0 * us, 1 * us, 2 * us, 3 * us, 4 * us, 300 * us}) d.event(t);
  d.finish(1 * ms);
  ASSERT_EQ(d.summary(), (std::vector<Expect>{{0, 1}, {1 * us, 1}, {300 * us, 1}}));
  EXPECT_EQ(d.dropped_times(), (std::vector<Nanos>{2 * us, 3 * us, 4 * us}));
}

// Drops after the last interrupt need no interrupt of their own (one carrying no events
// would run an empty ISR in the guest).
TEST(IsuPolicy, DropsAfterTheLastInterruptNeedNoInterrupt) {
  auto p = programmed([](Registers& r) {
    r.w.write32(RATE_WINDOW, 100 * us);
    r.source(0, src_ctrl::StormGuard::mask | src_ctrl::StormDrop::mask, 0, 0, 1);
  });
  p->add_source(nic(0));
  Driver d(*p);
  for (Nanos t : {0 * us, 1 * us, 2 * us}) d.event(t);
  d.finish(1 * ms);
  ASSERT_EQ(d.summary(), (std::vector<Expect>{{0, 1}}));
  EXPECT_EQ(d.dropped_times(), (std::vector<Nanos>{1 * us, 2 * us}));
}

// Coalescing holds the first two events; the storm guard (2 per 100 us window) then
// drops the next two: the dropped ones are the newest, and the batch that goes out at its
// 50 us deadline carries the two oldest.
TEST(IsuPolicy, TheStormGuardDropsTheNewestWhileABatchIsHeld) {
  auto p = programmed([](Registers& r) {
    r.w.write32(RATE_WINDOW, 100 * us);
    r.source(0, src_ctrl::Coalesce::mask | src_ctrl::StormGuard::mask | src_ctrl::StormDrop::mask, 100, 50 * us, 2);
  });
  p->add_source(nic(0));
  Driver d(*p);
  for (Nanos t : {0 * us, 1 * us, 2 * us, 3 * us}) d.event(t);
  d.finish(1 * ms);
  EXPECT_EQ(d.summary(), (std::vector<Expect>{{50 * us, 2}}));
  EXPECT_EQ(d.dropped_times(), (std::vector<Nanos>{2 * us, 3 * us}));
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

// Software with a period: a hand-programmed unit (time-only coalescing, 50 us) and a
// tick every 100 us that records its boundaries.
class Ticking final : public IsuPolicy::Software {
 public:
  explicit Ticking(std::vector<Nanos>& ticks, bool fail = false) : ticks_(ticks), fail_(fail) {}
  Status program(hw::RegisterWindow& w, const std::vector<SourceInfo>&) override {
    Registers r{w};
    r.source(0, src_ctrl::Coalesce::mask, 0, 50 * us);
    return r.enable();
  }
  [[nodiscard]] Nanos period() const override { return 100 * us; }
  Status tick(Nanos boundary) override {
    ticks_.push_back(boundary);
    if (fail_) return make_error("the bus went away");
    return {};
  }

 private:
  std::vector<Nanos>& ticks_;
  bool fail_;
};

// The tick is a deadline only while the unit holds events; a boundary that passes while
// it is idle runs at the next event, before the unit sees it; flush ends the ticking.
TEST(IsuPolicy, PeriodicSoftwareTicksWhileTheUnitHoldsAndBeforeTheNextEvent) {
  std::vector<Nanos> ticks;
  IsuPolicy p(std::make_unique<Ticking>(ticks), "ticking");
  p.add_source(nic(0));
  ASSERT_TRUE(p.start());
  Collect out;
  EXPECT_EQ(p.next_deadline(), kNoDeadline) << "nothing held: no timer";
  p.on_event(ev(80 * us), out);
  EXPECT_EQ(p.next_deadline(), 100 * us) << "the tick comes before the batch's deadline (130 us)";
  p.on_timer(100 * us, out);
  EXPECT_EQ(ticks, (std::vector<Nanos>{100 * us}));
  EXPECT_EQ(p.next_deadline(), 130 * us);
  p.on_timer(130 * us, out);
  EXPECT_EQ(p.next_deadline(), kNoDeadline) << "empty again: the 200 us boundary waits for the next event";
  p.on_event(ev(450 * us), out);
  EXPECT_EQ(ticks, (std::vector<Nanos>{100 * us, 200 * us})) << "one tick for the boundaries passed while idle";
  EXPECT_EQ(p.next_deadline(), 500 * us);
  p.on_timer(500 * us, out);  // the batch's deadline and a boundary at once
  EXPECT_EQ(ticks, (std::vector<Nanos>{100 * us, 200 * us, 500 * us}));
  EXPECT_EQ(summary(out.got), (std::vector<Expect>{{130 * us, 1}, {500 * us, 1}}));
  p.on_event(ev(550 * us), out);
  EXPECT_EQ(p.next_deadline(), 600 * us);
  p.flush(560 * us, out);
  EXPECT_EQ(p.next_deadline(), kNoDeadline);
  EXPECT_EQ(ticks.size(), 3u);
}

// Ticks do not depend on whether the simulator calls the timer or the event first when
// an event falls on a boundary.
TEST(IsuPolicy, PeriodicSoftwareIsTheSameWhicheverGoesFirstOnATie) {
  std::vector<std::vector<Nanos>> ticks(2);
  std::vector<std::vector<Expect>> got(2);
  for (int order = 0; order < 2; ++order) {
    IsuPolicy p(std::make_unique<Ticking>(ticks[order]), "ticking");
    p.add_source(nic(0));
    Driver d(p, order == 0 ? Ties::TimerFirst : Ties::EventFirst);
    for (Nanos t : {60 * us, 100 * us, 130 * us, 200 * us, 210 * us, 400 * us}) d.event(t);
    d.finish(1 * ms);
    got[order] = d.summary();
  }
  EXPECT_EQ(ticks[0], ticks[1]);
  EXPECT_EQ(got[0], got[1]);
  // 100: a batch is held; 200: idle, run before the event at 200; 300 (and 400, passed
  // idle with nothing delivered since 300): one tick before the event at 400.
  EXPECT_EQ(ticks[0], (std::vector<Nanos>{100 * us, 200 * us, 300 * us}));
}

// A failing tick stops the periodic work (the unit keeps shaping as programmed) and
// describe() says so.
TEST(IsuPolicy, AFailingTickStopsThePeriodicWork) {
  std::vector<Nanos> ticks;
  IsuPolicy p(std::make_unique<Ticking>(ticks, true), "ticking");
  p.add_source(nic(0));
  Driver d(p);
  for (Nanos t : {50 * us, 150 * us, 250 * us, 350 * us}) d.event(t);
  d.finish(1 * ms);
  EXPECT_EQ(ticks, (std::vector<Nanos>{100 * us}));
  EXPECT_NE(p.describe().find("STOPPED: at 100000 ns: the bus went away"), std::string::npos) << p.describe();
  EXPECT_EQ(d.got().size(), 4u);
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
  p->add_source(source(0, SourceKind::block, "nvme0q1"));
  p->add_source(source(1, SourceKind::timer, "hpet"));
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

// With a budget the ISD adapts through the registers: at one event every 5 us the NIC's
// default (adaptive, 50 us) holds batches of 10 for 45 us, over a 20 us budget, so the
// first period sets 50 us x 18 / 45 = 20 us; batches of 4 then wait 15 us, in the band.
// The events stop at 3 ms with nothing held: no tick at 3 ms.
TEST(IsuFromIsd, AdaptsToTheBudgetThroughTheRegisters) {
  auto p = make("isu:max-added-p99=20us,adapt-period=1ms");
  EXPECT_NE(p->describe().find("adapting coalescing every 1ms to an added p99 of at most 20us"), std::string::npos)
      << p->describe();
  p->add_source(nic(0));
  p->add_source(source(1, SourceKind::timer, "hpet"));
  ASSERT_TRUE(p->start());
  Driver d(*p);
  for (Nanos t = 0; t < 3 * ms; t += 5 * us) d.event(t);
  d.finish(4 * ms);
  const std::string j = p->telemetry_json();
  const auto has = [&](const std::string& part) { return j.find(part) != std::string::npos; };
  EXPECT_TRUE(has(R"("adapter":{"budget_ns":20000,"period_ns":1000000,"periods":2,)")) << j;
  EXPECT_TRUE(has(R"({"t_ns":1000000,"source":0,"old_time_ns":50000,"new_time_ns":20000,"p99_ns":45000.0,)"
                  R"("events":192,"interrupts":21,"reason":"over budget"})"))
      << j;
  EXPECT_TRUE(has(R"({"t_ns":2000000,"source":0,"old_time_ns":20000,"new_time_ns":20000,"p99_ns":16384.0,)"
                  R"("events":200,"interrupts":50,"reason":"in band"})"))
      << j;
  EXPECT_TRUE(has(R"("sources":[{"source":0,"name":"eth0-rx-0","time_ns":20000,"changes":1}])")) << j;
  EXPECT_TRUE(has(R"("steps_omitted":0}})")) << j;
}

TEST(IsuFromIsd, SourceMapFromTheSimulatorsSources) {
  const std::vector<SourceInfo> sources = {source(0, SourceKind::net, "eth0"), source(1, SourceKind::other, "irq=36"),
                                           source(2, SourceKind::block, "eth0"), source(300, SourceKind::block, "x")};
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
