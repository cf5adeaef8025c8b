// The irqshape command: parses arguments and calls the libraries. Each subcommand lives
// in its own file and registers itself here (see commands.h).
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/version.h"

int main(int argc, char** argv) {
  CLI::App app{"irqshape: interrupt shaping, routing and dispatch for virtual machines"};
  app.set_version_flag("--version", std::string("irqshape ") + IRQSHAPE_VERSION);
  app.require_subcommand(1);

  // One line for a bad argument, naming the option (CLI11's messages do).
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("irqshape: ") + e.what() + " (see --help)\n";
  });

  irqshape::cli::add_demo_command(app);
  irqshape::cli::add_replay_command(app);
  irqshape::cli::add_sweep_command(app);
  irqshape::cli::add_isu_demo_command(app);
  irqshape::cli::add_capture_command(app);
  irqshape::cli::add_convert_command(app);
  irqshape::cli::add_trace_info_command(app);
  irqshape::cli::add_isd_check_command(app);
  irqshape::cli::add_isd_telemetry_command(app);
  irqshape::cli::add_learn_command(app);

  CLI11_PARSE(app, argc, argv);
  return 0;
}
