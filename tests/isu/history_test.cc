// The history ring: capacity by register, wrap-around, the index/window viewer, freeze.
#include "isu_test_support.h"

namespace irqshape::isu::testing {
namespace {

class History : public IsuFixture {
 protected:
  struct Seen {
    bool valid;
    std::uint64_t time;
    std::uint32_t source, vector, flags, seq;
  };
  Seen view(std::uint32_t seq) {
    wr(HIST_INDEX, seq);
    const std::uint32_t e = rd(HIST_ENTRY);
    return Seen{(hist_entry::Flags::get(e) & hist_flag::kValid) != 0,
                rd(HIST_TS_LO) | (std::uint64_t{rd(HIST_TS_HI)} << 32), hist_entry::Source::get(e),
                hist_entry::Vector::get(e), hist_entry::Flags::get(e), rd(HIST_SEQ)};
  }
  std::uint64_t count() { return rd(HIST_COUNT_LO) | (std::uint64_t{rd(HIST_COUNT_HI)} << 32); }
};

TEST_F(History, RecordsSourceVectorTimeAndOutcome) {
  enable();
  fire(7, 1000, 0x51);
  fire(9, 2000, 0x61);
  EXPECT_EQ(count(), 2u);
  const Seen a = view(0), b = view(1);
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.time, 1000u);
  EXPECT_EQ(a.source, 7u);
  EXPECT_EQ(a.vector, 0x51u);
  EXPECT_EQ(a.flags & hist_flag::kFlushed, hist_flag::kFlushed);
  EXPECT_EQ(b.source, 9u);
  EXPECT_EQ(b.seq, 1u);
  EXPECT_FALSE(view(2).valid) << "not written yet";
}

TEST_F(History, EveryCapacityFrom256To8192WrapsAround) {
  for (std::uint32_t log2 = kHistoryLog2Min; log2 <= kHistoryLog2Max; ++log2) {
    wr(CTRL, 0);
    wr(HIST_CFG, log2);
    ASSERT_EQ(rd(ERR_STATUS), 0u);
    EXPECT_EQ(count(), 0u) << "resizing clears the ring";
    enable();
    const std::uint32_t cap = 1u << log2;
    const std::uint32_t n = cap + cap / 2 + 3;
    for (std::uint32_t i = 0; i < n; ++i) fire(i % 200, 1'000'000ull * log2 + i, 0x40);
    EXPECT_EQ(count(), n);
    EXPECT_FALSE(view(n - cap - 1).valid) << "overwritten, capacity " << cap;
    const Seen oldest = view(n - cap);
    ASSERT_TRUE(oldest.valid) << "capacity " << cap;
    EXPECT_EQ(oldest.source, (n - cap) % 200);
    EXPECT_EQ(oldest.time, 1'000'000ull * log2 + (n - cap));
    const Seen newest = view(n - 1);
    ASSERT_TRUE(newest.valid);
    EXPECT_EQ(newest.time, 1'000'000ull * log2 + n - 1);
    std::uint32_t visited = 0;
    unit->history().for_each([&](const HistoryEntry&) { ++visited; });
    EXPECT_EQ(visited, cap);
  }
}

TEST_F(History, ViewIsLatchedWhenTheIndexIsWritten) {
  enable();
  fire(3, 100);
  wr(HIST_INDEX, 0);
  wr(CTRL, ctrl::Enable::mask);  // unrelated register traffic
  for (int i = 0; i < 300; ++i) fire(4, 200 + i);  // overwrites entry 0 in a 256 ring
  EXPECT_EQ(hist_entry::Source::get(rd(HIST_ENTRY)), 3u);
  EXPECT_EQ(rd(HIST_TS_LO), 100u);
}

TEST_F(History, FreezeStopsRecordingButNotShaping) {
  enable();
  fire(1, 10);
  wr(CTRL, ctrl::Enable::mask | ctrl::HistoryFreeze::mask);
  EXPECT_TRUE(status::HistoryFrozen::test(rd(STATUS)));
  fire(1, 20);
  fire(1, 30);
  EXPECT_EQ(count(), 1u);
  EXPECT_EQ(sink.out.size(), 3u);
  commit(commit::kClearHistory);
  EXPECT_EQ(count(), 0u);
}

TEST_F(History, DisabledUnitRecordsNothing) {
  fire(1, 10);
  EXPECT_EQ(count(), 0u);
  EXPECT_EQ(sink.out.size(), 1u);
}

TEST_F(History, FindRejectsOverwrittenAndFutureEntries) {
  HistoryRing ring;
  ring.configure(8);
  for (std::uint64_t i = 0; i < 300; ++i) ring.push(i, 1, 0x40, 0);
  EXPECT_EQ(ring.find(299)->time, 299u);
  EXPECT_EQ(ring.find(44)->time, 44u) << "the oldest of 256";
  EXPECT_EQ(ring.find(43), nullptr) << "overwritten";
  EXPECT_EQ(ring.find(300), nullptr) << "not written yet";
  EXPECT_EQ(ring.find(0xFFFF'FFFF), nullptr);
}

}  // namespace
}  // namespace irqshape::isu::testing
