// compile(): configuration meets platform and unit. Unknown sources, capacity (the rule
// and pattern tables), actions that need source settings, rates that do not fit.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "isd/config.h"
#include "isd/program.h"
#include "isd_test_support.h"

namespace irqshape::isd {
namespace {

namespace regs = isu::regs;
using testing::example_platform;

Result<Program> compile_text(std::string_view text, Capabilities caps = Capabilities::isu_v1()) {
  auto c = parse_config(text, "rules.toml");
  if (!c) return c.error();
  return compile(*c, example_platform(), caps);
}

std::string compile_error(std::string_view text, Capabilities caps = Capabilities::isu_v1()) {
  auto p = compile_text(text, caps);
  EXPECT_FALSE(p.ok());
  return p.ok() ? std::string{} : p.message();
}

TEST(SourceMapTest, NamesIrqsIdsAndCommandLineSpecs) {
  SourceMap m;
  ASSERT_TRUE(m.add_spec("eth0-TxRx-0=4:40").ok());
  ASSERT_TRUE(m.add_spec("nvme0q1").ok());  // the next free id
  ASSERT_TRUE(m.add_spec("hpet=7").ok());
  EXPECT_EQ(*m.resolve("eth0-TxRx-0"), 4u);
  EXPECT_EQ(*m.resolve("irq=40"), 4u);
  EXPECT_EQ(*m.resolve("nvme0q1"), 0u);
  EXPECT_EQ(*m.resolve("id=7"), 7u);
  EXPECT_EQ(*m.resolve("id=99"), 99u) << "an explicit id needs no entry";
  EXPECT_EQ(m.find(4)->kind, SourceKind::net);
  EXPECT_EQ(m.find(0)->kind, SourceKind::block);
  EXPECT_EQ(m.find(7)->kind, SourceKind::timer);
  EXPECT_EQ(m.display(99), "id=99");
  EXPECT_FALSE(m.add_spec("dup=4").ok()) << "id 4 is taken";
  EXPECT_FALSE(m.add_spec("hpet=9").ok()) << "the name is taken";
  EXPECT_FALSE(m.add_spec("x=1:zz").ok());
  EXPECT_FALSE(m.add_spec("=3").ok());
  EXPECT_EQ(m.resolve("irq=41").message(), "unknown source \"irq=41\": no source has Linux irq 41");
  // The vectors the guest also serves a source on (what the simulator's platform knows).
  ASSERT_TRUE(m.add_spec("timer=6,lower=0x30").ok());
  EXPECT_EQ(m.find(6)->name, "timer");
  EXPECT_EQ(m.find(6)->lower_vector, 0x30);
  EXPECT_EQ(m.find(6)->raise_vector, 0);
  ASSERT_TRUE(m.add_spec("nic=8:50,raise=200,lower=0x31").ok());
  EXPECT_EQ(m.find(8)->irq, 50);
  EXPECT_EQ(m.find(8)->raise_vector, 200);
  EXPECT_EQ(m.find(8)->lower_vector, 0x31);
  EXPECT_EQ(m.add_spec("y=9,lower=16").message(), "source \"y=9,lower=16\": lower=16 is not a vector (32..255, SRC_PRIO)");
  EXPECT_FALSE(m.add_spec("z=10,raise=0xZZ").ok());
}

TEST(Compile, SourcesByNameIrqOrId) {
  auto p = compile_text(R"toml(
[source.disk]
match = "irq=36"
rx-usecs = 10
[source.a]
match = "id=200"
rx-usecs = 20
[source."eth0-TxRx-0"]
rx-usecs = 30
)toml");
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->sources[0].id, 5u);
  EXPECT_EQ(p->sources[1].id, 200u);
  EXPECT_EQ(p->sources[2].id, 0u);
}

TEST(Compile, UnknownSourceInASequenceNamesTheToken) {
  EXPECT_EQ(compile_error("\n\n[[rule]]\nname = \"disk-then-nic\"\nsequence = \"nvme0q1 -> nvme9 within 5ms\"\n"),
            "rules.toml:5:24: rule \"disk-then-nic\": sequence: unknown source \"nvme9\" (known: \"eth0-TxRx-0\", \"nvme0q1\", "
            "\"hpet\", \"legacy\", \"eth1-TxRx-0\", \"virtio1-req.0\")");
  EXPECT_EQ(compile_error("[source.x]\nmatch = \"irq=99\"\n"),
            "rules.toml:2:9: source \"x\": unknown source \"irq=99\": no source has Linux irq 99");
  EXPECT_EQ(compile_error("[source.x]\nmatch = \"id=256\"\n"),
            "rules.toml:2:9: source \"x\": id 256 is beyond the unit's 256 sources (CAP_SOURCES)");
  EXPECT_EQ(compile_error("[source.a]\nmatch = \"id=3\"\n[source.b]\nmatch = \"legacy\"\n"),
            "rules.toml:3:9: source \"b\": is the same source (id 3) as [source.a]");
}

TEST(Compile, RulesProgramTheirRegisters) {
  auto p = compile_text(R"toml(
[unit]
rate-window = "100us"
[source.nic1]
match = "eth1-TxRx-0"
raise-vector = 0xE0
[[rule]]
name = "disk-then-nic"
sequence = "nvme0q1 -> eth0-TxRx-0 within 4ms..6ms -> nic1 within 1ms"
actions = ["raise-priority", "augment"]
[[rule]]
name = "same-sequence"
sequence = "nvme0q1 -> eth0-TxRx-0 within 4ms..6ms -> nic1 within 1ms"
[[rule]]
name = "busy"
when = "rate(eth0-TxRx-0) > 200000/s"
[[rule]]
name = "quiet"
when = "rate(eth0-TxRx-0) < 15000/s"
)toml");
  ASSERT_TRUE(p.ok()) << p.message();
  ASSERT_EQ(p->patterns.size(), 1u) << "identical sequences share one pattern";
  const PatternProgram& pat = p->patterns[0];
  EXPECT_EQ(pat.steps, 3u);
  EXPECT_EQ(pat.source[0], 1u);
  EXPECT_EQ(pat.source[1], 0u);
  EXPECT_EQ(pat.source[2], 4u);
  EXPECT_EQ(pat.min_ns[1], 4'000'000u);
  EXPECT_EQ(pat.max_ns[1], 6'000'000u);
  EXPECT_EQ(pat.max_ns[2], 1'000'000u);
  const RuleProgram& r = p->rules[0];
  EXPECT_EQ(r.value(regs::RULE_COND), regs::rule_cond::Enable::mask | regs::rule_cond::kPattern);
  EXPECT_EQ(r.value(regs::RULE_SOURCE), 4u);
  EXPECT_EQ(r.value(regs::RULE_PARAM), 0u);
  EXPECT_EQ(r.value(regs::RULE_ACTION), regs::rule_action::Raise::mask | regs::rule_action::Augment::mask);
  EXPECT_EQ(p->rules[1].value(regs::RULE_PARAM), 0u);
  EXPECT_EQ(p->rules[2].value(regs::RULE_PARAM), 20u) << "200000/s over 100us, rounded down for >";
  EXPECT_EQ(p->rules[3].value(regs::RULE_PARAM), 2u) << "15000/s over 100us is 1.5, rounded up for <";
}

TEST(Compile, ActionsNeedTheirSourceSettings) {
  EXPECT_EQ(compile_error("[[rule]]\nname = \"r\"\nwhen = \"always(hpet)\"\nactions = [\"raise-priority\"]\n"),
            "rules.toml:4:11: rule \"r\": actions: raise-priority needs raise-vector on source \"hpet\" (without one the unit "
            "only delivers at once: that is \"urgent\")");
  EXPECT_EQ(compile_error("[[rule]]\nname = \"r\"\nwhen = \"always(hpet)\"\nactions = [\"coalesce\"]\n"),
            "rules.toml:4:11: rule \"r\": actions: coalesce needs a coalescing time (rx-usecs) on source \"hpet\": the unit "
            "holds no event without a deadline");
  // A source that coalesces only when a rule says so: a time, and coalesce = false.
  EXPECT_TRUE(compile_text("[source.t]\nmatch = \"hpet\"\nrx-usecs = 20\ncoalesce = false\n"
                           "[[rule]]\nname = \"r\"\nwhen = \"rate(t) > 3\"\nactions = [\"coalesce\"]\n")
                  .ok());
}

// A rule for every source needs its actions' settings on every source: always(*) with
// raise-priority and no raise-vector anywhere only delivered every interrupt at once.
TEST(Compile, WildcardRulesNeedTheirActionsOnEverySource) {
  EXPECT_EQ(compile_error("[source.nic]\nmatch = \"eth0-TxRx-0\"\nrx-usecs = 50\n"
                          "[[rule]]\nname = \"r\"\nwhen = \"always(*)\"\nactions = [\"raise-priority\", \"coalesce\"]\n"),
            "rules.toml:7:11: rule \"r\": actions: raise-priority needs raise-vector on source \"nic\" (without one the unit "
            "only delivers at once: that is \"urgent\") (the rule applies to every source: \"*\")");
  EXPECT_EQ(compile_error("[source.nic]\nmatch = \"eth0-TxRx-0\"\nrx-usecs = 50\n[source.disk]\nmatch = \"nvme0q1\"\n"
                          "[[rule]]\nname = \"r\"\nwhen = \"always(*)\"\nactions = [\"coalesce\"]\n"),
            "rules.toml:9:11: rule \"r\": actions: coalesce needs a coalescing time (rx-usecs) on source \"disk\": the unit "
            "holds no event without a deadline (the rule applies to every source: \"*\")");
  EXPECT_EQ(compile_error("[[rule]]\nname = \"r\"\nwhen = \"always(*)\"\nactions = [\"lower-priority\"]\n"),
            "rules.toml:4:11: rule \"r\": actions: lower-priority needs lower-vector on every source the rule applies to "
            "(\"*\"), and the file has no [source] table");
  EXPECT_TRUE(compile_text("[[rule]]\nname = \"r\"\nwhen = \"always(*)\"\nactions = [\"augment\"]\n").ok());
  EXPECT_TRUE(compile_text("[source.nic]\nmatch = \"eth0-TxRx-0\"\nrx-usecs = 50\nraise-vector = 0x61\n"
                           "[[rule]]\nname = \"r\"\nwhen = \"rate(*) > 3\"\nactions = [\"raise-priority\", \"coalesce\"]\n")
                  .ok());
}

// The platform may know the vectors the guest also serves a source on (the simulator
// does): a [source] table without raise-vector / lower-vector uses them; the file's win.
TEST(Compile, PlatformPriorityVectorsFillInWhatTheFileLeavesOut) {
  SourceMap platform;
  ASSERT_TRUE(platform.add(SourceInfo{0, "sensor-b", -1, SourceKind::other, 0x61, 0x41}).ok());
  ASSERT_TRUE(platform.add(SourceInfo{1, "timer", -1, SourceKind::timer, 0xD1, 0xB1}).ok());
  auto c = parse_config("[source.sensor-b]\n[source.timer]\nlower-vector = 0x32\n"
                        "[[rule]]\nname = \"up\"\nwhen = \"always(sensor-b)\"\nactions = [\"raise-priority\"]\n"
                        "[[rule]]\nname = \"down\"\nwhen = \"always(timer)\"\nactions = [\"lower-priority\"]\n",
                        "rules.toml");
  ASSERT_TRUE(c.ok()) << c.message();
  auto p = compile(*c, platform, Capabilities::isu_v1());
  ASSERT_TRUE(p.ok()) << p.message();
  ASSERT_EQ(p->sources.size(), 2u);
  EXPECT_EQ(p->sources[0].value(regs::SRC_PRIO),
            regs::src_prio::RaiseVector::make(0x61) | regs::src_prio::LowerVector::make(0x41));
  EXPECT_EQ(p->sources[1].value(regs::SRC_PRIO),
            regs::src_prio::RaiseVector::make(0xD1) | regs::src_prio::LowerVector::make(0x32));
  // Without a [source] table nothing is programmed for it, so the action still needs one.
  auto bare = parse_config("[[rule]]\nname = \"up\"\nwhen = \"always(sensor-b)\"\nactions = [\"raise-priority\"]\n",
                           "rules.toml");
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(compile(*bare, platform, Capabilities::isu_v1()).ok());
}

// A probed unit whose CAP_HISTORY / CAP_CONTEXT exclude the defaults, and a file that
// sets neither key: a clear error (it read an empty optional for the key's location).
TEST(Compile, ADefaultGeometryTheUnitDoesNotOfferIsAnError) {
  Capabilities caps = Capabilities::isu_v1();
  caps.history_log2_min = 10;
  EXPECT_EQ(compile_error("[source.nic]\nmatch = \"eth0-TxRx-0\"\n", caps),
            "[unit]: history: 256 entries is outside what this unit offers (1024..8192, CAP_HISTORY) (the default; set [unit] "
            "history)");
  EXPECT_NE(compile_error("[unit]\nhistory = 256\n", caps).find("rules.toml:2:11: [unit]: history: 256 entries"),
            std::string::npos);
  caps = Capabilities::isu_v1();
  caps.context_log2_min = 7;
  EXPECT_EQ(compile_error("", caps),
            "[unit]: context-slots: 64 is outside what this unit offers (128..256, CAP_CONTEXT) (the default; set [unit] "
            "context-slots)");
}

// Rates become whole events per rate window: 1999/s in a 1 ms window is 1 (1000/s).
// Compiled as before, with a warning when that is more than 5% off.
TEST(Compile, RatesRoundedFarFromTheFilesAreWarnedAbout) {
  auto p = compile_text("[unit]\nrate-window = \"1ms\"\n[source.legacy]\nmatch = \"legacy\"\nstorm-limit = \"1999/s\"\n"
                        "[[rule]]\nname = \"r\"\nwhen = \"rate(hpet) > 1500/s\"\n"
                        "[[rule]]\nname = \"exact\"\nwhen = \"rate(hpet) > 2000/s\"\n"
                        "[[rule]]\nname = \"close\"\nwhen = \"rate(hpet) < 20500/s\"\n");
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->sources[0].value(regs::SRC_STORM_LIMIT), 1u);
  ASSERT_EQ(p->warnings.size(), 2u) << ::testing::PrintToString(p->warnings);
  EXPECT_EQ(p->warnings[0], "rules.toml:5:15: source \"legacy\": storm-limit: 1999/s is programmed as 1 per rate window (1ms), "
                            "that is 1000/s (50% off); a [unit] rate-window of 20ms or more keeps it within 5%");
  EXPECT_EQ(p->warnings[1], "rules.toml:8:8: rule \"r\": when: 1500/s is programmed as 1 per rate window (1ms), that is "
                            "1000/s (33% off); a [unit] rate-window of 20ms or more keeps it within 5%");
}

TEST(Compile, RuleTableFull) {
  std::string text;
  for (int i = 0; i < 65; ++i) text += fmt::format("[[rule]]\nname = \"r{}\"\nwhen = \"always(hpet)\"\n", i);
  EXPECT_EQ(compile_error(text), "rules.toml:193:1: rule \"r64\": the rule table is full: the unit has 64 rules (CAP_RULES)");
  // A smaller unit, as its CAP_RULES register says.
  Capabilities small = Capabilities::isu_v1();
  small.rules = 4;
  EXPECT_EQ(compile_error(text, small), "rules.toml:13:1: rule \"r4\": the rule table is full: the unit has 4 rules (CAP_RULES)");
}

TEST(Compile, PatternTableFull) {
  // RULE_SEL addresses 64 rules and PAT_SEL 64 patterns, so on the reference unit the rule
  // table fills first; a unit with fewer patterns (CAP_PATTERNS) runs out of patterns.
  std::string text;
  for (int i = 0; i < 64; ++i)
    text += fmt::format("[[rule]]\nname = \"r{}\"\nsequence = \"hpet -> legacy within {}us\"\n", i, i + 1);
  auto full = compile_text(text);
  ASSERT_TRUE(full.ok()) << full.message();
  EXPECT_EQ(full->patterns.size(), 64u);
  Capabilities few = Capabilities::isu_v1();
  few.patterns = 4;
  EXPECT_EQ(compile_error(text, few),
            "rules.toml:15:12: rule \"r4\": sequence: the pattern table is full: the unit has 4 patterns (CAP_PATTERNS)");
  Capabilities short_steps = Capabilities::isu_v1();
  short_steps.steps = 2;
  EXPECT_EQ(compile_error("[[rule]]\nname = \"r\"\nsequence = \"hpet -> legacy within 1ms -> hpet within 1ms\"\n", short_steps),
            "rules.toml:3:12: rule \"r\": sequence: 3 steps, but the unit's patterns have at most 2 (CAP_STEPS)");
}

TEST(Compile, RatesMustFitTheWindow) {
  EXPECT_EQ(compile_error("[source.x]\nmatch = \"legacy\"\nstorm-limit = \"10/s\"\n"),
            "rules.toml:3:15: source \"x\": storm-limit: 10/s is less than one event per rate window (1ms); lengthen [unit] "
            "rate-window");
  EXPECT_EQ(compile_error("[[rule]]\nname = \"r\"\nwhen = \"rate(hpet) > 2147483648\"\n"),
            "rules.toml:3:8: rule \"r\": when: 2147483648/window is above the unit's maximum of 2147483647 per rate window "
            "(RULE_PARAM)");
  auto p = compile_text("[[rule]]\nname = \"r\"\nwhen = \"rate(hpet) > 10/s\"\n");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->warnings.size(), 1u);
  EXPECT_NE(p->warnings[0].find("holds on every interrupt"), std::string::npos);
}

TEST(Compile, DisabledRulesKeepTheirSlotButInstallNoPattern) {
  auto p = compile_text("[[rule]]\nname = \"off\"\nenabled = false\nsequence = \"hpet -> legacy within 1ms\"\n");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->patterns.empty());
  ASSERT_EQ(p->rules.size(), 1u);
  EXPECT_EQ(p->rules[0].value(regs::RULE_COND), regs::rule_cond::kPattern);
}

TEST(Compile, DefaultsByKind) {
  const SourceMap map = example_platform();
  const Config c = default_config(map);
  auto p = compile(c, map);
  ASSERT_TRUE(p.ok()) << p.message();
  ASSERT_EQ(p->sources.size(), 5u) << "every source but the timer";
  const SourceProgram& nic = p->sources[0];
  EXPECT_EQ(nic.name, "eth0-TxRx-0");
  EXPECT_EQ(nic.value(regs::SRC_COAL_TIME), 50'000u);
  EXPECT_EQ(nic.value(regs::SRC_COAL_COUNT), 64u);
  EXPECT_EQ(p->sources[1].value(regs::SRC_COAL_TIME), 20'000u);
  const SourceProgram& legacy = p->sources[2];
  EXPECT_EQ(legacy.id, 3u);
  EXPECT_EQ(legacy.value(regs::SRC_STORM_LIMIT), 100u);
  // and it survives the writer: a person can start from the defaults
  auto again = parse_config(write_config(c), "defaults.toml");
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_TRUE(compile(*again, map).ok());
}

// The defaults name their sources, so a file written from one platform binds to the same
// devices on another whose ids differ (replay --closed-loop renumbers them); they bound by
// id, and a disk's settings went to a NIC there without a word.
TEST(Compile, DefaultsMatchByNameWhereTheNameFindsTheSource) {
  SourceMap recorded;
  ASSERT_TRUE(recorded.add({0, "virtio1-req.0", 36, SourceKind::block}).ok());
  ASSERT_TRUE(recorded.add({1, "virtio2-input.0", 37, SourceKind::net}).ok());
  ASSERT_TRUE(recorded.add({2, "irq=9", -1, SourceKind::other}).ok());  // reads as another selector
  const Config c = default_config(recorded);
  ASSERT_EQ(c.sources.size(), 3u);
  EXPECT_FALSE(c.sources[0].match.has_value()) << "matched by its key, the name";
  EXPECT_FALSE(c.sources[1].match.has_value());
  ASSERT_TRUE(c.sources[2].match.has_value());
  EXPECT_EQ(c.sources[2].match->value, "id=2");
  auto text = parse_config(write_config(c), "defaults.toml");
  ASSERT_TRUE(text.ok()) << text.message();
  SourceMap renumbered;  // the NIC first now
  ASSERT_TRUE(renumbered.add({0, "virtio2-input.0", 37, SourceKind::net}).ok());
  ASSERT_TRUE(renumbered.add({1, "virtio1-req.0", 36, SourceKind::block}).ok());
  ASSERT_TRUE(renumbered.add({2, "irq=9", -1, SourceKind::other}).ok());
  auto p = compile(*text, renumbered);
  ASSERT_TRUE(p.ok()) << p.message();
  for (const SourceProgram& sp : p->sources) {
    if (sp.name == "virtio1-req.0") {
      EXPECT_EQ(sp.id, 1u);
    } else if (sp.name == "virtio2-input.0") {
      EXPECT_EQ(sp.id, 0u);
    }
  }
  EXPECT_EQ(p->sources.size(), 3u);
}

}  // namespace
}  // namespace irqshape::isd
