// Learning: sequences planted in synthetic traffic with a known answer, recovered by the
// miner (precision and recall printed, floors asserted) - from the events directly and
// from the ISU's history ring read through the registers; periodicity; the proposed rule
// file read back; labelled teaching.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "isd/config.h"
#include "isd/miner.h"
#include "isd/program.h"
#include "isd/teach.h"
#include "isd_test_support.h"

namespace irqshape::isd {
namespace {

constexpr std::uint64_t kUs = 1'000, kMs = 1'000'000, kS = 1'000'000'000;

struct Planted {
  std::uint32_t from, to;
  std::uint64_t lo, hi;  // delay range
};

struct Synthetic {
  std::vector<Event> events;
  SourceMap names;
  std::vector<Planted> pairs;  // planted (ground truth)
  std::vector<Planted> implied;  // consequences of planted chains (correct, not required)
  std::vector<std::uint64_t> efg_starts;  // times of E events whose E->F->G completed
};

// Sources: disk->nic at 5 +- 0.5 ms (p 0.8); ctrl->ack at 200 +- 30 us (p 0.7);
// e->f at 1 +- 0.1 ms (p 0.9) then f->g at 3 +- 0.3 ms (p 0.8); independent noise on
// the followers, three noise sources (Poisson 1k/s and 5k/s, bursty 2k/s) and a 1 kHz timer.
Synthetic planted_trace(std::uint64_t duration, std::uint64_t seed) {
  Synthetic s;
  s.names = SourceMap::from_names({"disk", "nic", "ctrl", "ack", "e", "f", "g", "noise1", "noise2", "burst", "timer"});
  s.pairs = {{0, 1, 4'500 * kUs, 5'500 * kUs}, {2, 3, 170 * kUs, 230 * kUs}, {4, 5, 900 * kUs, 1'100 * kUs},
             {5, 6, 2'700 * kUs, 3'300 * kUs}};
  s.implied = {{4, 6, 3'600 * kUs, 4'400 * kUs}};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto poisson = [&](std::uint32_t src, double rate, std::vector<std::uint64_t>* out = nullptr) {
    for (double t = -std::log(1 - u(rng)) / rate * 1e9; t < static_cast<double>(duration); t += -std::log(1 - u(rng)) / rate * 1e9) {
      s.events.push_back({static_cast<std::uint64_t>(t), src});
      if (out) out->push_back(static_cast<std::uint64_t>(t));
    }
  };
  auto follow = [&](const std::vector<std::uint64_t>& starts, std::uint32_t src, double p, std::uint64_t lo, std::uint64_t hi,
                    std::vector<std::uint64_t>* out = nullptr, std::vector<std::uint64_t>* from = nullptr) {
    for (std::size_t i = 0; i < starts.size(); ++i) {
      if (u(rng) >= p) continue;
      const std::uint64_t t = starts[i] + lo + static_cast<std::uint64_t>(u(rng) * static_cast<double>(hi - lo));
      s.events.push_back({t, src});
      if (out) out->push_back(t);
      if (from) from->push_back(i);
    }
  };
  std::vector<std::uint64_t> disk, ctrl, e, f, f_of;
  poisson(0, 200, &disk);
  follow(disk, 1, 0.8, 4'500 * kUs, 5'500 * kUs);
  poisson(1, 300);
  poisson(2, 500, &ctrl);
  follow(ctrl, 3, 0.7, 170 * kUs, 230 * kUs);
  poisson(3, 200);
  poisson(4, 100, &e);
  follow(e, 5, 0.9, 900 * kUs, 1'100 * kUs, &f, &f_of);
  std::vector<std::uint64_t> g_of;
  follow(f, 6, 0.8, 2'700 * kUs, 3'300 * kUs, nullptr, &g_of);
  for (const std::uint64_t gi : g_of) s.efg_starts.push_back(e[f_of[gi]]);
  poisson(5, 100);
  poisson(6, 100);
  poisson(7, 1'000);
  poisson(8, 5'000);
  for (double t = 0; t < static_cast<double>(duration); t += -std::log(1 - u(rng)) / 250.0 * 1e9)  // bursts of 8, 2k/s
    for (int k = 0; k < 8; ++k) s.events.push_back({static_cast<std::uint64_t>(t) + static_cast<std::uint64_t>(k) * 2 * kUs, 9});
  for (std::uint64_t t = 0; t < duration; t += kMs) s.events.push_back({t + static_cast<std::uint64_t>(u(rng) * 5'000), 10});
  std::stable_sort(s.events.begin(), s.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  return s;
}

bool same_pair(const SequenceFinding& f, std::size_t k, const Planted& p) {
  const std::uint64_t centre = (p.lo + p.hi) / 2;
  return f.sources[k] == p.from && f.sources[k + 1] == p.to && f.windows[k].first <= centre && centre <= f.windows[k].second;
}

struct Score {
  double precision = 0, recall = 0;
  std::size_t found = 0, correct = 0;
};

// A recovered sequence is correct when every step is a planted (or implied) relation
// with its window around the planted delay. Recall: the planted pairs and the planted
// chain e->f->g.
Score score(const MiningResult& r, const Synthetic& s, bool print) {
  Score sc;
  std::vector<bool> recalled(s.pairs.size() + 1, false);
  for (const SequenceFinding& f : r.sequences) {
    bool correct = true;
    for (std::size_t k = 0; k + 1 < f.sources.size(); ++k) {
      bool step = false;
      for (std::size_t i = 0; i < s.pairs.size(); ++i)
        if (same_pair(f, k, s.pairs[i])) {
          step = true;
          if (f.sources.size() == 2) recalled[i] = true;
        }
      for (const Planted& p : s.implied) step = step || same_pair(f, k, p);
      correct = correct && step;
    }
    if (f.sources == std::vector<std::uint32_t>{4, 5, 6} && correct) recalled.back() = true;
    ++sc.found;
    sc.correct += correct ? 1 : 0;
    if (print) {
      std::string text;
      for (std::size_t k = 0; k < f.sources.size(); ++k)
        text += k == 0 ? s.names.display(f.sources[k])
                       : fmt::format(" -> {} within {}..{}", s.names.display(f.sources[k]), format_duration(f.windows[k - 1].first),
                                     format_duration(f.windows[k - 1].second));
      fmt::print("  {:<5} {:<58} support {:>4}/{:<4} conf {:.2f} lift {:>6.1f} z {:>6.1f}\n", correct ? "ok" : "WRONG", text,
                 f.support, f.starts, f.confidence, f.lift, f.z);
    }
  }
  sc.precision = sc.found ? static_cast<double>(sc.correct) / static_cast<double>(sc.found) : 0;
  sc.recall = static_cast<double>(std::count(recalled.begin(), recalled.end(), true)) / static_cast<double>(recalled.size());
  return sc;
}

TEST(Miner, RecoversPlantedSequencesWithTheirWindows) {
  double precision = 0, recall = 0;
  constexpr int kSeeds = 3;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    const Synthetic s = planted_trace(4 * kS, static_cast<std::uint64_t>(seed));
    const MiningResult r = mine(s.events);
    fmt::print("seed {}: {} events, {} sources, {} pairs tested, {} sequences:\n", seed, r.events, r.sources.size(), r.pairs_tested,
               r.sequences.size());
    const Score sc = score(r, s, true);
    fmt::print("seed {}: precision {:.2f} ({} of {}), recall {:.2f}\n", seed, sc.precision, sc.correct, sc.found, sc.recall);
    precision += sc.precision;
    recall += sc.recall;
  }
  precision /= kSeeds;
  recall /= kSeeds;
  fmt::print("planted sequences over {} seeds: precision {:.2f}, recall {:.2f}\n", kSeeds, precision, recall);
  EXPECT_GE(precision, 0.9);
  EXPECT_GE(recall, 0.9);
}

TEST(Miner, FindsNothingInIndependentTraffic) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<Event> ev;
  const double rates[] = {100, 300, 500, 1000, 2000, 5000};
  for (std::uint32_t src = 0; src < 6; ++src)
    for (double t = 0; t < 3e9; t += -std::log(1 - u(rng)) / rates[src] * 1e9) ev.push_back({static_cast<std::uint64_t>(t), src});
  for (double t = 0; t < 3e9; t += -std::log(1 - u(rng)) / 200.0 * 1e9)  // bursts of 10, 2k/s
    for (int k = 0; k < 10; ++k) ev.push_back({static_cast<std::uint64_t>(t) + static_cast<std::uint64_t>(k) * 3 * kUs, 6});
  // Two timers with incommensurate periods and some jitter. (Two exact timers with
  // commensurate periods are phase-locked: the miner reports that relation, which holds.)
  for (std::uint64_t t = 0; t < 3 * kS; t += 4 * kMs) ev.push_back({t + static_cast<std::uint64_t>(u(rng) * 20'000), 7});
  for (std::uint64_t t = 1'500 * kUs; t < 3 * kS; t += 9'730 * kUs) ev.push_back({t + static_cast<std::uint64_t>(u(rng) * 20'000), 8});
  std::sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  const MiningResult r = mine(ev);
  for (const SequenceFinding& f : r.sequences)
    ADD_FAILURE() << "false sequence " << f.sources[0] << " -> " << f.sources[1] << " lift " << f.lift << " z " << f.z;
  fmt::print("independent traffic: {} events, {} pairs tested, {} sequences found\n", r.events, r.pairs_tested, r.sequences.size());
}

TEST(Miner, ProfilesRatesAndPeriodicity) {
  const Synthetic s = planted_trace(2 * kS, 4);
  const MiningResult r = mine(s.events);
  ASSERT_FALSE(r.sources.empty());
  EXPECT_EQ(r.sources.front().source, 8u) << "noise2 is the busiest";
  for (const SourceProfile& p : r.sources) {
    if (p.source == 10) {
      EXPECT_TRUE(p.periodic);
      EXPECT_NEAR(static_cast<double>(p.period_ns), 1e6, 5e3);
      EXPECT_LT(p.jitter_ns, 3'000u);
      EXPECT_NEAR(p.rate_per_s, 1000, 20);
    } else {
      EXPECT_FALSE(p.periodic) << s.names.display(p.source);
    }
    if (p.source == 9) {
      EXPECT_GT(p.gap_cv, 1.5) << "bursty";
    }
    if (p.source == 7) {
      EXPECT_NEAR(p.gap_cv, 1.0, 0.1) << "Poisson";
    }
  }
}

TEST(Miner, ProposedRulesReadBackAndCompile) {
  const Synthetic s = planted_trace(2 * kS, 5);
  const MiningResult r = mine(s.events);
  ProposalOptions o;
  o.input = "planted.irqt";
  const Config proposed = propose_rules(r, s.names, o);
  const std::string text = write_config(proposed);
  auto back = parse_config(text, "rules.toml");
  ASSERT_TRUE(back.ok()) << back.message() << "\n" << text;
  auto program = compile(*back, s.names);
  ASSERT_TRUE(program.ok()) << program.message() << "\n" << text;
  EXPECT_GE(program->patterns.size(), 4u);
  EXPECT_NE(text.find("sequence = \"e -> f within"), std::string::npos) << text;
  EXPECT_NE(text.find("when = \"periodic(timer, jitter <"), std::string::npos) << text;
  EXPECT_NE(text.find("# [source.\"noise2\"]"), std::string::npos) << "coalescing suggested for the busy source";
  fmt::print("{}\n", text.substr(0, 1800));
}

TEST(Miner, LearnsTheSameFromTheHistoryRingReadThroughRegisters) {
  const Synthetic s = planted_trace(2 * kS, 6);
  // The unit sees the interrupts; the driver reads its history ring every 50 ms.
  harness::ModelHarness model;
  Driver driver(model.window());
  Config c;
  c.unit.history_log2 = Located<std::uint32_t>{13, {}};
  ASSERT_TRUE(driver.apply(c, s.names).ok());
  std::vector<Event> from_ring;
  std::uint64_t cursor = 0, lost = 0, next_read = 50 * kMs;
  auto read = [&] {
    auto h = driver.read_history_since(cursor);
    ASSERT_TRUE(h.ok()) << h.message();
    for (const HistoryEntry& e : h->entries) from_ring.push_back({e.time, e.source});
    cursor = h->next;
    lost += h->lost;
  };
  for (const Event& e : s.events) {
    while (e.time >= next_read) {
      read();
      next_read += 50 * kMs;
    }
    model.interrupt({e.time, e.source, 0x40, 0});
  }
  read();
  EXPECT_EQ(lost, 0u);
  ASSERT_EQ(from_ring.size(), s.events.size());
  const MiningResult direct = mine(s.events), ring = mine(from_ring);
  ASSERT_EQ(ring.sequences.size(), direct.sequences.size());
  for (std::size_t i = 0; i < ring.sequences.size(); ++i) {
    EXPECT_EQ(ring.sequences[i].sources, direct.sequences[i].sources);
    EXPECT_EQ(ring.sequences[i].windows, direct.sequences[i].windows);
  }
  const Score sc = score(ring, s, false);
  fmt::print("from the ISU history ring ({} entries read in {} register reads): precision {:.2f}, recall {:.2f}\n",
             from_ring.size(), driver.register_reads(), sc.precision, sc.recall);
  EXPECT_GE(sc.recall, 0.8);
}

TEST(Miner, CountMatchesFollowsTheUnitsSemantics) {
  const std::vector<Event> ev = {{0, 0}, {100, 1}, {150, 1}, {1000, 0}, {1500, 1}, {2000, 0}, {2050, 0}, {2120, 1}};
  EXPECT_EQ(count_matches(ev, {0, 1}, {{50, 200}}), 2u) << "0->100 and (2000|2050)->2120 once";
  EXPECT_EQ(count_matches(ev, {0, 1}, {{0, 1000}}), 3u);
  EXPECT_EQ(count_matches(ev, {0}, {}), 0u);
}

TEST(Teach, DerivesThePatternFromLabelledTimeRanges) {
  const Synthetic s = planted_trace(2 * kS, 7);
  ASSERT_GE(s.efg_starts.size(), 12u);
  const std::uint64_t t0 = s.events.front().time;
  std::string labels;
  for (std::size_t i = 0; i < 12; ++i) {  // 12 occurrences; the ranges also hold unrelated interrupts
    const std::uint64_t from = s.efg_starts[i] - t0, to = from + 4'500 * kUs;
    labels += fmt::format("[[example]]\nname = \"e-f-g\"\nfrom = \"{}\"\nto = \"{}\"\n{}\n", format_duration(from),
                          format_duration(to), i < 6 ? "sources = [\"e\", \"f\", \"g\"]" : "");
  }
  auto parsed = parse_labels(labels, "labels.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  auto taught = teach(s.events, *parsed, s.names);
  ASSERT_TRUE(taught.ok()) << taught.message();
  ASSERT_EQ(taught->size(), 1u);
  const TaughtPattern& p = taught->front();
  fmt::print("taught {}: {} steps, windows {}..{} and {}..{}, {} examples, completes {} times in the trace ({} planted)\n", p.name,
             p.sources.size(), format_duration(p.windows[0].first), format_duration(p.windows[0].second),
             format_duration(p.windows[1].first), format_duration(p.windows[1].second), p.examples, p.matches_in_trace,
             s.efg_starts.size());
  EXPECT_EQ(p.sources, (std::vector<std::uint32_t>{4, 5, 6}));
  EXPECT_LE(p.windows[0].first, 1'000 * kUs);
  EXPECT_GE(p.windows[0].second, 1'000 * kUs);
  EXPECT_LE(p.windows[1].first, 3'000 * kUs);
  EXPECT_GE(p.windows[1].second, 3'000 * kUs);
  EXPECT_GE(static_cast<double>(p.matches_in_trace), 0.6 * static_cast<double>(s.efg_starts.size()));
  const Config rules = taught_rules(*taught, s.names, "labels.toml");
  auto back = parse_config(write_config(rules), "taught.toml");
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_TRUE(compile(*back, s.names).ok());
}

TEST(Teach, EventIndicesAndErrors) {
  const std::vector<Event> ev = {{0, 0}, {100, 1}, {5000, 2}, {10'000, 0}, {10'120, 1}};
  auto labels = parse_labels("[[example]]\nname = \"x\"\nevents = [0, 1]\n[[example]]\nname = \"x\"\nevents = [3, 4]\n"
                             "actions = [\"urgent\"]\n",
                             "l.toml");
  ASSERT_TRUE(labels.ok()) << labels.message();
  auto t = teach(ev, *labels, SourceMap::from_names({"a", "b", "c"}));
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->front().seen[0], (std::pair<std::uint64_t, std::uint64_t>{100, 120}));
  EXPECT_EQ(t->front().windows[0].first, 0u) << "100 ns minus the pad (6 ns + 1 us slack) clamps at 0";
  EXPECT_EQ(t->front().windows[0].second, 120u + 6 + 1000);
  EXPECT_EQ(t->front().actions, static_cast<std::uint32_t>(kAugment)) << "the first example's actions (default)";

  auto err = [&](std::string_view text) {
    auto l = parse_labels(text, "l.toml");
    if (!l) return l.message();
    auto r = teach(ev, *l, SourceMap::from_names({"a", "b", "c"}));
    return r.ok() ? std::string("accepted") : r.message();
  };
  EXPECT_EQ(err("[[example]]\nname = \"x\"\nevents = [0, 99]\n"),
            "l.toml:3:14: example \"x\": events: index 99 is beyond the trace's 5 interrupts");
  EXPECT_EQ(err("[[example]]\nname = \"x\"\nfrom = \"0ns\"\nto = \"1ms\"\nsources = [\"zz\"]\n"),
            "l.toml:5:12: example \"x\": sources: unknown source \"zz\" (known: \"a\", \"b\", \"c\")");
  EXPECT_EQ(err("[[example]]\nname = \"x\"\nfrom = \"2ms\"\nto = \"1ms\"\n"), "l.toml:4:6: example \"x\": to: before from");
  EXPECT_EQ(err("[[example]]\nname = \"x\"\nevents = [0]\n"),
            "l.toml:1:1: example \"x\": holds 1 interrupt; a sequence needs at least 2");
  EXPECT_EQ(err("[[example]]\nname = \"x\"\nevents = [0, 1]\n[[example]]\nname = \"x\"\nevents = [1, 2]\n"),
            "l.toml:1:1: example \"x\": the 2 examples share no sequence of two or more sources");
  EXPECT_EQ(err("[[example]]\nevents = [0, 1]\n"), "l.toml:1:1: example 1: needs a name (examples with one name teach one pattern)");
  EXPECT_EQ(err("[[example]]\nname = \"x\"\n"), "l.toml:1:1: example \"x\": needs from and to (a time range) or events (indices)");
  EXPECT_EQ(err("[[examples]]\nname = \"x\"\n"),
            "l.toml:1:3: unknown key \"examples\" (a labels file is a list of [[example]] tables)");
}

}  // namespace
}  // namespace irqshape::isd
