// Readers stream: memory stays bounded however large the input, and a pathological
// input (one enormous line) is an error after a bounded amount of reading.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <cstring>

#include "test_util.h"
#include "trace/stats.h"

namespace irqshape::trace {
namespace {

#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
constexpr std::uint64_t kStreamBytes = 256ull << 20;  // optimized builds: a quarter gigabyte
#else
constexpr std::uint64_t kStreamBytes = 24ull << 20;   // debug and sanitizer builds are ~10x slower
#endif

// Generates an ftrace text trace of about `total` bytes (whole lines) on the fly, like
// a pipe from a much larger file: nothing is held but one line.
class GeneratedTrace final : public Input {
 public:
  explicit GeneratedTrace(std::uint64_t total) : Input("<generated>"), total_(total) {}

  Result<std::size_t> read(std::span<char> buf) override {
    std::size_t n = 0;
    while (n < buf.size()) {
      if (pos_ == line_.size()) {
        if (produced_ >= total_) break;
        next_line();
      }
      const std::size_t k = std::min(buf.size() - n, line_.size() - pos_);
      std::memcpy(buf.data() + n, line_.data() + pos_, k);
      pos_ += k;
      n += k;
      produced_ += k;
    }
    return n;
  }
  [[nodiscard]] std::uint64_t lines() const { return lines_; }

 private:
  void next_line() {
    const std::uint64_t i = lines_++;
    const std::uint64_t ts = 1'000'000'000 + i * 2'500;
    const std::uint64_t sector = (i / 4 * 8) % (1u << 30);
    switch (i % 4) {
      case 0:
        line_ = fmt::format("             fio-1234    [000] .....  {}.{:09}: block_rq_issue: 254,0 RS 4096 () {} + 8 be,0,4 [fio]\n",
                            ts / 1'000'000'000, ts % 1'000'000'000, sector);
        break;
      case 1:
        line_ = fmt::format("          <idle>-0       [001] d.h1.  {}.{:09}: irq_handler_entry: irq=36 name=virtio1-req.0\n",
                            ts / 1'000'000'000, ts % 1'000'000'000);
        break;
      case 2:
        line_ = fmt::format("          <idle>-0       [001] d.h1.  {}.{:09}: irq_handler_exit: irq=36 ret=handled\n",
                            ts / 1'000'000'000, ts % 1'000'000'000);
        break;
      default:
        line_ = fmt::format("          <idle>-0       [001] ..s1.  {}.{:09}: block_rq_complete: 254,0 RS () {} + 8 be,0,4 [0]\n",
                            ts / 1'000'000'000, ts % 1'000'000'000, sector);
    }
    pos_ = 0;
  }

  std::uint64_t total_;
  std::uint64_t produced_ = 0;
  std::uint64_t lines_ = 0;
  std::string line_;
  std::size_t pos_ = 0;
};

long peak_rss_kb() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(Streaming, MemoryStaysBoundedForLargeTraces) {
  auto input = std::make_unique<GeneratedTrace>(kStreamBytes);
  auto* gen = input.get();
  auto reader = open_trace(std::move(input));
  ASSERT_TRUE(reader) << reader.message();
  const long before = peak_rss_kb();
  auto stats = compute_stats(**reader);
  ASSERT_TRUE(stats) << stats.message();
  const long growth_mb = (peak_rss_kb() - before) / 1024;
  EXPECT_EQ(stats->records, gen->lines());
  ASSERT_EQ(stats->block.size(), 1u);
  EXPECT_EQ(stats->block[0].depth_at_issue.at(1), stats->block[0].completed);
  std::printf("streamed %.0f MiB of text (%llu records); peak RSS grew by %ld MiB\n",
              static_cast<double>(kStreamBytes) / (1 << 20), static_cast<unsigned long long>(stats->records), growth_mb);
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(growth_mb, 32) << "the reader held on to what it read";
#endif
}

// One line of a gigabyte: the reader must refuse it after reading its limit, not
// buffer it.
class EndlessLine final : public Input {
 public:
  EndlessLine() : Input("<endless>") {}
  Result<std::size_t> read(std::span<char> buf) override {
    if (served_ == 0) {
      static const char kStart[] = "  <idle>-0 [000] 1.0: irq_handler_entry: irq=1 name=";
      const std::size_t n = std::min(buf.size(), sizeof kStart - 1);
      std::memcpy(buf.data(), kStart, n);
      served_ += n;
      return n;
    }
    if (served_ >= (1ull << 30)) return std::size_t{0};
    std::memset(buf.data(), 'x', buf.size());
    served_ += buf.size();
    return buf.size();
  }
  std::uint64_t served_ = 0;
};

TEST(Streaming, AHugeLineIsAnErrorNotAnAllocation) {
  auto input = std::make_unique<EndlessLine>();
  auto* endless = input.get();
  auto reader = open_trace(std::move(input), Format::ftrace_text);
  ASSERT_TRUE(reader);
  Record r;
  auto more = (*reader)->next(r);
  ASSERT_FALSE(more);
  EXPECT_EQ(more.message(), "<endless>: line 1: line longer than 65536 bytes");
  EXPECT_LT(endless->served_, 1u << 20);
}

TEST(Streaming, LoadTraceRefusesRatherThanTruncates) {
  std::string text;
  for (int i = 0; i < 10; ++i) text += fmt::format("  <idle>-0 [000] 1.{}: irq_handler_entry: irq=1 name=a\n", i);
  auto r = testing::open_string(text, "ten.txt");
  ASSERT_TRUE(r);
  auto t = read_all(**r, 9, "ten.txt");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.message(), "ten.txt: trace holds more than 9 records; stream it with open_trace() instead");
}

}  // namespace
}  // namespace irqshape::trace
