// `irqshape demo`: the built-in scenario (a 4-vCPU guest with a 4-queue NIC, NVMe-like
// disks at queue depth 1 and 32, a timer and a correlated pair of INTx devices) under
// every shaping policy, side by side, on the same input. docs/simulator.md explains the
// scenario and how to read the table.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/duration_option.h"
#include "cli/sim_common.h"
#include "sim/scenario.h"

namespace irqshape::cli {

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Simulate the built-in scenario under every shaping policy and compare them");
  struct Options {
    std::uint64_t duration_ns = 1'000'000'000;
    std::uint64_t seed = 1;
    SimCommonOptions common;
  };
  auto o = std::make_shared<Options>();
  add_duration_option(cmd, "--duration", o->duration_ns, "Simulated time (default 1s)", {1'000'000, 3600'000'000'000, true});
  cmd->add_option("--seed", o->seed, "Seed of every random stream of the scenario")->capture_default_str();
  add_common_options(cmd, o->common, "Policy to run (repeatable; default: every registered policy); none always runs");
  cmd->callback([o] {
    sim::Scenario sc = sim::demo_scenario(static_cast<sim::Nanos>(o->duration_ns), o->seed);
    run_and_report("demo", sc, o->common, "");
  });
}

}  // namespace irqshape::cli
