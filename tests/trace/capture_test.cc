// Capture on the real kernel. Needs root and tracefs; without them each test says so
// and skips (never fails, never pretends).
#include "trace/capture.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "test_util.h"
#include "tracecmd_oracle.h"
#include "trace/stats.h"

namespace irqshape::trace {
namespace {

using testing::TempDir;

void require_capture() {
  if (::geteuid() != 0) GTEST_SKIP() << "capture needs root; running as uid " << ::geteuid();
  if (auto s = check_capture_prerequisites(true); !s) GTEST_SKIP() << s.message();
}

std::vector<std::string> disk_load(const TempDir& dir) {
  // Direct, synchronous writes: each one a block request and a completion interrupt.
  return {"dd", "if=/dev/zero", "of=" + dir.file("load"), "bs=4k", "count=64", "oflag=direct,dsync", "status=none"};
}

TEST(Capture, WritesADatThatLibtracecmdReadsToo) {
  require_capture();
  if (IsSkipped()) return;  // GTEST_SKIP in a helper only leaves the helper
  TempDir dir;
  CaptureOptions opt;
  opt.output = dir.file("c.dat");
  opt.command = disk_load(dir);
  opt.buffer_kb = 1024;
  auto rep = capture(opt);
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_EQ(rep->command_status, 0);
  EXPECT_GT(rep->pages, 0u);
  auto t = load_trace(opt.output);
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->meta.format, Format::trace_cmd_dat);
  std::size_t issues = 0, entries = 0;
  for (const auto& r : t->records) {
    issues += r.type == RecordType::block_issue;
    entries += r.type == RecordType::irq_entry;
  }
  EXPECT_GE(issues, 64u);
  EXPECT_GT(entries, 0u);
  // Same events, same order, as Debian's libtracecmd reads them.
  char* dump = irqshape_oracle_dump(opt.output.c_str());
  ASSERT_NE(dump, nullptr);
  std::size_t oracle_entries = 0;
  for (const char* p = dump; (p = std::strstr(p, " irq_handler_entry ")) != nullptr; ++p) ++oracle_entries;
  std::free(dump);
  EXPECT_EQ(oracle_entries, entries);
  // The instance is gone.
  EXPECT_FALSE(std::filesystem::exists(fmt::format("/sys/kernel/tracing/instances/irqshape-{}", ::getpid())));
  // No temporary files left next to the output.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 2u);  // c.dat and the dd output
}

TEST(Capture, WritesNativeWithSourceKindsAndMetadata) {
  require_capture();
  if (IsSkipped()) return;  // GTEST_SKIP in a helper only leaves the helper
  TempDir dir;
  CaptureOptions opt;
  opt.output = dir.file("c.irqt");
  opt.command = disk_load(dir);
  opt.buffer_kb = 1024;
  auto rep = capture(opt);
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_GT(rep->records, 0u);
  auto r = open_trace(opt.output);
  ASSERT_TRUE(r) << r.message();
  auto s = compute_stats(**r);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->meta.format, Format::native);
  bool has_command = false;
  for (const auto& [k, v] : s->meta.properties) has_command |= k == "command" && v.starts_with("dd if=/dev/zero");
  EXPECT_TRUE(has_command);
  ASSERT_FALSE(s->block.empty());
  std::uint64_t writes = 0;
  for (const auto& b : s->block) writes += b.writes;
  EXPECT_GE(writes, 64u);
}

TEST(Capture, ReportsACommandThatCannotRun) {
  require_capture();
  if (IsSkipped()) return;  // GTEST_SKIP in a helper only leaves the helper
  TempDir dir;
  CaptureOptions opt;
  opt.output = dir.file("c.dat");
  opt.command = {"/nonexistent/irqshape-test-command"};
  auto rep = capture(opt);
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.message(), "cannot run '/nonexistent/irqshape-test-command': No such file or directory");
  EXPECT_FALSE(std::filesystem::exists(opt.output));
}

// A command that fails on its own is told apart from one capture stops when --duration
// runs out (the CLI exits with the first's status, not the second's).
TEST(Capture, TellsACommandThatFailedFromOneItStopped) {
  require_capture();
  if (IsSkipped()) return;  // GTEST_SKIP in a helper only leaves the helper
  TempDir dir;
  CaptureOptions opt;
  opt.output = dir.file("f.irqt");
  opt.buffer_kb = 256;
  opt.command = {"false"};
  auto failed = capture(opt);
  ASSERT_TRUE(failed) << failed.message();
  EXPECT_TRUE(WIFEXITED(failed->command_status));
  EXPECT_EQ(WEXITSTATUS(failed->command_status), 1);
  EXPECT_FALSE(failed->command_stopped);
  EXPECT_TRUE(std::filesystem::exists(opt.output));

  opt.output = dir.file("s.irqt");
  opt.command = {"sleep", "30"};
  opt.duration_ns = 200'000'000;
  std::vector<std::string> log;
  opt.log = [&](const std::string& m) { log.push_back(m); };
  auto stopped = capture(opt);
  ASSERT_TRUE(stopped) << stopped.message();
  EXPECT_TRUE(WIFSIGNALED(stopped->command_status));
  EXPECT_TRUE(stopped->command_stopped);
  EXPECT_LT(stopped->seconds, 5.0);

  // Without a command, the progress line names the duration as the caller spelled it.
  opt.output = dir.file("d.irqt");
  opt.command.clear();
  opt.duration_text = "200ms";
  log.clear();
  auto timed = capture(opt);
  ASSERT_TRUE(timed) << timed.message();
  EXPECT_NE(std::find(log.begin(), log.end(), "capturing for 200ms"), log.end());
  EXPECT_EQ(timed->command_status, -1);
}

// The output path is checked before anything is recorded (and without needing root):
// a capture must not run a whole workload only to fail at the end.
TEST(Capture, RefusesAnUnwritableOutputBeforeRecording) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "outdir");
  CaptureOptions opt;
  opt.command = {"touch", dir.file("ran")};
  opt.output = dir.file("outdir");
  auto rep = capture(opt);
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.message(), dir.file("outdir") + ": is a directory");
  opt.output = dir.file("missing/c.irqt");
  rep = capture(opt);
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.message(), dir.file("missing/c.irqt") + ": the directory " + dir.file("missing") + " does not exist");
  opt.output = "-";
  rep = capture(opt);
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.message(), "the output must be a file, not standard output ('-'); /dev/stdout works");
  EXPECT_FALSE(std::filesystem::exists("-"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("ran")));  // the command never ran
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);  // outdir
}

// -o to a device (as `-o /dev/null` would) writes through it: the node stays a device,
// and the scratch files go to the temporary directory, not next to the node. A link to
// the output is followed and kept.
TEST(Capture, ADeviceOrLinkOutputStaysWhatItIs) {
  require_capture();
  if (IsSkipped()) return;  // GTEST_SKIP in a helper only leaves the helper
  TempDir dir;
  const std::string node = dir.file("null");
  if (::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) GTEST_SKIP() << "mknod: " << std::strerror(errno);
  CaptureOptions opt;
  opt.command = {"true"};
  opt.buffer_kb = 256;
  opt.output = node;
  auto rep = capture(opt);
  ASSERT_TRUE(rep) << rep.message();
  struct stat st {};
  ASSERT_EQ(::lstat(node.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path())) {
    EXPECT_FALSE(e.path().filename().string().starts_with(fmt::format("irqshape-capture-{}.", ::getpid()))) << e.path();
  }

  std::filesystem::create_directory(dir.path() / "real");
  std::filesystem::create_symlink("real/c.dat", dir.path() / "link.dat");
  opt.output = dir.file("link.dat");
  rep = capture(opt);
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_TRUE(std::filesystem::is_symlink(dir.path() / "link.dat"));
  auto t = load_trace(dir.file("real/c.dat"));
  ASSERT_TRUE(t) << t.message();
  files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path() / "real")) ++files;
  EXPECT_EQ(files, 1u);  // c.dat: no per-CPU scratch files or .partial left
}

TEST(Capture, WithoutRootSaysWhatIsMissing) {
  auto check_as_nobody = []() -> std::string {
    if (::geteuid() != 0) {
      auto s = check_capture_prerequisites(false);
      return s ? "" : s.message();
    }
    int fds[2];
    if (::pipe(fds) != 0) return "pipe failed";
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
      auto s = check_capture_prerequisites(false);
      const std::string m = s ? "" : s.message();
      [[maybe_unused]] auto n = ::write(fds[1], m.data(), m.size());
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string m;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) m.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return m;
  };
  EXPECT_EQ(check_as_nobody(),
            "capture needs root: only root may control tracefs. Run it as root, e.g. `sudo irqshape capture ...`");
}

}  // namespace
}  // namespace irqshape::trace
