// irqshape convert IN OUT: any readable trace into the native format (or ftrace text).
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/format_option.h"
#include "trace/native.h"
#include "trace/reader.h"
#include "trace/text_writer.h"

namespace irqshape::cli {

void add_convert_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "convert",
      "Convert a trace (trace-cmd .dat, ftrace text, perf script or native) into irqshape's native format "
      "(docs/trace-format.md), or into ftrace text");
  struct Options {
    std::string in, out, from, to;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("IN", opt->in, "Input trace ('-' reads standard input)")->required();
  cmd->add_option("OUT", opt->out, "Output file ('-' writes ftrace text to standard output)")->required();
  add_format_option(cmd, "--from,--format", opt->from);
  cmd->add_option("--to", opt->to, "Output format: native (default) or ftrace-text (default for OUT ending in "
                                   ".txt, and for '-'). A trace-cmd .dat is not written (an OUT ending in .dat is "
                                   "refused): `irqshape capture -o FILE.dat` records one");
  cmd->callback([opt]() {
    auto fail = [](const std::string& msg) {
      fmt::print(stderr, "irqshape convert: {}\n", msg);
      throw CLI::RuntimeError(1);
    };
    std::optional<trace::Format> from;
    if (!opt->from.empty()) from = trace::parse_format(opt->from);  // checked by the option
    std::string to = opt->to;
    if (to.empty()) to = (opt->out == "-" || opt->out.ends_with(".txt")) ? "ftrace-text" : "native";
    // Usage errors, reported as such by main() (with where to find the options).
    // A name ending in .dat promises a trace-cmd file (capture writes one for it), which
    // convert cannot write: a .dat holds the kernel's ring-buffer pages and event formats,
    // which a trace's records do not carry. Refused rather than written in another format.
    if (opt->out.ends_with(".dat") || trace::parse_format(to) == trace::Format::trace_cmd_dat) {
      throw CLI::ValidationError(fmt::format(
          "cannot write a trace-cmd .dat{}: convert writes irqshape's native format (--to native, e.g. OUT.irqt) "
          "or ftrace text (--to ftrace-text, OUT.txt or -); a .dat comes from the kernel's ring buffer: "
          "`irqshape capture -o FILE.dat` or trace-cmd record/extract",
          opt->out.ends_with(".dat") ? fmt::format(" ('{}')", opt->out) : std::string()));
    }
    if (to != "native" && to != "ftrace-text")
      throw CLI::ValidationError("--to", fmt::format("cannot write '{}' (native or ftrace-text)", to));
    if (to == "native" && opt->out == "-")
      throw CLI::ValidationError("the native format is written to a file, not standard output");
    auto reader = trace::open_trace(opt->in, from);
    if (!reader) fail(reader.message());
    std::uint64_t records = 0;
    if (to == "native") {
      auto writer = trace::NativeWriter::create(opt->out);
      if (!writer) fail(writer.message());
      auto r = trace::copy_to_native(**reader, **writer);
      if (!r) fail(r.message());
      records = r->records;
    } else {
      auto r = trace::copy_to_ftrace_text(**reader, opt->out);
      if (!r) fail(r.message());
      records = r->records;
    }
    if (opt->out != "-") {
      std::error_code ec;
      const auto size = std::filesystem::file_size(opt->out, ec);
      fmt::print(stderr, "{}: {} records ({} events of other kinds skipped) from {} -> {} ({}, {} bytes)\n",
                 opt->in, records, (*reader)->skipped_events(), to_string((*reader)->meta().format), opt->out, to,
                 ec ? 0 : size);
    }
  });
}

}  // namespace irqshape::cli
