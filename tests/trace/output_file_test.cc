// Writing outputs safely (output_file.h), through every writer that uses it: native,
// ftrace text, trace-cmd .dat. Symbolic links are followed and kept, devices and FIFOs
// are written in place (never replaced by a regular file), and no failure leaves a
// temporary file behind. Device nodes are made in a temporary directory (mknod needs
// root; those tests skip without it): the tests never touch /dev.
#include "trace/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>

#include "test_util.h"
#include "trace/dat_writer.h"
#include "trace/native.h"
#include "trace/text_writer.h"

namespace irqshape::trace {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const char* kTwoRecords =
    "  <idle>-0 [001] 1.000000100: irq_handler_entry: irq=36 name=virtio1-req.0\n"
    "  <idle>-0 [001] 1.000000900: irq_handler_exit: irq=36 ret=handled\n";

// Every name in `dir` (to see that no temporary file is left).
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Makes a character device node like /dev/null (1,3) or /dev/full (1,7) at `path`.
// Returns why it could not (the caller skips), or an empty string.
std::string make_char_device(const std::string& path, unsigned minor) {
  if (::geteuid() != 0) return "mknod needs root to make a test device node; running as uid " + std::to_string(::geteuid());
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, minor)) != 0) return "mknod " + path + ": " + std::strerror(errno);
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return "cannot open the test device node " + path + ": " + std::strerror(errno);
  ::close(fd);
  return "";
}

bool is_char_device(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

std::vector<std::vector<std::vector<std::uint8_t>>> one_empty_cpu() { return {std::vector<std::vector<std::uint8_t>>{}}; }

TEST(OutputFile, RegularFileIsReplacedThroughATemporaryFile) {
  TempDir dir;
  testing::write_file(dir.file("in.txt"), kTwoRecords);
  testing::write_file(dir.file("out.irqt"), "old");
  auto writer = NativeWriter::create(dir.file("out.irqt"));
  ASSERT_TRUE(writer) << writer.message();
  // While writing, the old file is untouched and the new one is "<out>.partial".
  EXPECT_EQ(testing::read_file(dir.file("out.irqt")), "old");
  EXPECT_TRUE(fs::exists(dir.file("out.irqt.partial")));
  auto reader = open_trace(dir.file("in.txt"));
  ASSERT_TRUE(reader) << reader.message();
  auto r = copy_to_native(**reader, **writer);
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"in.txt", "out.irqt"}));
  auto t = load_trace(dir.file("out.irqt"));
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->records.size(), 2u);
}

TEST(OutputFile, SymlinkIsFollowedAndKept) {
  TempDir dir;
  fs::create_directory(dir.path() / "real");
  testing::write_file(dir.file("in.txt"), kTwoRecords);
  testing::write_file(dir.file("real/t.irqt"), "old");
  fs::create_symlink("real/t.irqt", dir.path() / "link.irqt");  // relative, as `ln -s` makes them
  fs::create_symlink(dir.path() / "link.irqt", dir.path() / "link2.irqt");  // a chain of two

  auto out = OutputFile::open(dir.file("link2.irqt"));
  ASSERT_TRUE(out) << out.message();
  EXPECT_EQ((*out)->target().resolved, (dir.path() / "real/t.irqt").string());
  // The temporary file is next to the target, so the rename stays in one directory.
  EXPECT_EQ((*out)->writing(), (dir.path() / "real/t.irqt.partial").string());
  out->reset();  // abandoned: nothing left
  EXPECT_EQ(names_in(dir.path() / "real"), std::vector<std::string>{"t.irqt"});

  auto r = convert_to_native(dir.file("in.txt"), dir.file("link2.irqt"));
  ASSERT_TRUE(r) << r.message();
  EXPECT_TRUE(fs::is_symlink(dir.path() / "link.irqt"));
  EXPECT_TRUE(fs::is_symlink(dir.path() / "link2.irqt"));
  EXPECT_EQ(fs::read_symlink(dir.path() / "link.irqt"), fs::path("real/t.irqt"));
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"in.txt", "link.irqt", "link2.irqt", "real"}));
  EXPECT_EQ(names_in(dir.path() / "real"), std::vector<std::string>{"t.irqt"});
  auto t = load_trace(dir.file("real/t.irqt"));
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->records.size(), 2u);

  // ftrace text through the link too.
  auto reader = open_trace(dir.file("in.txt"));
  ASSERT_TRUE(reader) << reader.message();
  fs::create_symlink("real/t.txt", dir.path() / "link.txt");  // dangling: the target is created
  auto text = copy_to_ftrace_text(**reader, dir.file("link.txt"));
  ASSERT_TRUE(text) << text.message();
  EXPECT_TRUE(fs::is_symlink(dir.path() / "link.txt"));
  EXPECT_NE(testing::read_file(dir.file("real/t.txt")).find("irq_handler_exit: irq=36 ret=handled"), std::string::npos);
  EXPECT_EQ(names_in(dir.path() / "real"), (std::vector<std::string>{"t.irqt", "t.txt"}));
}

TEST(OutputFile, SymlinkLoopIsAnError) {
  TempDir dir;
  fs::create_symlink("b", dir.path() / "a");
  fs::create_symlink("a", dir.path() / "b");
  auto out = OutputFile::open(dir.file("a"));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.message(), dir.file("a") + ": too many levels of symbolic links");
}

TEST(OutputFile, FifoIsWrittenInPlace) {
  TempDir dir;
  testing::write_file(dir.file("in.txt"), kTwoRecords);
  const std::string fifo = dir.file("out.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  auto drained = std::async(std::launch::async, [&] { return testing::read_file(fifo); });
  auto reader = open_trace(dir.file("in.txt"));
  ASSERT_TRUE(reader) << reader.message();
  auto r = copy_to_ftrace_text(**reader, fifo);
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->records, 2u);
  EXPECT_NE(drained.get().find("irq_handler_entry: irq=36 name=virtio1-req.0"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"in.txt", "out.fifo"}));
}

TEST(OutputFile, CharacterDeviceIsWrittenInPlace) {
  TempDir dir;
  const std::string null = dir.file("null");
  if (auto why = make_char_device(null, 3); !why.empty()) GTEST_SKIP() << why;
  fs::create_symlink("null", dir.path() / "null-link");
  testing::write_file(dir.file("in.txt"), kTwoRecords);

  // Native, ftrace text and .dat, each to the node and through a link to it.
  for (const std::string& out : {null, dir.file("null-link")}) {
    auto r = convert_to_native(dir.file("in.txt"), out);
    ASSERT_TRUE(r) << r.message();
    auto reader = open_trace(dir.file("in.txt"));
    ASSERT_TRUE(reader) << reader.message();
    auto text = copy_to_ftrace_text(**reader, out);
    ASSERT_TRUE(text) << text.message();
    DatContents dat = testing::make_dat_contents(dir, one_empty_cpu());
    auto d = write_dat(dat, out);
    ASSERT_TRUE(d) << d.message();
    EXPECT_TRUE(is_char_device(null)) << out;
    EXPECT_TRUE(fs::is_symlink(dir.path() / "null-link"));
  }
  for (const auto& name : names_in(dir.path())) EXPECT_EQ(name.find(".partial"), std::string::npos) << name;
}

TEST(OutputFile, AFullDeviceIsAWriteErrorAndStaysADevice) {
  TempDir dir;
  const std::string full = dir.file("full");  // like /dev/full: every write fails with ENOSPC
  if (auto why = make_char_device(full, 7); !why.empty()) GTEST_SKIP() << why;
  testing::write_file(dir.file("in.txt"), kTwoRecords);
  auto r = convert_to_native(dir.file("in.txt"), full);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), full + ": write failed: No space left on device");
  EXPECT_TRUE(is_char_device(full));
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"full", "in.txt"}));
}

TEST(OutputFile, DirectoryIsRefusedBeforeAnythingIsWritten) {
  TempDir dir;
  fs::create_directory(dir.path() / "outdir");
  testing::write_file(dir.file("in.txt"), kTwoRecords);
  auto r = convert_to_native(dir.file("in.txt"), dir.file("outdir"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), dir.file("outdir") + ": is a directory");
  auto reader = open_trace(dir.file("in.txt"));
  ASSERT_TRUE(reader) << reader.message();
  auto text = copy_to_ftrace_text(**reader, dir.file("outdir"));
  ASSERT_FALSE(text);
  EXPECT_EQ(text.message(), dir.file("outdir") + ": is a directory");
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"in.txt", "outdir"}));
}

TEST(OutputFile, MissingDirectoryIsRefused) {
  TempDir dir;
  auto t = check_output_path(dir.file("nowhere/out.irqt"));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.message(), dir.file("nowhere/out.irqt") + ": the directory " + dir.file("nowhere") + " does not exist");
}

TEST(OutputFile, AFailedRenameLeavesNoTemporaryFile) {
  TempDir dir;
  auto out = OutputFile::open(dir.file("out"));
  ASSERT_TRUE(out) << out.message();
  std::fputs("data", (*out)->file());
  // The target turns into a non-empty directory while being written: rename() fails.
  fs::create_directories(dir.path() / "out" / "x");
  auto s = (*out)->commit();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), dir.file("out") + ": cannot rename " + dir.file("out.partial") + " into place: Is a directory");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out"});
  EXPECT_FALSE((*out)->commit());  // still an error, not a success
}

TEST(OutputFile, AnAbandonedWriterLeavesNothing) {
  TempDir dir;
  {
    auto writer = NativeWriter::create(dir.file("out.irqt"));
    ASSERT_TRUE(writer) << writer.message();
    ASSERT_TRUE((*writer)->define_source(Source{36, "virtio1-req.0", SourceKind::block}));
  }
  {
    DatContents dat = testing::make_dat_contents(dir, one_empty_cpu());
    dat.cpu_page_files = {dir.file("no-such-pages")};  // fails after the output was opened
    auto d = write_dat(dat, dir.file("out.dat"));
    ASSERT_FALSE(d);
  }
  for (const auto& name : names_in(dir.path())) {
    EXPECT_EQ(name.find("out."), std::string::npos) << name;
  }
}

TEST(OutputFile, AStaleTemporaryFileIsReplacedNotFollowed) {
  TempDir dir;
  testing::write_file(dir.file("victim"), "keep");
  fs::create_symlink("victim", dir.path() / "out.partial");  // a link planted where the temporary file goes
  auto out = OutputFile::open(dir.file("out"));
  ASSERT_TRUE(out) << out.message();
  std::fputs("new", (*out)->file());
  ASSERT_TRUE((*out)->commit());
  EXPECT_EQ(testing::read_file(dir.file("victim")), "keep");
  EXPECT_EQ(testing::read_file(dir.file("out")), "new");
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"out", "victim"}));
}

}  // namespace
}  // namespace irqshape::trace
