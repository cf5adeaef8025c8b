// The per-interrupt path allocates nothing: this binary replaces the global allocator
// with one that counts, then drives the unit through every data-path feature.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>

#include "isu_test_support.h"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}

// The replacement operators pair malloc with free on purpose; GCC 12 flags the pairing
// at -O2 (-Wmismatched-new-delete) without seeing that both sides are replaced.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace irqshape::isu::testing {
namespace {

struct CountingSink final : VirtualInterruptSink {
  void inject(const VirtualInterrupt& vi) override { events += vi.count; }
  std::uint64_t events = 0;
};

TEST(NoAllocation, PerInterruptPathAllocatesNothing) {
  CountingSink sink;
  auto unit = std::make_unique<Isu>(sink);
  auto wr = [&](std::uint32_t o, std::uint32_t v) { unit->write32(o, v); };
  wr(HIST_CFG, 13);
  for (unsigned p = 0; p < kPatterns; ++p) {  // 64 patterns over 16 sources
    wr(PAT_SEL, p);
    wr(PAT_CTRL, pat_ctrl::Enable::mask | 3);
    for (unsigned k = 0; k < 3; ++k) {
      wr(pat_src(k), (p + k) % 16);
      wr(pat_max(k), 50'000);
    }
    wr(COMMIT, commit::kCommitPattern);
    wr(RULE_SEL, p);
    wr(RULE_COND, rule_cond::Enable::mask | (p % 2 ? rule_cond::kPattern : rule_cond::kRateAbove));
    wr(RULE_PARAM, p % 2 ? p : 50);
    wr(RULE_ACTION, p % 3 == 0 ? rule_action::Augment::mask : rule_action::Raise::mask);
    wr(COMMIT, commit::kCommitRule);
  }
  for (unsigned s = 0; s < 16; ++s) {
    wr(SRC_SEL, s);
    wr(SRC_CTRL, src_ctrl::Coalesce::mask | src_ctrl::StormGuard::mask | (s % 2 ? src_ctrl::Adaptive::mask : 0));
    wr(SRC_COAL_COUNT, 8);
    wr(SRC_COAL_TIME, 20'000);
    wr(SRC_STORM_LIMIT, 200);
    wr(SRC_PRIO, 0x30E0);
    wr(COMMIT, commit::kCommitSource);
  }
  wr(CTRL, ctrl::Enable::mask);
  ASSERT_EQ(unit->read32(ERR_STATUS), 0u);

  const std::uint64_t before = g_allocations.load();
  ASSERT_GT(before, 0u) << "the counting allocator is not installed";
  std::uint64_t t = 0, seed = 12345;
  constexpr int kInterrupts = 200'000;
  for (int i = 0; i < kInterrupts; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    t += (seed >> 33) % 3000;
    hw::InterruptMessage m;
    m.source = static_cast<std::uint32_t>((seed >> 20) % 16);
    m.vector = static_cast<std::uint8_t>(0x40 + m.source);
    m.destination = static_cast<std::uint32_t>((seed >> 40) % 4);
    unit->receive(m, t);
    if (i % 7 == 0) unit->advance(t + 100);
  }
  unit->advance(t + 1'000'000'000);
  EXPECT_EQ(g_allocations.load() - before, 0u);
  std::uint64_t in = 0;
  for (unsigned s = 0; s < 16; ++s) in += unit->telemetry(s).in;
  EXPECT_EQ(in, static_cast<std::uint64_t>(kInterrupts));
  EXPECT_EQ(sink.events, in) << "nothing dropped or held";
}

}  // namespace
}  // namespace irqshape::isu::testing
