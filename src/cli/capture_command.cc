// irqshape capture --output FILE [--duration DURATION] [-- COMMAND ...]: record this machine's
// interrupts, block requests and NAPI polls through tracefs.
#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "cli/duration_option.h"
#include "isd/units.h"
#include "trace/capture.h"

namespace irqshape::cli {

void add_capture_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "capture",
      "Record real interrupt activity (irq:irq_handler_entry/exit, block:block_rq_issue/complete/requeue, "
      "napi:napi_poll, optionally kvm:*) through tracefs while an optional command runs. Needs root.");
  auto opt = std::make_shared<trace::CaptureOptions>();
  cmd->add_option("-o,--output", opt->output,
                  "Output file: FILE.dat writes a trace-cmd .dat (readable by trace-cmd report), any other name "
                  "irqshape's native format")
      ->required();
  auto duration_ns = std::make_shared<std::uint64_t>(0);
  add_duration_option(cmd, "-d,--duration", *duration_ns,
                      "How long to capture (0, the default: until the COMMAND exits, or until Ctrl-C without one); "
                      "with a COMMAND, it is stopped (SIGTERM) when the time runs out",
                      {0, ~std::uint64_t{0}, true});
  cmd->add_flag("--kvm", opt->kvm, "Also record kvm:* events (kept in .dat output; the model ignores them)");
  cmd->add_option("--buffer-kb", opt->buffer_kb, "Ring buffer size per CPU in KiB (default 16384)")
      ->check(CLI::Range(64u, 4u << 20));
  cmd->add_option("COMMAND", opt->command, "Command to run while capturing (after --)");
  cmd->footer("Exit status: the COMMAND's when it fails on its own (an exit status N > 0 gives N, a signal S "
              "128 + S), after the trace is written, as time(1) and perf stat do; 0 when it succeeds or capture "
              "stops it (--duration, Ctrl-C); 1 when capture fails.\n"
              "Example: irqshape capture -o randread.irqt -- fio --name=r --rw=randread --size=256M");
  cmd->callback([opt, duration_ns]() {
    opt->duration_ns = *duration_ns;
    opt->duration_text = isd::format_duration(*duration_ns);
    opt->log = [](const std::string& m) { fmt::print(stderr, "irqshape capture: {}\n", m); };
    auto rep = trace::capture(*opt);
    if (!rep) {
      fmt::print(stderr, "irqshape capture: {}\n", rep.message());
      throw CLI::RuntimeError(1);
    }
    fmt::print(stderr, "irqshape capture: {:.2f} s, {} ring-buffer pages ({:.1f} MiB) from {} -> {} ({})", rep->seconds,
               rep->pages, static_cast<double>(rep->bytes) / (1 << 20), fmt::join(rep->events, ", "), rep->output,
               rep->format);
    if (rep->format == "native") fmt::print(stderr, ", {} records", rep->records);
    fmt::print(stderr, "\n");
    const int st = rep->command_status;
    if (st < 0 || (WIFEXITED(st) && WEXITSTATUS(st) == 0)) return;
    if (rep->command_stopped) {
      fmt::print(stderr, "irqshape capture: note: the command was stopped when the capture ended{}\n",
                 WIFSIGNALED(st) ? fmt::format(" (signal {})", WTERMSIG(st)) : std::string());
      return;
    }
    // The workload failed on its own: its status is the command's, as with time(1) and
    // perf stat, so that `irqshape capture -- make` fails when make does. The trace is kept.
    const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    fmt::print(stderr, "irqshape capture: the command {}; the trace is written, and irqshape exits with status {}\n",
               WIFEXITED(st) ? fmt::format("exited with status {}", WEXITSTATUS(st))
                             : fmt::format("was ended by signal {}", WTERMSIG(st)),
               code);
    throw CLI::RuntimeError(code);
  });
}

}  // namespace irqshape::cli
