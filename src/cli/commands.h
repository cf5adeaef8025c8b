// Each subcommand lives in its own file (src/cli/<name>_command.cc) and exposes one
// registration function, add_<name>_command(CLI::App&), called from main.cc. A registration adds the subcommand, its
// options (each with a help text) and a callback that calls into the libraries.
// Callbacks report failure by throwing CLI::RuntimeError(message, exit_code) after
// printing a one-line message that names the file, line or field at fault.
#pragma once

#include <CLI/CLI.hpp>

namespace irqshape::cli {

void add_isu_demo_command(CLI::App& app);    // isu_demo_command.cc
void add_capture_command(CLI::App& app);     // capture_command.cc
void add_convert_command(CLI::App& app);     // convert_command.cc
void add_trace_info_command(CLI::App& app);  // trace_info_command.cc
void add_isd_check_command(CLI::App& app);      // configure_command.cc
void add_isd_telemetry_command(CLI::App& app);  // telemetry_command.cc
void add_learn_command(CLI::App& app);          // learn_command.cc
void add_demo_command(CLI::App& app);        // demo_command.cc
void add_replay_command(CLI::App& app);      // replay_command.cc
void add_sweep_command(CLI::App& app);       // sweep_command.cc

}  // namespace irqshape::cli
