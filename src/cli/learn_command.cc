// `irqshape learn`: mines interrupt arrivals for sequences between sources, rates and
// periodicity, and writes a commented rule file a person can edit (and isd-check reads).
// With --labels, teaches patterns from labelled examples instead. Input: a trace, or
// synthetic traffic with planted sequences (precision and recall are then printed).
// With --from-history the arrivals go through the ISU model first and are read back
// from its history ring through the registers, as the driver does on a real unit.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/count_text.h"
#include "cli/duration_option.h"
#include "cli/trace_warnings.h"
#include "isd/config.h"
#include "isd/driver.h"
#include "isd/harness/model_harness.h"
#include "isd/harness/planted.h"
#include "isd/miner.h"
#include "isd/teach.h"
#include "isd/trace_input.h"
#include "trace/reader.h"
#include "trace/stats.h"

namespace irqshape::cli {
namespace {

struct Options {
  std::string trace, labels, output;
  std::optional<std::uint64_t> synthetic_ns;
  std::uint64_t seed = 1;
  std::uint64_t horizon = 20'000'000;
  std::uint32_t min_support = 20;
  double min_z = 6.0;
  std::size_t max_rules = 16;
  bool from_history = false;
};

struct Input {
  std::vector<isd::Event> events;
  isd::SourceMap names;
  std::string description;
  trace::LostEvents lost;
  std::map<std::uint32_t, std::string> not_coalescing;  // isd::ProposalOptions
};

// Interrupt sources serving a block device whose requests were nearly all issued with no
// other in flight: a synchronous reader waits for each completion, so a held completion
// delays the next request and saves no interrupt.
std::map<std::uint32_t, std::string> synchronous_disks(const trace::TraceStats& stats) {
  std::map<std::uint32_t, std::string> out;
  for (std::size_t id = 0; id < stats.sources.size(); ++id) {
    const auto& served = stats.sources[id].serves;
    if (!served || *served >= stats.block.size()) continue;
    const std::vector<std::uint64_t>& depth = stats.block[*served].depth_at_issue;
    std::uint64_t issues = 0;
    for (const std::uint64_t n : depth) issues += n;
    const std::uint64_t alone = depth.size() > 1 ? depth[1] : 0;
    if (issues < 100 || alone * 10 < issues * 9) continue;
    out[static_cast<std::uint32_t>(id)] =
        fmt::format("{:.0f}% of its disk's requests were issued at queue depth 1 (a synchronous reader): a held "
                    "completion delays the next request and saves no interrupt",
                    100.0 * static_cast<double>(alone) / static_cast<double>(issues));
  }
  return out;
}

Result<Input> load_trace_input(const std::string& path) {
  auto t = isd::load_trace_events(path);
  if (!t) return t.error();
  if (t->events.empty()) return make_error("{}: no interrupts (irq_handler_entry records) in the trace", path);
  Input in{std::move(t->events), std::move(t->names), std::move(t->description), t->lost, {}};
  if (path != "-") {  // standard input cannot be read twice; the suggestions then go by rate alone
    auto reader = trace::open_trace(path);
    if (!reader) return reader.error();
    auto stats = trace::compute_stats(**reader);
    if (!stats) return stats.error();
    in.not_coalescing = synchronous_disks(*stats);
  }
  return in;
}

int fail(const std::string& message) {
  fmt::print(stderr, "irqshape learn: {}\n", message);
  return 1;
}

// "a -> b within 10us..20us -> c within ..." (a found sequence, or a taught pattern).
template <typename Sequence>
std::string sequence_text(const Sequence& f, const isd::SourceMap& names) {
  std::string text = isd::rule_source_name(names, f.sources[0]);
  for (std::size_t k = 1; k < f.sources.size(); ++k)
    text += fmt::format(" -> {} within {}..{}", isd::rule_source_name(names, f.sources[k]),
                        isd::format_duration(f.windows[k - 1].first), isd::format_duration(f.windows[k - 1].second));
  return text;
}

// The arrivals through the ISU model, read back from its history ring every 10 ms of
// unit time through the driver (HIST_COUNT, HIST_INDEX, HIST_* registers).
Result<std::vector<isd::Event>> through_history(const std::vector<isd::Event>& events, const isd::SourceMap& names,
                                                std::uint64_t& lost) {
  isd::harness::ModelHarness model;
  isd::Driver driver(model.window());
  isd::Config c;
  c.unit.history_log2 = isd::Located<std::uint32_t>{13, {}};  // 8192 entries
  if (auto r = driver.apply(c, names); !r) return r.error();
  std::vector<isd::Event> out;
  std::uint64_t cursor = 0;
  auto read = [&]() -> Status {
    auto h = driver.read_history_since(cursor);
    if (!h) return h.error();
    for (const isd::HistoryEntry& e : h->entries) out.push_back({e.time, e.source});
    cursor = h->next;
    lost += h->lost;
    return {};
  };
  std::uint64_t next = events.empty() ? 0 : events.front().time + 10'000'000;
  for (const isd::Event& e : events) {
    for (; e.time >= next; next += 10'000'000)
      if (auto s = read(); !s) return s.error();
    if (e.source < isu::regs::kSources) model.interrupt({e.time, e.source, 0x40, 0});
  }
  if (auto s = read(); !s) return s.error();
  return out;
}

void print_profiles(std::FILE* report, const isd::MiningResult& r, const isd::SourceMap& names) {
  fmt::print(report, "{}, {} mined, {:.3f} s\n", count(r.events, "interrupt"), count(r.sources.size(), "source"),
             static_cast<double>(r.end_ns - r.start_ns) * 1e-9);
  fmt::print(report, "  {:<24} {:>9} {:>11} {:>7}  {}\n", "source", "events", "rate/s", "gap CV", "periodic");
  for (const isd::SourceProfile& p : r.sources)
    fmt::print(report, "  {:<24} {:>9} {:>11.1f} {:>7.2f}  {}\n", isd::rule_source_name(names, p.source), p.events, p.rate_per_s, p.gap_cv,
               p.periodic ? fmt::format("every {}, jitter {}", isd::format_duration(p.period_ns), isd::format_duration(p.jitter_ns))
                          : "-");
}

// How many candidates print_findings shows when nothing passed.
constexpr std::size_t kRejectedShown = 3;

// Why a judged candidate was rejected, and what (if anything) on the command line admits it.
std::string rejection_text(const isd::SequenceFinding& f, const isd::MinerOptions& mo) {
  std::vector<std::string> why;
  if (f.lift < mo.min_lift) why.push_back(fmt::format("lift {:.1f} is below {:.1f}", f.lift, mo.min_lift));
  if (f.excess < mo.min_excess)
    why.push_back(fmt::format("{:.1f}% of the starts are followed beyond chance, below {:.0f}%", 100 * f.excess, 100 * mo.min_excess));
  const bool low_z = f.z < mo.min_z;
  if (low_z) why.push_back(fmt::format("z {:.1f} is below --min-z {:g}", f.z, mo.min_z));
  std::string text = fmt::format("rejected: {}", fmt::join(why, "; "));
  // A whole --min-z that the candidate passes (z is printed rounded: 4.3 may be 4.29...).
  const double z_needed = std::floor(f.z);
  if (why.size() == 1 && low_z && z_needed >= 0)
    text += fmt::format("; --min-z {:g} would keep it", z_needed);
  else if (why.size() > 1 || !low_z)
    text += "; no option keeps it";
  return text;
}

void print_findings(std::FILE* report, const isd::MiningResult& r, const isd::SourceMap& names, const std::vector<bool>* correct,
                    const isd::MinerOptions& mo) {
  fmt::print(report, "{} ({} tested){}\n", count(r.sequences.size(), "sequence"), count(r.pairs_tested, "source pair"),
             r.sequences.empty() ? "" : ":");
  for (std::size_t i = 0; i < r.sequences.size(); ++i) {
    const isd::SequenceFinding& f = r.sequences[i];
    fmt::print(report, "  {}{}  [{} of {}, confidence {:.2f}, lift {:.1f}, z {:.1f}]\n",
               correct == nullptr ? "" : ((*correct)[i] ? "ok     " : "WRONG  "), sequence_text(f, names), f.support, f.starts,
               f.confidence, f.lift, f.z);
  }
  if (r.sequences.empty() && !r.rejected.empty()) {
    const std::size_t shown = std::min(kRejectedShown, r.rejected.size());
    fmt::print(report, "{} (of {}):\n", shown == 1 ? "the closest candidate" : fmt::format("the {} closest candidates", shown),
               count(r.rejected.size(), "rejected candidate"));
    for (std::size_t i = 0; i < shown; ++i) {
      const isd::SequenceFinding& f = r.rejected[i];
      fmt::print(report, "  {}  [{} of {}, confidence {:.2f}, lift {:.1f}, z {:.1f}]\n    {}\n", sequence_text(f, names), f.support,
                 f.starts, f.confidence, f.lift, f.z, rejection_text(f, mo));
    }
  }
  if (r.unprogrammable.empty()) return;
  fmt::print(report, "{} not proposed: a window is above the unit's maximum delay of {} (PAT_MAXk):\n",
             count(r.unprogrammable.size(), "sequence"), isd::format_duration(isd::kMaxTimeNs));
  for (const isd::SequenceFinding& f : r.unprogrammable)
    fmt::print(report, "  {}  [{} of {}]\n", sequence_text(f, names), f.support, f.starts);
}

int run(const Options& o) {
  if (o.trace.empty() == !o.synthetic_ns) return fail("give exactly one input: --trace FILE or --synthetic DURATION");
  std::uint64_t horizon = o.horizon;
  Input in;
  std::optional<isd::harness::PlantedTrace> planted;
  if (!o.trace.empty()) {
    auto t = load_trace_input(o.trace);
    if (!t) return fail(t.message());
    in = std::move(*t);
  } else {
    planted = isd::harness::planted_trace(*o.synthetic_ns, o.seed);
    in.events = planted->events;
    in.names = planted->names;
    in.description = fmt::format("synthetic traffic with planted sequences ({}, seed {})",
                                 isd::format_duration(*o.synthetic_ns), o.seed);
  }
  // The report goes to standard output, unless the rule file does: then standard output
  // carries only the TOML and the report goes to standard error.
  std::FILE* const report = o.output == "-" ? stderr : stdout;
  fmt::print(report, "input: {}\n", in.description);
  if (horizon > isd::kMaxTimeNs) {  // a pattern step waits at most PAT_MAXk: no rule could use a longer delay
    fmt::print(report, "--horizon {} is above the unit's maximum delay of {} (PAT_MAXk): mining delays up to {}\n",
               isd::format_duration(horizon), isd::format_duration(isd::kMaxTimeNs), isd::format_duration(isd::kMaxTimeNs));
    horizon = isd::kMaxTimeNs;
  }
  if (in.lost.markers != 0) fmt::print(stderr, "learn: {}\n", lost_events_warning(in.lost));
  if (o.from_history) {
    std::uint64_t lost = 0;
    auto h = through_history(in.events, in.names, lost);
    if (!h) return fail(h.message());
    fmt::print(report, "read back from the ISU history ring: {} ({} overwritten before {} read)\n",
               count(h->size(), "entry", "entries"), lost, lost == 1 ? "it was" : "they were");
    in.events = std::move(*h);
  }

  isd::Config rules;
  if (!o.labels.empty()) {
    auto labels = isd::load_labels(o.labels);
    if (!labels) return fail(labels.message());
    auto taught = isd::teach(in.events, *labels, in.names);
    if (!taught) return fail(taught.message());
    for (const isd::TaughtPattern& p : *taught) {
      fmt::print(report, "taught \"{}\" from {}: {}  (completes {} in the input)\n", p.name, count(p.examples, "example"),
                 sequence_text(p, in.names), count(p.matches_in_trace, "time"));
    }
    rules = isd::taught_rules(*taught, in.names, o.labels);
  } else {
    isd::MinerOptions mo;
    mo.horizon_ns = horizon;
    mo.min_support = o.min_support;
    mo.min_z = o.min_z;
    const isd::MiningResult r = isd::mine(in.events, mo);
    print_profiles(report, r, in.names);
    if (planted) {
      const isd::harness::PlantedScore sc = isd::harness::score_against(r, *planted);
      print_findings(report, r, in.names, &sc.found_correct, mo);
      fmt::print(report, "against the planted answer: precision {:.2f} ({} of {} found are planted or implied by a planted chain), recall {:.2f} ({} of {} planted found)\n",
                 sc.precision, sc.correct, sc.found, sc.recall, sc.recalled, sc.planted);
    } else {
      print_findings(report, r, in.names, nullptr, mo);
    }
    isd::ProposalOptions po;
    po.max_rules = o.max_rules;
    po.input = in.description;
    po.not_coalescing = in.not_coalescing;
    rules = isd::propose_rules(r, in.names, po);
  }
  const std::string text = isd::write_config(rules) + "\n";
  if (o.output == "-") {
    fmt::print("{}", text);
    return 0;
  }
  std::ofstream out(o.output, std::ios::binary);
  if (!out) return fail(fmt::format("{}: cannot write: {}", o.output, std::strerror(errno)));
  out << text;
  out.close();
  if (!out) return fail(fmt::format("{}: cannot write: {}", o.output, std::strerror(errno)));
  fmt::print("wrote {} to {} (check with: irqshape isd-check {})\n", count(rules.rules.size(), "rule"), o.output, o.output);
  return 0;
}

}  // namespace

void add_learn_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("learn", "Mine interrupt sequences, rates and periodicity (or teach from labels) into an "
                                          "editable ISD rule file");
  auto o = std::make_shared<Options>();
  cmd->add_option("--trace", o->trace, "Trace to learn from (trace-cmd .dat, ftrace text, perf script, native .irqt)");
  add_duration_option(cmd, "--synthetic", o->synthetic_ns,
                      "Learn from this much synthetic traffic with planted sequences instead",
                      {100'000'000, 600'000'000'000, true});
  cmd->add_option("--labels", o->labels, "Labelled examples (TOML, see docs/isd.md): teach these patterns instead of mining");
  cmd->add_option("-o,--output", o->output, "Rule file to write (TOML; - for standard output)")->required();
  add_duration_option(cmd, "--horizon", o->horizon, "Longest delay between two steps to look for (default 20ms)",
                      {1, ~std::uint64_t{0}, false});
  cmd->add_option("--min-support", o->min_support, "Fewest occurrences a sequence needs (default 20)")->check(CLI::Range(2, 1000000));
  cmd->add_option("--min-z", o->min_z, "Significance a sequence needs: z-score against shifted timelines (default 6)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--max-rules", o->max_rules, "Most rules to propose (default 16; the unit has 64)")->check(CLI::Range(1, 64));
  cmd->add_option("--seed", o->seed, "Seed of the synthetic traffic");
  cmd->add_flag("--from-history", o->from_history,
                "Replay the input through the ISU model and learn from its history ring, read through the registers");
  cmd->callback([o] {
    if (const int rc = run(*o); rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace irqshape::cli
