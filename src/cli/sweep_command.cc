// `irqshape sweep`: a grid over a policy's parameters on a scenario, one simulation per
// point on every core, one row per point (CSV or JSON lines), in grid order whatever
// the thread count. `--shard K/N` takes every N-th point starting at K, so a batch
// scheduler can spread a large grid over many machines and concatenate the outputs.
#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/json_text.h"
#include "cli/commands.h"
#include "cli/duration_option.h"
#include "cli/option_check.h"
#include "cli/sim_common.h"
#include "sim/replay.h"
#include "sim/sweep.h"
#include "trace/reader.h"

namespace irqshape::cli {

namespace {

struct SweepOptionsCli {
  std::string scenario = "demo";
  std::string policy;
  std::vector<std::string> grid;
  unsigned threads = 0;
  std::string shard = "1/1";
  std::string out;
  std::uint64_t duration_ns = 1'000'000'000;
  std::uint64_t seed = 1;
  std::string delivery = "posted";
  bool closed_loop = false;
  bool per_source = false;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A bar on a terminal; a line per ~5 % otherwise (logs of batch jobs).
void progress(std::size_t done, std::size_t total, bool tty) {
  if (tty) {
    const int width = 40;
    const int filled = static_cast<int>(width * done / std::max<std::size_t>(total, 1));
    fmt::print(stderr, "\r[{}{}] {}/{} points", std::string(static_cast<std::size_t>(filled), '#'),
               std::string(static_cast<std::size_t>(width - filled), ' '), done, total);
    if (done == total) fmt::print(stderr, "\n");
    return;
  }
  const std::size_t step = std::max<std::size_t>(1, total / 20);
  if (done % step == 0 || done == total) fmt::print(stderr, "sweep: {}/{} points done\n", done, total);
}

// "demo", or a trace file replayed as in `irqshape replay`.
sim::Scenario scenario_for(const SweepOptionsCli& o, bool duration_given) {
  if (o.scenario == "demo") return sim::demo_scenario(static_cast<sim::Nanos>(o.duration_ns), o.seed);
  auto trace = trace::load_trace(o.scenario);
  if (!trace) fail("sweep", fmt::format("--scenario: {}", trace.message()));
  sim::ReplayOptions ro;
  ro.closed_loop = o.closed_loop;
  ro.seed = o.seed;
  if (duration_given) ro.max_duration = static_cast<sim::Nanos>(o.duration_ns);
  auto conv = sim::scenario_from_trace(*trace, o.scenario, ro);
  if (!conv) fail("sweep", conv.message());
  return std::move(conv->scenario);
}

void run(const SweepOptionsCli& o, bool duration_given) {
  sim::Scenario sc = scenario_for(o, duration_given);
  auto path = sim::parse_delivery_path(o.delivery);
  if (!path) fail("sweep", path.message());
  sc.costs.path = *path;
  auto base = sim::parse_policy_spec(o.policy);
  if (!base) fail("sweep", base.message());
  std::vector<sim::GridAxis> grid;
  for (const std::string& g : o.grid) {
    auto a = sim::parse_grid_axis(g);
    if (!a) fail("sweep", a.message());
    grid.push_back(*a);
  }
  auto shard = sim::parse_shard(o.shard);
  if (!shard) fail("sweep", shard.message());
  const bool jsonl = ends_with(o.out, ".jsonl");
  if (!jsonl && !ends_with(o.out, ".csv") && o.out != "-")
    fail("sweep", fmt::format("--out \"{}\": the name must end in .csv or .jsonl", o.out));
  // The file is opened (so a path that cannot be written fails before any simulation) but
  // emptied only when the first row is written: a sweep that fails before it (a bad grid
  // value) leaves an existing file as it was, and removes one it created.
  const bool existed = o.out != "-" && ::access(o.out.c_str(), F_OK) == 0;
  std::FILE* f = stdout;
  if (o.out != "-") {
    const int fd = ::open(o.out.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    f = fd < 0 ? nullptr : ::fdopen(fd, "w");
    if (f == nullptr) fail("sweep", fmt::format("--out {}: cannot open for writing: {}", o.out, std::strerror(errno)));
  }
  bool emptied = f == stdout;
  std::string write_error;  // reported after the sweep: on_row runs inside it
  auto begin_output = [&] {
    // Only a regular file has old contents to drop (a FIFO or /dev/null cannot be truncated).
    struct stat st{};
    if (!emptied && ::fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && ::ftruncate(fileno(f), 0) != 0)
      write_error = fmt::format("--out {}: cannot empty it: {}", o.out, std::strerror(errno));
    emptied = true;
  };
  const bool tty = isatty(fileno(stderr)) != 0;
  sim::SweepOptions so;
  so.threads = o.threads;
  so.shard = *shard;
  std::size_t rows = 0;
  so.on_row = [&](const sim::SweepRow& row) {
    if (rows++ == 0) {
      begin_output();
      if (!jsonl) fmt::print(f, "{}", sim::sweep_csv_header(grid, sc, o.per_source));
    }
    if (jsonl) fmt::print(f, "{}\n", json_text(sim::sweep_json_row(row)));
    else fmt::print(f, "{}", sim::sweep_csv_row(row, o.per_source));
    std::fflush(f);
  };
  so.on_progress = [&](std::size_t done, std::size_t total) { progress(done, total, tty); };
  const Status st = sim::run_sweep(sc, *base, grid, so);
  // A shard with no grid point (3/3 of a two-point grid) still writes the CSV header, so
  // that every shard's file has the same shape when they are put together.
  if (st && rows == 0) {
    begin_output();
    if (!jsonl) fmt::print(f, "{}", sim::sweep_csv_header(grid, sc, o.per_source));
  }
  if (f != stdout) std::fclose(f);
  // Rows already written when a point fails stay: they are complete and in order.
  if (!st && rows == 0 && f != stdout && !existed) std::remove(o.out.c_str());
  if (!st) fail("sweep", st.message());
  if (!write_error.empty()) fail("sweep", write_error);
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep", "Simulate a grid of policy parameters, one output row per point");
  auto o = std::make_shared<SweepOptionsCli>();
  cmd->add_option("--scenario", o->scenario, "Scenario to run: demo, or a trace file (replayed as by irqshape replay)")
      ->capture_default_str()
      ->type_name("demo|TRACE");
  cmd->add_flag("--closed-loop", o->closed_loop, "With a trace: replay block requests closed loop");
  cmd->add_flag("--per-source", o->per_source,
                "CSV: add each source's p99 latency and added p99 columns (JSON lines always have a \"sources\" object)");
  cmd->add_option("--policy", o->policy, "Base policy (NAME or NAME:k=v,...); the grid adds parameters")
      ->required()
      ->type_name("NAME[:k=v,...]");
  cmd->add_option("--grid", o->grid, "One axis: KEY=V1,V2,... (repeatable; the key 'seed' varies the scenario seed)")
      ->check(checked_by("--grid", sim::parse_grid_axis))
      ->type_name("KEY=V1,V2,...");
  cmd->add_option("--threads", o->threads, "Points simulated at once (default: every core)");
  cmd->add_option("--shard", o->shard, "Run shard K of N: points i with i mod N == K-1")
      ->check(checked_by("--shard", sim::parse_shard))
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Output file: .csv or .jsonl ('-': CSV on stdout)")->required()->type_name("FILE");
  auto* duration = add_duration_option(cmd, "--duration", o->duration_ns,
                                       "Simulated time per point (default 1s; a trace: at most this much of it)",
                                       {1'000'000, 3600'000'000'000, true});
  cmd->add_option("--seed", o->seed, "Scenario seed (unless the grid varies it)")->capture_default_str();
  cmd->add_option("--delivery", o->delivery, "posted or exit")
      ->check(CLI::IsMember({"posted", "exit"}))
      ->capture_default_str();
  cmd->callback([o, duration] { run(*o, duration->count() > 0); });
}

}  // namespace irqshape::cli
