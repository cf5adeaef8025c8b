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
#include <fmt/ranges.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/option_check.h"
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

// An option before the subcommand that the top level does not have (`irqshape --bogus
// demo`). It is the top level's error, and is reported before the subcommand parses:
// CLI11 would first report anything the subcommand misses (trace-info's FILE) instead.
// The top level's options are all flags, so the first word that is none is the subcommand.
std::optional<std::string> unknown_top_level_option(const CLI::App& app, const std::vector<std::string>& args) {
  for (const std::string& word : args) {
    if (!word.starts_with("-")) break;
    if (app.get_option_no_throw(word.substr(0, word.find('='))) == nullptr) return word;
  }
  return std::nullopt;
}

void print_usage_error(const std::string& command, const std::string& message) {
  fmt::print(stderr, "{}: {}\nRun '{} --help' for the {}.\n", command, message, command,
             command == "irqshape" ? "commands" : "options");
}

// CLI11 says "--max-duration: At Most 1 required but received 2" of an option given twice
// (or once under each of its names): say that, and which names are one option.
std::optional<std::string> given_twice(const CLI::App& app, const std::string& message) {
  static constexpr std::string_view kMark = ": At Most 1 required but received ";
  const std::size_t at = message.find(kMark);
  if (at == std::string::npos) return std::nullopt;
  const std::string name = message.substr(0, at);
  const CLI::App* sub = &app;
  while (!sub->get_subcommands().empty()) sub = sub->get_subcommands().back();
  const CLI::Option* opt = sub->get_option_no_throw(name);
  if (opt == nullptr) return std::nullopt;
  std::string text = fmt::format("{}: given {} times; it takes one value", name, message.substr(at + kMark.size()));
  if (const std::vector<std::string>& names = opt->get_lnames(); names.size() > 1) {
    std::vector<std::string> dashed;
    for (const std::string& n : names) dashed.push_back("--" + n);
    text += fmt::format(" ({} are one option)", fmt::join(dashed, " and "));
  }
  return text;
}

int usage_error(const CLI::App& app, const CLI::ParseError& e) {
  const std::string command = command_name(app);
  std::string message = e.what();
  if (auto twice = given_twice(app, message)) message = *twice;
  // Without a subcommand CLI11 says only that one is required, even when a word that is
  // none was given: name it. (An option there was reported before parsing:
  // unknown_top_level_option.)
  if (const std::vector<std::string> left = app.remaining(); command == "irqshape" && !left.empty()) {
    message = fmt::format("unknown command \"{}\"", left.front());
  }
  print_usage_error(command, message);
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
  irqshape::cli::check_integer_options(app);

  const std::vector<std::string> args(argv + 1, argv + argc);
  if (const auto word = unknown_top_level_option(app, args)) {
    print_usage_error("irqshape", "The following argument was not expected: " + *word);
    return kUsageError;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {  // a command failed and has said why (commands.h)
    return e.get_exit_code();
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e);
  }
  return 0;
}
