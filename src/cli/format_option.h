// The input-format option of the commands that read a trace file as given (convert,
// trace-info): `--from` or `--format`, checked while the command line is parsed, so an
// unknown name is a usage error like any other.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "trace/reader.h"

namespace irqshape::cli {

// names: "--from,--format" or "--format,--from" (the first is the one errors name).
inline CLI::Option* add_format_option(CLI::App* cmd, const std::string& names, std::string& format) {
  const CLI::Validator known(
      [](std::string& name) {
        return trace::parse_format(name) ? std::string{}
                                         : "unknown format '" + name +
                                               "' (native, trace-cmd-dat, ftrace-text or perf-script)";
      },
      "");
  return cmd
      ->add_option(names, format,
                   "Input format instead of detecting it: native, trace-cmd-dat, ftrace-text, perf-script")
      ->check(known)
      ->type_name("FORMAT");
}

}  // namespace irqshape::cli
