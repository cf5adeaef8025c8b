// The irqshape command: parses arguments and calls the libraries. Each subcommand lives
// in its own file and registers itself here (see commands.h).
//
// Exit status: 0 on success (and for --help and --version); 2 for a usage error (any
// command line CLI11 rejects: an unknown option, a missing or malformed value, an option
// that needs another), reported as two lines - the error, naming the subcommand, and where
// to find the options; 1 (or a command's own code) when a command fails at run time, after
// its one-line message.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/version.h"

namespace {

constexpr int kUsageError = 2;

// "irqshape demo", or "irqshape" when the error came before (or without) a subcommand.
std::string command_name(const CLI::App& app) {
  std::string name = "irqshape";
  for (const CLI::App* sub = &app; !sub->get_subcommands().empty();) {
    sub = sub->get_subcommands().back();
    name += " " + sub->get_name();
  }
  return name;
}

// Whether the first word CLI11 did not expect came before the subcommand (`irqshape --bogus
// demo`): then it is the top level's error, not the subcommand's.
bool unexpected_before_subcommand(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  const std::string_view lead = "not expected: ";
  const std::string what = e.what();
  const auto at = what.find(lead);
  if (dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr || at == std::string::npos || app.get_subcommands().empty())
    return false;
  const std::string word = what.substr(at + lead.size(), what.find(' ', at + lead.size()) - (at + lead.size()));
  const auto first = [&](const std::string& w) { return std::find(args.begin(), args.end(), w) - args.begin(); };
  return first(word) < first(app.get_subcommands().front()->get_name());
}

int usage_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  const std::string command = unexpected_before_subcommand(app, e, args) ? "irqshape" : command_name(app);
  std::string message = e.what();
  // Without a subcommand CLI11 says only that one is required, even when a word that is
  // none was given: name it.
  if (const std::vector<std::string> left = app.remaining(); command == "irqshape" && !left.empty()) {
    const std::string& first = left.front();
    message = first.starts_with("-") ? fmt::format("The following argument was not expected: {}", first)
                                     : fmt::format("unknown command \"{}\"", first);
  }
  fmt::print(stderr, "{}: {}\nRun '{} --help' for the {}.\n", command, message, command,
             command == "irqshape" ? "commands" : "options");
  return kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"irqshape: interrupt shaping, routing and dispatch for virtual machines"};
  app.set_version_flag("--version", std::string("irqshape ") + IRQSHAPE_VERSION);
  app.require_subcommand(1);

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {  // a command failed and has said why (commands.h)
    return e.get_exit_code();
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e, std::vector<std::string>(argv + 1, argv + argc));
  }
  return 0;
}
