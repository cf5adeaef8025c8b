// Configuration files: durations, the rule syntax, every validation error naming
// file:line:column and key, and the writer's round trip.
#include <gtest/gtest.h>

#include "isd/config.h"
#include "isd/program.h"
#include "isd/teach.h"
#include "isd_test_support.h"

namespace irqshape::isd {
namespace {

using testing::example_platform;

TEST(Units, DurationsParseExactly) {
  EXPECT_EQ(*parse_duration("4ms"), 4'000'000u);
  EXPECT_EQ(*parse_duration("1.5ms"), 1'500'000u);
  EXPECT_EQ(*parse_duration(" 250us "), 250'000u);
  EXPECT_EQ(*parse_duration("2s"), 2'000'000'000u);
  EXPECT_EQ(*parse_duration("100ns"), 100u);
  EXPECT_EQ(*parse_duration("0.000000001s"), 1u);
  EXPECT_EQ(*parse_duration("3\xC2\xB5s"), 3000u);
  EXPECT_FALSE(parse_duration("4").ok());
  EXPECT_FALSE(parse_duration("ms").ok());
  EXPECT_FALSE(parse_duration("4 parsecs").ok());
  EXPECT_FALSE(parse_duration("1.5ns").ok());
  EXPECT_FALSE(parse_duration("99999999999999999999s").ok());
  EXPECT_NE(parse_duration("4m").message().find("unknown unit"), std::string::npos);
}

TEST(Units, DurationsFormatShortestAndReadBack) {
  EXPECT_EQ(format_duration(4'500'000), "4.5ms");
  EXPECT_EQ(format_duration(50'000), "50us");
  EXPECT_EQ(format_duration(1'234), "1.234us");
  EXPECT_EQ(format_duration(7), "7ns");
  EXPECT_EQ(format_duration(0), "0ns");
  EXPECT_EQ(format_duration(2'000'000'000), "2s");
  EXPECT_EQ(format_duration(4'885'747'100), "4.8857471s");  // not "4885747.1us"
  EXPECT_EQ(format_duration(4'294'967'295), "4.294967295s");
  EXPECT_EQ(format_duration(1'234'567), "1.234567ms");
  for (std::uint64_t v : {1ull, 999ull, 1000ull, 1001ull, 123'456'789ull, 4'294'967'295ull, 1'000'000'007ull})
    EXPECT_EQ(*parse_duration(format_duration(v)), v) << v;
}

TEST(Units, RatesConvertToTheRateWindow) {
  const Rate r = *parse_rate("50000/s");
  EXPECT_EQ(r, (Rate{50'000, kNsPerS}));
  EXPECT_EQ(*per_window(r, 1'000'000, false), 50u);
  EXPECT_EQ(*per_window(Rate{1500, kNsPerS}, 1'000'000, false), 1u);
  EXPECT_EQ(*per_window(Rate{1500, kNsPerS}, 1'000'000, true), 2u);
  EXPECT_EQ(*parse_rate("20"), (Rate{20, 0}));
  EXPECT_EQ(*parse_rate("20/window"), (Rate{20, 0}));
  EXPECT_FALSE(parse_rate("20/fortnight").ok());
  EXPECT_EQ(format_rate(Rate{20, kNsPerMs}), "20/ms");
  // Fractional counts per time are exact rates (500,000/s), not "finer than a nanosecond".
  EXPECT_EQ(*parse_rate("0.5/us"), (Rate{1, 2'000}));
  EXPECT_EQ(*parse_rate("1.50/ms"), (Rate{3, 2'000'000}));
  EXPECT_EQ(*parse_rate("1/2us"), (Rate{1, 2'000}));
  EXPECT_EQ(*per_window(*parse_rate("0.5/us"), kNsPerS, false), 500'000u);
  EXPECT_EQ(format_rate(*parse_rate("0.5/us")), "1/2us");
  EXPECT_EQ(*parse_rate(format_rate(*parse_rate("0.25/ms"))), *parse_rate("0.25/ms"));
  EXPECT_NE(parse_rate("2.5/window").message().find("a count per rate window is a whole number"), std::string::npos);
  EXPECT_NE(parse_rate("2.5").message().find("a count per rate window is a whole number"), std::string::npos);
  EXPECT_FALSE(parse_rate("1/0s").ok());
}

Config parse_ok(std::string_view text) {
  auto c = parse_config(text, "t.toml");
  EXPECT_TRUE(c.ok()) << c.message();
  return c.ok() ? *c : Config{};
}

std::string parse_error(std::string_view text) {
  auto c = parse_config(text, "t.toml");
  EXPECT_FALSE(c.ok()) << "accepted:\n" << text;
  return c.ok() ? std::string{} : c.message();
}

TEST(Config, ExamplesLoad) {
  for (const char* path : {"examples/nic-nvme.toml", "examples/issue-example.toml"}) {
    auto c = load_config(path);
    ASSERT_TRUE(c.ok()) << c.message();
    auto p = compile(*c, example_platform());
    ASSERT_TRUE(p.ok()) << p.message();
    EXPECT_TRUE(p->warnings.empty());
  }
}

TEST(Config, FamiliarNamesSetTheSourceRegisters) {
  const Config c = parse_ok(R"toml(
[source.nic0]
match = "eth0-TxRx-0"
rx-usecs = 50
rx-frames = 32
adaptive-rx = true
[source.nvme0]
match = "nvme0q1"
aggregation-threshold = 8
aggregation-time = 2          # NVMe units of 100 us
storm-limit = "100000/s"
storm-action = "drop"
raise-vector = 0xE4
lower-vector = 49
)toml");
  ASSERT_EQ(c.sources.size(), 2u);
  EXPECT_EQ(c.sources[0].time_ns->value, 50'000u);
  EXPECT_EQ(c.sources[0].frames->value, 32u);
  EXPECT_EQ(c.sources[1].time_ns->value, 200'000u);
  auto p = compile(c, example_platform());
  ASSERT_TRUE(p.ok()) << p.message();
  namespace regs = isu::regs;
  const SourceProgram& nic = p->sources[0];
  EXPECT_EQ(nic.id, 0u);
  EXPECT_EQ(nic.value(regs::SRC_CTRL), regs::src_ctrl::Coalesce::mask | regs::src_ctrl::Adaptive::mask);
  EXPECT_EQ(nic.value(regs::SRC_COAL_COUNT), 32u);
  EXPECT_EQ(nic.value(regs::SRC_COAL_TIME), 50'000u);
  const SourceProgram& nvme = p->sources[1];
  EXPECT_EQ(nvme.value(regs::SRC_CTRL), regs::src_ctrl::Coalesce::mask | regs::src_ctrl::StormGuard::mask |
                                            regs::src_ctrl::StormDrop::mask);
  EXPECT_EQ(nvme.value(regs::SRC_STORM_LIMIT), 100u);  // 100000/s in the default 1 ms window
  EXPECT_EQ(nvme.value(regs::SRC_PRIO), 0x31E4u);
}

TEST(Config, SequenceSyntax) {
  const Config c = parse_ok(R"toml(
[[rule]]
name = "disk-then-nic"
sequence = "nvme0 -> nic0 within 4ms..6ms -> nic1 within 1ms"
actions = ["augment"]
)toml");
  const Condition& cond = c.rules[0].condition;
  ASSERT_EQ(cond.steps.size(), 3u);
  EXPECT_EQ(cond.steps[0].source.value, "nvme0");
  EXPECT_EQ(cond.steps[1].min_ns, 4'000'000u);
  EXPECT_EQ(cond.steps[1].max_ns, 6'000'000u);
  EXPECT_EQ(cond.steps[2].min_ns, 0u);
  EXPECT_EQ(cond.steps[2].max_ns, 1'000'000u);
  EXPECT_EQ(format_condition(cond), "nvme0 -> nic0 within 4ms..6ms -> nic1 within 1ms");
  // Columns point into the string: "nic1" starts at column 46 of line 4.
  EXPECT_EQ(cond.steps[2].source.at.line, 4u);
  EXPECT_EQ(cond.steps[2].source.at.column, 46u);
}

TEST(Config, WhenSyntax) {
  const Config c = parse_ok(R"toml(
[[rule]]
when = "rate(nic0) > 1000/s"
[[rule]]
when = "rate(nic0) < 3"
[[rule]]
when = "periodic(timer, jitter < 50us)"
[[rule]]
when = "off-prediction(virtio1-req.0, 200us)"
[[rule]]
when = "always(*)"
[[rule]]
when = "always(irq=36)"
)toml");
  ASSERT_EQ(c.rules.size(), 6u);
  EXPECT_EQ(c.rules[0].condition.kind, ConditionKind::rate_above);
  EXPECT_EQ(c.rules[0].condition.rate, (Rate{1000, kNsPerS}));
  EXPECT_EQ(c.rules[1].condition.kind, ConditionKind::rate_below);
  EXPECT_EQ(c.rules[2].condition.ns, 50'000u);
  EXPECT_EQ(c.rules[3].condition.source->value, "virtio1-req.0");
  EXPECT_FALSE(c.rules[4].condition.source.has_value());
  EXPECT_EQ(c.rules[0].name, "rule-1");
  for (const RuleSettings& r : c.rules) {
    const Config again = parse_ok(fmt::format("[[rule]]\nwhen = \"{}\"\n", format_condition(r.condition)));
    EXPECT_EQ(format_condition(again.rules[0].condition), format_condition(r.condition));
  }
}

struct BadInput {
  const char* text;
  const char* message;  // the exact error
};
// How a case shows in test listings: the error it expects.
void PrintTo(const BadInput& b, std::ostream* os) { *os << '"' << b.message << '"'; }

class ConfigErrors : public ::testing::TestWithParam<BadInput> {};

TEST_P(ConfigErrors, NameFileLineColumnAndKey) { EXPECT_EQ(parse_error(GetParam().text), GetParam().message); }

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigErrors,
    ::testing::Values(
        BadInput{"[unit]\nhistory = 5000\n", "t.toml:2:11: [unit]: history: 5000 is not a power of two"},
        BadInput{"[unit]\nhistory = 16384\n", "t.toml:2:11: [unit]: history: 16384 is out of range (256..8192, a power of two)"},
        BadInput{"[unit]\nrate-window = 100\n",
                 "t.toml:2:15: [unit]: rate-window: expected a duration string such as \"1ms\", found an integer"},
        BadInput{"[unit]\nrate-window = \"10ns\"\n",
                 "t.toml:2:15: [unit]: rate-window: 10ns is out of range (1us..4.294967295s, RATE_WINDOW)"},
        BadInput{"[adapt]\nmax-added-p99 = \"0us\"\n",
                 "t.toml:2:17: [adapt]: max-added-p99: 0ns is outside 1us..4.294967295s (a coalescing time the unit can "
                 "hold, SRC_COAL_TIME)"},
        BadInput{"[adapt]\nmax-added-p99 = \"5s\"\n",
                 "t.toml:2:17: [adapt]: max-added-p99: 5s is outside 1us..4.294967295s (a coalescing time the unit can "
                 "hold, SRC_COAL_TIME)"},
        BadInput{"[adapt]\nmax-added-p99 = 50\n",
                 "t.toml:2:17: [adapt]: max-added-p99: expected a duration string such as \"1ms\", found an integer"},
        BadInput{"[adapt]\nmax-added-p99 = \"50us\"\nperiod = \"1ns\"\n",
                 "t.toml:3:10: [adapt]: period: 1ns is outside 100us..60s"},
        BadInput{"[adapt]\nperiod = \"10ms\"\n",
                 "t.toml:1:2: [adapt]: max-added-p99 is required: the budget on each source's added delay at the 99th "
                 "percentile, e.g. max-added-p99 = \"50us\""},
        BadInput{"[adapt]\nmax-added-p999 = \"50us\"\n",
                 "t.toml:2:1: [adapt]: unknown key \"max-added-p999\" (did you mean \"max-added-p99\"?)"},
        BadInput{"[adapt]\nbudget = \"50us\"\n",
                 "t.toml:2:1: [adapt]: unknown key \"budget\" (valid keys: max-added-p99, period)"},
        BadInput{"adapt = 5\n", "t.toml:1:9: adapt: expected a table ([adapt]), found an integer"},
        BadInput{"[source.nic0]\nrx-usec = 50\n",
                 "t.toml:2:1: source \"nic0\": unknown key \"rx-usec\" (did you mean \"rx-usecs\"?)"},
        BadInput{"[source.nic0]\nrx-frames = 70000\nrx-usecs = 5\n",
                 "t.toml:2:13: source \"nic0\": rx-frames: 70000 is out of range (0..65535, SRC_COAL_COUNT)"},
        BadInput{"[source.nic0]\nrx-frames = 32\n",
                 "t.toml:2:13: source \"nic0\": rx-frames needs a coalescing time (rx-usecs or aggregation-time): the "
                 "unit holds no event without a deadline (COMMIT_STATUS BAD_COALESCING)"},
        BadInput{"[source.nic0]\nadaptive-rx = true\n",
                 "t.toml:2:15: source \"nic0\": adaptive-rx needs a coalescing time (rx-usecs or aggregation-time): the unit "
                 "holds no event without a deadline (COMMIT_STATUS BAD_COALESCING)"},
        BadInput{"[source.nic0]\nrx-usecs = 5000000\n",
                 "t.toml:2:12: source \"nic0\": rx-usecs: 5s is above the unit's maximum of 4294967295 ns (SRC_COAL_TIME)"},
        BadInput{"[source.nic0]\nrx-usecs = 5\naggregation-time = \"5us\"\n",
                 "t.toml:3:20: source \"nic0\": aggregation-time: conflicts with rx-usecs (line 2): both set the same register"},
        BadInput{"[source.nic0]\nraise-vector = 16\n",
                 "t.toml:2:16: source \"nic0\": raise-vector: 16 is out of range (32..255, SRC_PRIO: vectors below 32 are the "
                 "CPU's exceptions)"},
        BadInput{"[source.nic0]\nstorm-action = \"drop\"\n",
                 "t.toml:2:16: source \"nic0\": storm-action needs storm-limit (COMMIT_STATUS BAD_STORM)"},
        BadInput{"[source.nic0]\nstorm-limit = 0\n",
                 "t.toml:2:15: source \"nic0\": storm-limit: 0 is out of range (1..2147483647 events per rate window; omit "
                 "the key to disable the guard)"},
        // the same count as a string (found by fuzz/isd_config: the writer turned it back
        // into an integer, which the reader then refused)
        BadInput{"[source.nic0]\nstorm-limit = \"1999999999621\"\n",
                 "t.toml:2:15: source \"nic0\": storm-limit: 1999999999621 is out of range (1..2147483647 events per rate "
                 "window; omit the key to disable the guard)"},
        BadInput{"[source.nic0]\nstorm-limit = \"2147483648/window\"\n",
                 "t.toml:2:15: source \"nic0\": storm-limit: 2147483648 is out of range (1..2147483647 events per rate "
                 "window; omit the key to disable the guard)"},
        BadInput{"[source.nic0]\nstorm-action = \"explode\"\nstorm-limit = 4\n",
                 "t.toml:2:16: source \"nic0\": storm-action: \"explode\" is not \"defer\" or \"drop\""},
        BadInput{"[[rule]]\nname = \"r\"\nsequence = \"nvme0\"\n",
                 "t.toml:3:13: rule \"r\": sequence: a sequence needs at least 2 steps, e.g. \"nvme0 -> nic0 within 5ms\""},
        BadInput{"[[rule]]\nname = \"r\"\nsequence = \"a -> b\"\n",
                 "t.toml:3:18: rule \"r\": sequence: step 2 needs a window: \"b within 5ms\" or \"b within 4ms..6ms\""},
        BadInput{"[[rule]]\nname = \"r\"\nsequence = \"a -> b within 6ms..4ms\"\n",
                 "t.toml:3:27: rule \"r\": sequence: window 6ms..4ms: the minimum is above the maximum (COMMIT_STATUS "
                 "BAD_WINDOW)"},
        BadInput{"[[rule]]\nname = \"r\"\nsequence = \"a -> b within 4 ms..6 lightyears\"\n",
                 "t.toml:3:33: rule \"r\": sequence: \"6 lightyears\": unknown unit \"lightyears\" (write ns, us, ms or s)"},
        BadInput{"[[rule]]\nname = \"r\"\nsequence = \"a within 1ms -> b within 2ms\"\n",
                 "t.toml:3:15: rule \"r\": sequence: the first step has no window (windows are delays from the previous step)"},
        BadInput{"[[rule]]\nname = \"r\"\nsequence = \"a -> b within 1ms -> c within 1ms -> d within 1ms -> e within 1ms -> "
                 "f within 1ms -> g within 1ms -> h within 1ms -> i within 1ms\"\n",
                 "t.toml:3:130: rule \"r\": sequence: a pattern has at most 8 steps"},
        BadInput{"[[rule]]\nname = \"r\"\nwhen = \"rate(nic0) >= 5\"\n",
                 "t.toml:3:21: rule \"r\": when: use > or < (the unit compares strictly)"},
        BadInput{"[[rule]]\nname = \"r\"\nwhen = \"frequency(nic0) > 5\"\n",
                 "t.toml:3:9: rule \"r\": when: unknown condition \"frequency\" (expected rate(...), periodic(...), "
                 "off-prediction(...) or always(...))"},
        BadInput{"[[rule]]\nname = \"r\"\nwhen = \"periodic(timer, 50us)\"\n",
                 "t.toml:3:25: rule \"r\": when: expected \"jitter < DURATION\", e.g. periodic(timer, jitter < 50us)"},
        BadInput{"[[rule]]\nname = \"r\"\nwhen = \"always(x)\"\nactions = [\"raise-priority\", \"lower-priority\"]\n",
                 "t.toml:4:11: rule \"r\": actions: raise-priority and lower-priority conflict (COMMIT_STATUS BAD_ACTION)"},
        BadInput{"[[rule]]\nname = \"r\"\nwhen = \"always(x)\"\nactions = [\"coalesce\", \"urgent\"]\n",
                 "t.toml:4:11: rule \"r\": actions: coalesce and urgent conflict (COMMIT_STATUS BAD_ACTION)"},
        BadInput{"[[rule]]\nname = \"r\"\nwhen = \"always(x)\"\nactions = [\"teleport\"]\n",
                 "t.toml:4:12: rule \"r\": actions: unknown action \"teleport\" (valid: raise-priority, lower-priority, "
                 "augment, coalesce, urgent)"},
        BadInput{"[[rule]]\nname = \"r\"\nactions = []\n",
                 "t.toml:1:1: rule \"r\": needs a condition: sequence = \"a -> b within 5ms\" or when = \"rate(a) > 1000/s\""},
        BadInput{"[[rule]]\nname = \"r\"\nwhen = \"always(x)\"\nsequence = \"a -> b within 1ms\"\n",
                 "t.toml:4:1: rule \"r\": sequence: a rule has one condition, and this one already has `when`"},
        BadInput{"[[rule]]\nname = \"r\"\nwhen = \"always(x)\"\n[[rule]]\nname = \"r\"\nwhen = \"always(y)\"\n",
                 "t.toml:4:1: rule \"r\": name: already used by the rule at line 1"},
        BadInput{"[[rules]]\nname = \"r\"\n", "t.toml:1:3: unknown key \"rules\" (did you mean \"rule\"?)"},
        BadInput{"[unit\n", "t.toml:1:6: TOML syntax: Error while parsing table header: expected ']', saw '\\n'"}),
    // Stable test names (the default would print the pointers the struct holds).
    [](const ::testing::TestParamInfo<BadInput>& p) { return "case" + std::to_string(p.index); });

TEST(Config, WriterRoundTrips) {
  auto c = load_config("examples/nic-nvme.toml");
  ASSERT_TRUE(c.ok()) << c.message();
  const std::string plain = write_config(*c);
  c->comment = {"written back", "second line"};
  c->rules[0].comment = {"a comment on a rule"};
  const std::string text = write_config(*c);
  auto again = parse_config(text, "rewritten.toml");
  ASSERT_TRUE(again.ok()) << again.message() << "\n" << text;
  EXPECT_EQ(write_config(*again), plain) << "everything but the comments survives";
  auto p1 = compile(*c, example_platform()), p2 = compile(*again, example_platform());
  ASSERT_TRUE(p1.ok() && p2.ok());
  ASSERT_EQ(p1->sources.size(), p2->sources.size());
  for (std::size_t i = 0; i < p1->sources.size(); ++i)
    for (std::size_t f = 0; f < p1->sources[i].fields.size(); ++f)
      EXPECT_EQ(p1->sources[i].fields[f].value, p2->sources[i].fields[f].value);
  ASSERT_EQ(p1->rules.size(), p2->rules.size());
  for (std::size_t i = 0; i < p1->rules.size(); ++i)
    for (std::size_t f = 0; f < p1->rules[i].fields.size(); ++f)
      EXPECT_EQ(p1->rules[i].fields[f].value, p2->rules[i].fields[f].value);
  EXPECT_NE(text.find("# a comment on a rule\n[[rule]]"), std::string::npos);
}

TEST(Config, AdaptTableReadsAndWritesBack) {
  const Config c = parse_ok("[adapt]\nmax-added-p99 = \"50us\"\nperiod = \"20ms\"\n");
  ASSERT_TRUE(c.adapt.has_value());
  EXPECT_EQ(c.adapt->max_added_p99_ns.value, 50'000u);
  EXPECT_EQ(c.adapt->max_added_p99_ns.at.str(), "t.toml:2:17");
  ASSERT_TRUE(c.adapt->period_ns.has_value());
  EXPECT_EQ(c.adapt->period_ns->value, 20'000'000u);
  const std::string text = write_config(c);
  EXPECT_EQ(text, "[adapt]\nmax-added-p99 = \"50us\"\nperiod = \"20ms\"\n");
  const Config again = parse_ok(text);
  ASSERT_TRUE(again.adapt.has_value());
  EXPECT_EQ(again.adapt->period_ns->value, 20'000'000u);
  EXPECT_FALSE(parse_ok("[adapt]\nmax-added-p99 = \"1ms\"\n").adapt->period_ns.has_value());
  EXPECT_FALSE(parse_ok("").adapt.has_value());
}

TEST(Config, WriterQuotesAwkwardNames) {
  Config c;
  SourceSettings s;
  s.name = "odd \"name\"\twith\\stuff";
  s.time_ns = Located<std::uint64_t>{1500, {}};
  s.coalesce = Located<bool>{true, {}};
  c.sources.push_back(s);
  const std::string text = write_config(c);
  auto again = parse_config(text, "q.toml");
  ASSERT_TRUE(again.ok()) << again.message() << "\n" << text;
  EXPECT_EQ(again->sources[0].name, s.name);
  EXPECT_EQ(again->sources[0].time_ns->value, 1500u);
}

TEST(Config, CharactersTheTomlReaderMishandlesAreRefusedWithAPosition) {
  // toml++ 3.3 reaches __builtin_unreachable() classifying U+00E9 and its neighbours as
  // whitespace; the guard lets them through only where the reader never asks.
  auto ok = parse_config("# caf\u00e9 \xc3\xa9\n[[rule]]\nname = \"caf\xc3\xa9\"\nwhen = \"always(x)\"\nactions = []\n", "u.toml");
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(ok->rules[0].name, "caf\xc3\xa9");
  EXPECT_EQ(parse_error("[source.\"caf\xc3\xa9\"]\n"),
            "t.toml:1:13: TOML: character U+00E9 is only accepted in comments and string values here (the TOML reader, "
            "toml++ 3.3, cannot classify it anywhere else)");
  EXPECT_EQ(parse_error("x = 49X99from=\"\xd0\x88sh\"\n"),
            "t.toml:1:16: TOML: character U+0408 is only accepted in comments and string values here (the TOML reader, "
            "toml++ 3.3, cannot classify it anywhere else)");
  // The same after a bracket inside a malformed value (found by fuzz/isd_labels).
  EXPECT_EQ(parse_error(std::string("to=49X9") + std::string(2, '\0') + "9fr[\"\xd0\x88sh\"\n"),
            "t.toml:1:15: TOML: character U+0408 is only accepted in comments and string values here (the TOML reader, "
            "toml++ 3.3, cannot classify it anywhere else)");
  // Or after a bracket that follows a second '=' of a malformed value: toml++ is still
  // reading the bare token there (found by fuzz/isd_labels).
  EXPECT_EQ(parse_error("C=0xx==x=[\"u\xc3\xba\"]\n"),
            "t.toml:1:13: TOML: character U+00FA is only accepted in comments and string values here (the TOML reader, "
            "toml++ 3.3, cannot classify it anywhere else)");
  // Or in what looks like a comment after a second '=': toml++ may still be reading the
  // malformed value there (found by fuzz/isd_labels).
  EXPECT_EQ(parse_error("Ii= 6612-04-i= 6#\xef\xb1\xbf\n"),
            "t.toml:1:18: TOML: character U+FC7F is only accepted in comments and string values here (the TOML reader, "
            "toml++ 3.3, cannot classify it anywhere else)");
  // Or after a second bare word in a value: toml++ reads "6612-04-01 6" as a date and a
  // time, and the time reader looks past the '#' (found while checking the case above).
  EXPECT_EQ(parse_error("x = 6612-04-01 6#\xc2\xb5s\n"),
            "t.toml:1:18: TOML: character U+00B5 is only accepted in comments and string values here (the TOML reader, "
            "toml++ 3.3, cannot classify it anywhere else)");
  EXPECT_EQ(parse_error("x = [6612-04-i= 6#\xc2\xb5s]\n"),
            "t.toml:1:19: TOML: character U+00B5 is only accepted in comments and string values here (the TOML reader, "
            "toml++ 3.3, cannot classify it anywhere else)");
  // A comment after a value, a string, an array or a header is still a comment.
  auto comment = parse_config("# caf\xc3\xa9\n[unit]  # caf\xc3\xa9\nhistory = 4096  # 50 \xc2\xb5s\n"
                              "[source.nic0]  # \xc2\xb5\nrx-usecs = 50 #\xc2\xb5s\ncomment = \"a b\" # \xc2\xb5\n"
                              "[[rule]]\nname = \"r\"\nwhen = \"always(nic0)\"\nactions = [\"augment\", \"coalesce\"]  # \xc2\xb5\n",
                              "u.toml");
  EXPECT_TRUE(comment.ok()) << comment.message();
  // A string in a real array is a value.
  auto array = parse_config("[[rule]]\nname = \"r\"\nwhen = \"always(x)\"\nactions = []\n", "u.toml");
  EXPECT_TRUE(array.ok()) << array.message();
  // So is one after the '=' of an inline table's entry: the text reaches the reader, which
  // reports what the configuration does not know.
  const std::string inline_value = parse_error("x = {name = \"caf\xc3\xa9\", b = [\"\xc3\xa9\"], c = {d = \"\xc3\xa9\"}}\n");
  EXPECT_EQ(inline_value.find("U+00E9"), std::string::npos) << inline_value;
  EXPECT_NE(inline_value.find("t.toml:1:1:"), std::string::npos) << inline_value;
  // But not a key of an inline table, nor what follows a second '=' in one entry.
  EXPECT_EQ(parse_error("x = {a = 1, \"caf\xc3\xa9\" = 2}\n"),
            "t.toml:1:17: TOML: character U+00E9 is only accepted in comments and string values here (the TOML reader, "
            "toml++ 3.3, cannot classify it anywhere else)");
  EXPECT_EQ(parse_error("x = {a = b = \"\xc3\xa9\"}\n"),
            "t.toml:1:15: TOML: character U+00E9 is only accepted in comments and string values here (the TOML reader, "
            "toml++ 3.3, cannot classify it anywhere else)");
}

TEST(Config, LoadNamesAMissingFile) {
  auto c = load_config("no/such/file.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(), "no/such/file.toml: cannot open: No such file or directory");
}

// A directory opens on Linux and then fails every read: it must not load as an empty
// configuration (no rules) or an empty set of labels.
TEST(Config, LoadRefusesADirectory) {
  auto c = load_config("examples");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(), "examples: is a directory");
  auto l = load_labels("examples");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.message(), "examples: is a directory");
}

}  // namespace
}  // namespace irqshape::isd
