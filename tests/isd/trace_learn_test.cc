// Learning from the real traces of data/traces (captured on the project's VM): what the
// miner finds, and teaching from labelled events of a trace.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "isd/config.h"
#include "isd/miner.h"
#include "isd/program.h"
#include "isd/teach.h"
#include "isd/trace_input.h"

namespace irqshape::isd {
namespace {

TEST(TraceLearning, ReadsTheSourcesAndArrivalsOfATrace) {
  auto t = load_trace_events("data/traces/net-download.irqt");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->events.size(), 11951u);
  auto rx = t->names.resolve("virtio2-input.0");
  ASSERT_TRUE(rx.ok()) << rx.message();
  EXPECT_EQ(*t->names.resolve("irq=38"), *rx);
  EXPECT_EQ(t->names.find(*rx)->kind, SourceKind::net);
  for (std::size_t i = 1; i < t->events.size(); ++i) ASSERT_LE(t->events[i - 1].time, t->events[i].time);
  auto missing = load_trace_events("data/traces/no-such.irqt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no-such.irqt"), std::string::npos);
}

// A trace that uses an irq number or a name twice (irq 30 re-registered from eth0-old to
// eth0-new; "timer" on irqs 31 and 32) keeps every source and drops only what clashes: the
// second source on irq 30 keeps its name, the second "timer" keeps its irq.
TEST(TraceLearning, ASourceThatSharesAnIrqOrANameKeepsWhatItDoesNotShare) {
  auto t = load_trace_events("tests/isd/data/shared-irq-and-name.txt");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t->events.size(), 12u);
  ASSERT_EQ(t->names.sources().size(), 4u);
  auto old_nic = t->names.resolve("eth0-old"), new_nic = t->names.resolve("eth0-new");
  ASSERT_TRUE(old_nic.ok()) << old_nic.message();
  ASSERT_TRUE(new_nic.ok()) << new_nic.message();
  EXPECT_NE(*old_nic, *new_nic);
  EXPECT_EQ(*t->names.resolve("irq=30"), *old_nic) << "the first source keeps the irq";
  EXPECT_EQ(t->names.find(*new_nic)->irq, -1);
  auto timer = t->names.resolve("timer"), second_timer = t->names.resolve("irq=32");
  ASSERT_TRUE(timer.ok()) << timer.message();
  ASSERT_TRUE(second_timer.ok()) << second_timer.message();
  EXPECT_EQ(*t->names.resolve("irq=31"), *timer);
  EXPECT_NE(*second_timer, *timer);
  EXPECT_EQ(t->names.find(*second_timer)->name, "");
}

TEST(TraceLearning, TheDownloadsReceiveAndTransmitInterruptsGoTogether) {
  auto t = load_trace_events("data/traces/net-download.irqt");
  ASSERT_TRUE(t.ok()) << t.message();
  MinerOptions o;
  const MiningResult strict = mine(t->events, o);
  o.min_z = 4;  // the download's bursts make chance alignments vary widely: z 4.3 at best
  const MiningResult relaxed = mine(t->events, o);
  fmt::print("net-download: {} sequences at z >= 6, {} at z >= 4\n", strict.sequences.size(), relaxed.sequences.size());
  ASSERT_FALSE(relaxed.sequences.empty());
  const SequenceFinding& f = relaxed.sequences.front();
  fmt::print("  {} -> {} within {}..{}: {} of {}, lift {:.1f}, z {:.1f}\n", t->names.display(f.sources[0]),
             t->names.display(f.sources[1]), format_duration(f.windows[0].first), format_duration(f.windows[0].second), f.support,
             f.starts, f.lift, f.z);
  EXPECT_GT(f.confidence, 0.9);
  EXPECT_GT(f.lift, 2.0);
  const Config rules = propose_rules(relaxed, t->names);
  auto back = parse_config(write_config(rules), "net.toml");
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_TRUE(compile(*back, t->names).ok());
}

// With the default threshold nothing passes, but the pair that --min-z 4 keeps is reported
// as rejected, with the statistics that rejected it (what `learn` shows the user).
TEST(TraceLearning, APairBelowTheThresholdIsReportedAsRejected) {
  auto t = load_trace_events("data/traces/net-download.irqt");
  ASSERT_TRUE(t.ok()) << t.message();
  const MiningResult r = mine(t->events, MinerOptions{});
  EXPECT_TRUE(r.sequences.empty());
  ASSERT_FALSE(r.rejected.empty());
  const SequenceFinding& f = r.rejected.front();
  EXPECT_EQ(f.sources, (std::vector<std::uint32_t>{*t->names.resolve("virtio2-input.0"), *t->names.resolve("virtio2-output.0")}));
  EXPECT_GE(f.z, 4.0);
  EXPECT_LT(f.z, MinerOptions{}.min_z);
  EXPECT_GE(f.lift, MinerOptions{}.min_lift);
  EXPECT_GE(f.excess, MinerOptions{}.min_excess);
  for (std::size_t i = 1; i < r.rejected.size(); ++i) EXPECT_GE(r.rejected[i - 1].z, r.rejected[i].z);
  // What passes is not also listed as rejected.
  MinerOptions relaxed;
  relaxed.min_z = 4;
  const MiningResult kept = mine(t->events, relaxed);
  for (const SequenceFinding& k : kept.sequences)
    for (const SequenceFinding& x : kept.rejected) EXPECT_NE(k.sources, x.sources);
}

TEST(TraceLearning, TeachesFromLabelledEventsOfATrace) {
  auto t = load_trace_events("data/traces/net-download.irqt");
  ASSERT_TRUE(t.ok()) << t.message();
  const std::uint32_t rx = *t->names.resolve("virtio2-input.0"), tx = *t->names.resolve("virtio2-output.0");
  // Label five receive interrupts with the transmit interrupt that follows each.
  std::string labels;
  int n = 0;
  for (std::size_t i = 0; i + 1 < t->events.size() && n < 5; i += 997) {
    std::size_t j = i;
    while (j < t->events.size() && t->events[j].source != rx) ++j;
    std::size_t k = j + 1;
    while (k < t->events.size() && t->events[k].source != tx) ++k;
    if (k >= t->events.size()) break;
    labels += fmt::format("[[example]]\nname = \"rx-then-tx\"\nevents = [{}, {}]\n", j, k);
    ++n;
  }
  auto parsed = parse_labels(labels, "net-labels.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  auto taught = teach(t->events, *parsed, t->names);
  ASSERT_TRUE(taught.ok()) << taught.message();
  const TaughtPattern& p = taught->front();
  EXPECT_EQ(p.sources, (std::vector<std::uint32_t>{rx, tx}));
  fmt::print("taught rx-then-tx from {} labelled pairs: window {}..{}, completes {} times in the trace\n", p.examples,
             format_duration(p.windows[0].first), format_duration(p.windows[0].second), p.matches_in_trace);
  EXPECT_GT(p.matches_in_trace, 100u);
}

}  // namespace
}  // namespace irqshape::isd
