#include "trace/capture.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "trace/dat_reader.h"
#include "trace/dat_writer.h"
#include "trace/native.h"
#include "trace/output_file.h"
#include "trace/tracefs_glue.h"

namespace irqshape::trace {

namespace {

constexpr const char* kMountHint = "mount it with `mount -t tracefs nodev /sys/kernel/tracing` (as root); "
                                   "the kernel needs CONFIG_FTRACE and CONFIG_EVENT_TRACING";

struct EventName {
  const char* system;
  const char* event;
  bool required;
};
constexpr EventName kEvents[] = {
    {"irq", "irq_handler_entry", true},  {"irq", "irq_handler_exit", true},
    {"block", "block_rq_issue", false},  {"block", "block_rq_complete", false},
    {"block", "block_rq_requeue", false},
    {"napi", "napi_poll", false},
};

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

// Installs SIGINT/SIGTERM handlers that ask the capture loop to stop; restores on exit.
class StopSignals {
 public:
  StopSignals() {
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// The tracing instance: tracing off and removed on every way out.
struct InstanceDeleter {
  void operator()(tracefs_instance* i) const {
    irqshape_tracefs_trace_off(i);
    irqshape_tracefs_instance_destroy(i);
  }
};
using Instance = std::unique_ptr<tracefs_instance, InstanceDeleter>;

Result<std::string> read_text(const std::string& path, std::size_t max = 16u << 20) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("{}: cannot read: {}", path, std::strerror(errno));
  std::string s;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    s.append(buf, static_cast<std::size_t>(in.gcount()));
    if (s.size() > max) return make_error("{}: larger than {} bytes", path, max);
  }
  return s;
}

std::uint64_t stat_value(const std::string& stats, std::string_view key) {
  auto p = stats.find(key);
  if (p == std::string::npos) return 0;
  return std::strtoull(stats.c_str() + p + key.size(), nullptr, 10);
}

// One CPU's raw pages: trace_pipe_raw drained into a temporary file.
struct CpuDrain {
  int cpu = 0;
  int pipe_fd = -1;
  int file_fd = -1;
  std::string file;
  std::uint64_t pages = 0;
  std::uint64_t short_reads = 0;

  ~CpuDrain() {
    if (pipe_fd >= 0) ::close(pipe_fd);
    if (file_fd >= 0) ::close(file_fd);
    if (!file.empty()) ::unlink(file.c_str());
  }
};

// Reads every page available now; returns the bytes read.
Result<std::uint64_t> drain(CpuDrain& d, std::vector<char>& page) {
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(d.pipe_fd, page.data(), page.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return total;
      return make_error("cpu{}/trace_pipe_raw: read failed: {}", d.cpu, std::strerror(errno));
    }
    if (n == 0) return total;
    // The kernel hands out whole pages; keep the file page aligned whatever happens.
    if (static_cast<std::size_t>(n) < page.size()) {
      std::memset(page.data() + n, 0, page.size() - static_cast<std::size_t>(n));
      ++d.short_reads;
    }
    std::size_t off = 0;
    while (off < page.size()) {
      ssize_t w = ::write(d.file_fd, page.data() + off, page.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return make_error("{}: write failed: {}", d.file, std::strerror(errno));
      off += static_cast<std::size_t>(w);
    }
    ++d.pages;
    total += static_cast<std::uint64_t>(n);
  }
}

std::vector<int> list_cpus(const std::string& per_cpu_dir) {
  std::vector<int> cpus;
  if (DIR* d = ::opendir(per_cpu_dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      int cpu = 0;
      if (std::sscanf(e->d_name, "cpu%d", &cpu) == 1 && cpu >= 0 && cpu < static_cast<int>(kMaxCpus)) {
        cpus.push_back(cpu);
      }
    }
    ::closedir(d);
  }
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

std::vector<std::string> list_events(const std::string& system_dir) {
  std::vector<std::string> events;
  if (DIR* d = ::opendir(system_dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      struct stat st {};
      if (name[0] != '.' && ::stat((system_dir + "/" + name + "/format").c_str(), &st) == 0) events.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(events.begin(), events.end());
  return events;
}

// A source's kind from sysfs when its name says which virtio device it belongs to.
SourceKind kind_from_sysfs(const Source& s) {
  unsigned index = 0;
  if (std::sscanf(s.name.c_str(), "virtio%u-", &index) == 1) {
    auto id = read_text(fmt::format("/sys/bus/virtio/devices/virtio{}/device", index), 64);
    if (id) {
      const unsigned long dev = std::strtoul(id->c_str(), nullptr, 0);
      if (dev == 1) return SourceKind::net;    // VIRTIO_ID_NET
      if (dev == 2) return SourceKind::block;  // VIRTIO_ID_BLOCK
      return SourceKind::other;
    }
  }
  return s.kind;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Starts `argv`; reports an exec failure as an error rather than a child exit code.
Result<pid_t> start_command(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error("pipe: {}", std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return make_error("fork: {}", std::strerror(errno));
  }
  if (pid == 0) {
    // Its own process group, so that stopping it reaches whatever it started too.
    ::setpgid(0, 0);
    ::close(fds[0]);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    ::execvp(args[0], args.data());
    const int e = errno;
    [[maybe_unused]] auto w = ::write(fds[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(fds[1]);
  int e = 0;
  ssize_t n;
  do {
    n = ::read(fds[0], &e, sizeof e);
  } while (n < 0 && errno == EINTR);
  ::close(fds[0]);
  if (n == static_cast<ssize_t>(sizeof e)) {
    ::waitpid(pid, nullptr, 0);
    return make_error("cannot run '{}': {}", argv[0], std::strerror(e));
  }
  return pid;
}

// Ends the command and its process group: SIGTERM, then SIGKILL after two seconds.
int stop_command(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) {
    ::kill(-pid, SIGTERM);  // anything it left running in its group
    return status;
  }
  ::kill(-pid, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace

Status check_capture_prerequisites(bool try_mount) {
  if (::geteuid() != 0) {
    return make_error("capture needs root: only root may control tracefs. Run it as root, e.g. "
                      "`sudo irqshape capture ...`");
  }
  char dir[4096] = "";
  errno = 0;
  const int mounted = irqshape_tracefs_mounted(try_mount ? 1 : 0, dir, sizeof dir);
  if (mounted < 0) {
    return make_error("tracefs is not mounted, and mounting it at /sys/kernel/tracing failed ({}); {}",
                      errno ? std::strerror(errno) : "unknown error", kMountHint);
  }
  if (mounted == 0 || dir[0] == '\0') return make_error("tracefs is not mounted; {}", kMountHint);
  struct stat st {};
  if (::stat(fmt::format("{}/events/irq/irq_handler_entry/format", dir).c_str(), &st) != 0) {
    return make_error("tracefs at {} has no irq:irq_handler_entry event; the kernel needs "
                      "CONFIG_TRACEPOINTS and CONFIG_EVENT_TRACING", dir);
  }
  return {};
}

Result<CaptureReport> capture(const CaptureOptions& opt) {
  auto log = [&](const std::string& m) {
    if (opt.log) opt.log(m);
  };
  if (opt.output.empty()) return make_error("capture: no output file given");
  // Elsewhere "-" means standard output; a trace is written as a file (the .dat and
  // native writers finish by renaming it into place), so "-" is refused rather than
  // written as a file named "-".
  if (opt.output == "-")
    return make_error("the output must be a file, not standard output ('-'); /dev/stdout works");
  // Refuse an output that cannot be written before recording anything, not after.
  auto target = check_output_path(opt.output);
  if (!target) return target.error();
  // Scratch files (the per-CPU drains, the .dat converted to native) go next to the
  // file written (a symbolic link's target), or to the temporary directory when the
  // output is a device or FIFO: never into /dev.
  std::string scratch = target->resolved;
  if (target->special) {
    std::error_code ec;
    const auto tmp = std::filesystem::temp_directory_path(ec);
    scratch = ((ec ? std::filesystem::path("/tmp") : tmp) / fmt::format("irqshape-capture-{}", ::getpid())).string();
  }
  if (auto s = check_capture_prerequisites(true); !s) return s.error();
  char tracing_dir[4096] = "";
  irqshape_tracefs_mounted(0, tracing_dir, sizeof tracing_dir);
  const std::string tdir = tracing_dir;
  const bool want_dat = opt.output.ends_with(".dat");

  CaptureReport rep;
  rep.output = opt.output;
  rep.format = want_dat ? "trace-cmd-dat" : "native";
  const std::string name = fmt::format("irqshape-{}", ::getpid());
  Instance inst(irqshape_tracefs_instance_create(name.c_str()));
  if (!inst) return make_error("cannot create tracing instance {}/instances/{}: {}", tdir, name, std::strerror(errno));
  char* idir_c = irqshape_tracefs_instance_dir(inst.get());
  if (idir_c == nullptr) return make_error("cannot locate tracing instance {}", name);
  const std::string idir = idir_c;
  irqshape_tracefs_free(idir_c);

  irqshape_tracefs_trace_off(inst.get());
  if (irqshape_tracefs_set_buffer_kb(inst.get(), opt.buffer_kb) != 0) {
    return make_error("cannot set the ring buffer to {} KiB per CPU: {}", opt.buffer_kb, std::strerror(errno));
  }
  DatContents dat;
  for (const auto& e : kEvents) {
    const std::string full = fmt::format("{}:{}", e.system, e.event);
    if (!irqshape_tracefs_event_exists(inst.get(), e.system, e.event)) {
      if (e.required) return make_error("this kernel has no {} tracepoint (no {}/events/{}/{})", full, tdir, e.system, e.event);
      rep.missing_events.push_back(full);
      log(fmt::format("warning: this kernel has no {} tracepoint; its records will be missing", full));
      continue;
    }
    if (irqshape_tracefs_event_enable(inst.get(), e.system, e.event) != 0) {
      return make_error("cannot enable {}: {}", full, std::strerror(errno));
    }
    auto format = read_text(fmt::format("{}/events/{}/{}/format", tdir, e.system, e.event));
    if (!format) return format.error();
    if (dat.systems.empty() || dat.systems.back().first != e.system) dat.systems.emplace_back(e.system, std::vector<std::string>{});
    dat.systems.back().second.push_back(std::move(*format));
    rep.events.push_back(full);
  }
  if (opt.kvm) {
    const auto kvm_events = list_events(tdir + "/events/kvm");
    if (kvm_events.empty() || irqshape_tracefs_event_enable(inst.get(), "kvm", nullptr) != 0) {
      rep.missing_events.push_back("kvm:*");
      log("warning: no kvm:* tracepoints on this kernel (kvm module not loaded?); recording without them");
    } else {
      dat.systems.emplace_back("kvm", std::vector<std::string>{});
      for (const auto& ev : kvm_events) {
        auto format = read_text(fmt::format("{}/events/kvm/{}/format", tdir, ev));
        if (!format) return format.error();
        dat.systems.back().second.push_back(std::move(*format));
      }
      rep.events.push_back("kvm:*");
    }
  }

  // Page (sub-buffer) size, as trace_pipe_raw hands pages out.
  dat.page_size = static_cast<std::uint32_t>(::sysconf(_SC_PAGESIZE));
  if (auto kb = read_text(idir + "/buffer_subbuf_size_kb", 64)) dat.page_size = static_cast<std::uint32_t>(std::stoul(*kb) * 1024);
  dat.long_size = sizeof(long);
  dat.big_endian = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
  for (auto [file, slot] : {std::pair{"header_page", &dat.header_page}, std::pair{"header_event", &dat.header_event}}) {
    auto t = read_text(fmt::format("{}/events/{}", tdir, file));
    if (!t) return t.error();
    *slot = std::move(*t);
  }

  // Per-CPU drains into temporary files next to the output.
  const auto cpus = list_cpus(idir + "/per_cpu");
  if (cpus.empty()) return make_error("no per_cpu buffers under {}", idir);
  std::vector<std::unique_ptr<CpuDrain>> drains;
  for (int cpu = 0; cpu <= cpus.back(); ++cpu) {
    auto d = std::make_unique<CpuDrain>();
    d->cpu = cpu;
    std::string tmpl = fmt::format("{}.cpu{}.XXXXXX", scratch, cpu);
    d->file_fd = ::mkstemp(tmpl.data());
    if (d->file_fd < 0) return make_error("{}: cannot create a temporary file: {}", tmpl, std::strerror(errno));
    d->file = tmpl;
    if (std::binary_search(cpus.begin(), cpus.end(), cpu)) {
      const std::string pipe = fmt::format("{}/per_cpu/cpu{}/trace_pipe_raw", idir, cpu);
      d->pipe_fd = ::open(pipe.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (d->pipe_fd < 0) return make_error("{}: cannot open: {}", pipe, std::strerror(errno));
    }
    drains.push_back(std::move(d));
  }
  std::vector<char> page(dat.page_size);
  auto drain_all = [&]() -> Result<std::uint64_t> {
    std::uint64_t n = 0;
    for (auto& d : drains) {
      if (d->pipe_fd < 0) continue;
      auto r = drain(*d, page);
      if (!r) return r.error();
      n += *r;
    }
    return n;
  };

  irqshape_tracefs_clear(inst.get());
  StopSignals signals;
  // Nanoseconds exactly as given (a double of seconds made 0.3 s 0.30000000000000004),
  // longer than chrono's range meaning as long as it gets.
  const std::chrono::nanoseconds duration(
      static_cast<std::int64_t>(std::min<std::uint64_t>(opt.duration_ns, std::numeric_limits<std::int64_t>::max())));
  const auto start = std::chrono::steady_clock::now();
  if (irqshape_tracefs_trace_on(inst.get()) != 0) return make_error("cannot turn tracing on: {}", std::strerror(errno));
  std::optional<pid_t> child;
  if (!opt.command.empty()) {
    auto pid = start_command(opt.command);
    if (!pid) return pid.error();
    child = *pid;
    log(fmt::format("capturing while `{}` runs (pid {})", fmt::join(opt.command, " "), *child));
  } else if (opt.duration_ns > 0) {
    log(fmt::format("capturing for {}",
                    opt.duration_text.empty() ? fmt::format("{} ns", opt.duration_ns) : opt.duration_text));
  } else {
    log("capturing until interrupted (Ctrl-C)");
  }
  bool child_done = false;
  for (;;) {
    auto n = drain_all();
    if (!n) {
      if (child) stop_command(*child);
      return n.error();
    }
    if (child) {
      int status = 0;
      if (::waitpid(*child, &status, WNOHANG) == *child) {
        rep.command_status = status;
        child_done = true;
        break;
      }
    }
    if (opt.duration_ns > 0 && std::chrono::steady_clock::now() - start >= duration) break;
    if (g_stop) {
      log("interrupted: stopping the capture");
      break;
    }
    if (*n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  irqshape_tracefs_trace_off(inst.get());
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (child && !child_done) {
    log(fmt::format("stopping `{}` (pid {})", opt.command[0], *child));
    rep.command_status = stop_command(*child);
    rep.command_stopped = true;
  }
  if (auto n = drain_all(); !n) return n.error();

  for (auto& d : drains) {
    rep.pages += d->pages;
    if (d->short_reads) log(fmt::format("warning: cpu{}: {} short page reads were padded", d->cpu, d->short_reads));
    auto stats = read_text(fmt::format("{}/per_cpu/cpu{}/stats", idir, d->cpu), 1 << 16);
    dat.cpu_stats.push_back(stats ? *stats : std::string());
    if (stats) {
      rep.overrun += stat_value(*stats, "overrun: ");
      rep.dropped += stat_value(*stats, "dropped events: ");
    }
    dat.cpu_page_files.push_back(d->file);
  }
  rep.bytes = rep.pages * dat.page_size;
  if (rep.overrun || rep.dropped) {
    log(fmt::format("warning: the kernel lost {} events (overrun {}, dropped {}); raise --buffer-kb",
                    rep.overrun + rep.dropped, rep.overrun, rep.dropped));
  }
  if (auto t = read_text(idir + "/trace_clock", 4096)) dat.trace_clock = *t;
  if (auto t = read_text(tdir + "/saved_cmdlines", 4u << 20)) dat.saved_cmdlines = *t;
  struct utsname u {};
  if (::uname(&u) == 0) dat.uname = fmt::format("{} {} {} {}", u.sysname, u.nodename, u.release, u.machine);
  for (auto& d : drains) {  // an instance with open files cannot be removed
    if (d->pipe_fd >= 0) ::close(d->pipe_fd);
    d->pipe_fd = -1;
  }
  inst.reset();  // remove the instance before the (possibly long) write

  if (want_dat) {
    if (auto s = write_dat(dat, opt.output); !s) return s.error();
    return rep;
  }
  const std::string tmp_dat = scratch + ".capture.dat";
  if (auto s = write_dat(dat, tmp_dat); !s) return s.error();
  struct Remove {
    std::string path;
    ~Remove() { ::unlink(path.c_str()); }
  } remove_tmp{tmp_dat};
  auto in = open_input(tmp_dat);
  if (!in) return in.error();
  // Through open_trace, as every reader: records that step back are refused here rather
  // than written into a native file the readers would refuse.
  auto reader = open_trace(std::move(*in), Format::trace_cmd_dat);
  if (!reader) return reader.error();
  auto writer = NativeWriter::create(opt.output);
  if (!writer) return writer.error();
  CopyOptions copy;
  copy.kind = kind_from_sysfs;
  copy.properties = {{"captured_by", "irqshape capture"},
                     {"date", utc_now()},
                     {"duration_s", fmt::format("{:.3f}", rep.seconds)},
                     {"events", fmt::format("{}", fmt::join(rep.events, " "))}};
  if (!opt.command.empty()) {
    std::string command = fmt::format("{}", fmt::join(opt.command, " "));
    std::replace(command.begin(), command.end(), '\n', ' ');  // metadata values are one line
    copy.properties.emplace_back("command", std::move(command));
  }
  if (rep.overrun || rep.dropped) copy.properties.emplace_back("kernel_lost_events", std::to_string(rep.overrun + rep.dropped));
  auto copied = copy_to_native(**reader, **writer, copy);
  if (!copied) return copied.error();
  rep.records = copied->records;
  return rep;
}

}  // namespace irqshape::trace
