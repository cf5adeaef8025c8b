// The engine's building blocks: event ordering, seeded streams, the latency histogram.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "sim/event_queue.h"
#include "sim/fast_math.h"
#include "sim/histogram.h"
#include "sim/random.h"

namespace irqshape::sim {
namespace {

TEST(EventQueue, PopsInTimeOrderAndEqualTimesInPushOrder) {
  EventQueue q;
  q.push(50, 1, 0, 0);
  q.push(10, 2, 0, 0);
  q.push(50, 3, 0, 0);
  q.push(10, 4, 0, 0);
  q.push(30, 5, 0, 0);
  std::vector<std::pair<Nanos, int>> got;
  while (!q.empty()) {
    const Event e = q.pop();
    got.emplace_back(e.time, e.kind);
  }
  const std::vector<std::pair<Nanos, int>> want{{10, 2}, {10, 4}, {30, 5}, {50, 1}, {50, 3}};
  EXPECT_EQ(got, want);
}

// Against a reference: a stable sort of everything pushed, with pushes and pops mixed
// the way a simulation mixes them (an event schedules others at or after its time).
TEST(EventQueue, MatchesAStableSortUnderInterleavedPushAndPop) {
  Rng rng(42);
  EventQueue q;
  std::vector<std::tuple<Nanos, std::uint64_t, std::uint32_t>> pending;  // (time, push#, id)
  std::uint64_t pushes = 0;
  std::uint32_t id = 0;
  auto push = [&](Nanos t) {
    q.push(t, 0, 0, id);
    pending.emplace_back(t, pushes++, id++);
  };
  for (int i = 0; i < 100; ++i) push(rng.next() % 1000);
  Nanos now = 0;
  for (int step = 0; step < 200'000; ++step) {
    ASSERT_FALSE(q.empty());
    const auto it = std::min_element(pending.begin(), pending.end());
    const Event e = q.pop();
    ASSERT_EQ(e.time, std::get<0>(*it));
    ASSERT_EQ(e.arg, std::get<2>(*it)) << "step " << step;
    ASSERT_GE(e.time, now);
    now = e.time;
    pending.erase(it);
    const int children = static_cast<int>(rng.next() % 3);  // 0..2, mean 1: the queue stays ~100
    for (int c = 0; c < children; ++c) push(now + (rng.next() % 4 == 0 ? 0 : rng.next() % 500));
    if (q.empty()) push(now + 1);
  }
}

TEST(Random, StreamsDependOnTheirNameNotOnOrder) {
  EXPECT_EQ(stream_seed(1, "src:nvme0q1"), stream_seed(1, "src:nvme0q1"));
  EXPECT_NE(stream_seed(1, "src:nvme0q1"), stream_seed(1, "src:nvme0q2"));
  EXPECT_NE(stream_seed(1, "src:nvme0q1"), stream_seed(2, "src:nvme0q1"));
  Rng a(stream_seed(9, "x")), b(stream_seed(9, "x"));
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next(), b.next());
}

TEST(Random, CounterStreamIsAPureFunctionOfStreamAndIndex) {
  const std::uint64_t s = stream_seed(3, "src:disk");
  const double u = CounterRng(s, 12345).uniform(0);
  for (int k = 0; k < 100; ++k) (void)CounterRng(s, static_cast<std::uint64_t>(k)).uniform(0);  // other draws in between
  EXPECT_EQ(CounterRng(s, 12345).uniform(0), u);
  EXPECT_NE(CounterRng(s, 12345).uniform(1), u);
  EXPECT_NE(CounterRng(s, 12346).uniform(0), u);
}

TEST(Random, UniformsAreInTheOpenUnitIntervalAndFlat) {
  Rng r(5);
  double sum = 0;
  const int n = 200'000;
  int low = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LE(u, 1.0);
    sum += u;
    low += u < 0.1;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(static_cast<double>(low) / n, 0.1, 0.005);
}

TEST(Random, DistributionsHaveTheirMeans) {
  Rng r(11);
  const int n = 400'000;
  for (const Dist& d : {Dist::fixed(5'000), Dist::exponential(10'000), Dist::lognormal(80'000, 0.5),
                        Dist::uniform(20'000, 0.5)}) {
    double sum = 0, sq = 0;
    for (int i = 0; i < n; ++i) {
      const double x = static_cast<double>(d.sample_ns(r));
      sum += x;
      sq += x * x;
    }
    const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    EXPECT_NEAR(mean, d.mean_ns, 4 * sd / std::sqrt(n) + 1) << static_cast<int>(d.kind);
    if (d.kind == Dist::Kind::Exponential) {
      EXPECT_NEAR(sd, d.mean_ns, 0.01 * d.mean_ns);
    }
  }
}

TEST(FastMath, AgreesWithTheCLibrary) {
  Rng r(3);
  for (int i = 0; i < 200'000; ++i) {
    const double u = r.uniform();
    ASSERT_NEAR(fastmath::log(u), std::log(u), 1e-12 * std::abs(std::log(u)) + 1e-15) << u;
    const double big = u * 1e12 + 1e-3;
    ASSERT_NEAR(fastmath::log(big), std::log(big), 1e-12 * std::abs(std::log(big))) << big;
    const double x = (u - 0.5) * 60;
    ASSERT_NEAR(fastmath::exp(x), std::exp(x), 1e-12 * std::exp(x)) << x;
    const double t = (u - 0.5) * 8;
    ASSERT_NEAR(fastmath::cos_turns(t), std::cos(2 * 3.141592653589793 * t), 1e-12) << t;
  }
  EXPECT_EQ(fastmath::log(1.0), 0.0);
  EXPECT_NEAR(fastmath::cos_turns(0.25), 0.0, 1e-14);
  EXPECT_EQ(fastmath::cos_turns(1.0), 1.0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v = 0; v < 256; ++v) h.record(v);
  for (std::uint64_t v = 0; v < 256; ++v) EXPECT_EQ(LatencyHistogram::midpoint(LatencyHistogram::index(v)), v);
  EXPECT_EQ(h.quantile(0.5), 127u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 255u);
}

TEST(LatencyHistogram, BucketsTileTheRangeAndRespectTheErrorBound) {
  unsigned prev = 0;
  Rng r(1);
  for (int i = 0; i < 200'000; ++i) {
    const std::uint64_t v = r.next() >> (20 + r.next() % 44);  // all magnitudes up to 2^44
    const unsigned idx = LatencyHistogram::index(v);
    ASSERT_LT(idx, LatencyHistogram::kBuckets);
    ASSERT_LE(LatencyHistogram::lower_bound(idx), v);
    if (idx + 1 < LatencyHistogram::kBuckets) {
      ASSERT_LT(v, LatencyHistogram::lower_bound(idx + 1)) << v;
    }
    const double mid = static_cast<double>(LatencyHistogram::midpoint(idx));
    ASSERT_LE(std::abs(mid - static_cast<double>(v)), LatencyHistogram::kRelativeError * static_cast<double>(v) + 0.5) << v;
  }
  for (unsigned i = 1; i < LatencyHistogram::kBuckets; ++i) {
    ASSERT_GT(LatencyHistogram::lower_bound(i), LatencyHistogram::lower_bound(i - 1));
    ASSERT_EQ(LatencyHistogram::index(LatencyHistogram::lower_bound(i)), i);
    prev = i;
  }
  EXPECT_EQ(prev, LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogram, QuantilesMatchSortedDataWithinTheBound) {
  Rng r(7);
  std::vector<std::uint64_t> v;
  LatencyHistogram h;
  for (int i = 0; i < 100'000; ++i) {
    const auto x = Dist::lognormal(50'000, 1.0).sample_ns(r);
    v.push_back(x);
    h.record(x);
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999}) {
    const auto exact = static_cast<double>(v[static_cast<std::size_t>(std::ceil(q * v.size())) - 1]);
    EXPECT_NEAR(static_cast<double>(h.quantile(q)), exact, exact * LatencyHistogram::kRelativeError + 1) << q;
  }
  EXPECT_EQ(h.quantile(1.0), v.back());
  EXPECT_EQ(h.quantile(0.0), v.front());
  LatencyHistogram a, b;
  for (std::size_t i = 0; i < v.size(); ++i) (i % 2 ? a : b).record(v[i]);
  a.merge(b);
  EXPECT_EQ(a.count(), h.count());
  EXPECT_EQ(a.quantile(0.99), h.quantile(0.99));
  EXPECT_DOUBLE_EQ(a.mean(), h.mean());
}

}  // namespace
}  // namespace irqshape::sim
