// `irqshape replay --trace FILE`: a captured trace (any format the trace layer reads)
// replayed through the simulated machine under one or more policies, side by side with
// `none`. Open loop by default (interrupts arrive as recorded); --closed-loop replays
// block requests so that a delayed completion delays the next request.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/duration_option.h"
#include "cli/sim_common.h"
#include "cli/trace_warnings.h"
#include "sim/replay.h"
#include "trace/reader.h"

namespace irqshape::cli {
namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}

}  // namespace

void add_replay_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("replay", "Replay a captured trace through the simulator under shaping policies");
  struct Options {
    std::string trace;
    bool closed_loop = false;
    unsigned vcpus = 0;
    std::uint64_t max_duration_ns = 0;
    std::uint64_t seed = 1;
    SimCommonOptions common;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--trace", o->trace, "Trace file: irqshape native, trace-cmd .dat, ftrace text or perf script")
      ->required()
      ->type_name("FILE");
  cmd->add_flag("--closed-loop", o->closed_loop,
                "Replay block requests closed loop (re-issue after the simulated completion plus the recorded think "
                "time) instead of recorded interrupt arrivals");
  cmd->add_option("--vcpus", o->vcpus, "vCPUs of the simulated guest (default: the trace's CPU count)")
      ->check(CLI::Range(1u, 64u));
  add_duration_option(cmd, "--max-duration,--duration", o->max_duration_ns,
                      "Replay at most this much of the trace (0, the default: the whole trace)",
                      {0, 3600'000'000'000, true});
  cmd->add_option("--seed", o->seed, "Seed (background load and anything drawn at random)")->capture_default_str();
  add_common_options(cmd, o->common,
                     "Policy to run (repeatable: NAME[:k=v,...] or FILE.toml; default: every registered policy); none "
                     "always runs");
  cmd->callback([o] {
    auto trace = trace::load_trace(o->trace);
    if (!trace) fail("replay", trace.message());
    trace::LostEvents lost;
    for (const trace::Record& r : trace->records)
      if (r.type == trace::RecordType::lost_events) lost.add(r);
    if (lost.markers != 0) fmt::print(stderr, "replay: {}\n", lost_events_warning(lost));
    sim::ReplayOptions ro;
    ro.closed_loop = o->closed_loop;
    ro.vcpus = o->vcpus;
    ro.max_duration = static_cast<sim::Nanos>(o->max_duration_ns);
    ro.seed = o->seed;
    auto conv = sim::scenario_from_trace(*trace, o->trace, ro);
    if (!conv) fail("replay", conv.message());
    RunNotes extra{conv->notes, ""};
    if (!conv->replaced_sources.empty())
      extra.failure_hint = fmt::format(" (--closed-loop replaced the block interrupt source{} {} by the request source{} {}: a "
                         "rules file names those)",
                         conv->replaced_sources.size() == 1 ? "" : "s", quoted_list(conv->replaced_sources),
                         conv->request_sources.size() == 1 ? "" : "s", quoted_list(conv->request_sources));
    run_and_report("replay", conv->scenario, o->common, o->trace, extra);
  });
}

}  // namespace irqshape::cli
