// The simulator against queueing theory.
//
// Closed loop, one requester (QD 1): each request cycles think -> service -> delivery
// and ISR, so throughput = 1 / (E[think] + E[service] + E[delivery + ISR]). With
// exponential think (30 us) and service (50 us) the cycle's standard deviation is
// sqrt(30^2 + 50^2) = 58 us; over 2 s (~24,000 cycles) the standard error of the mean
// cycle is 58 / sqrt(24000) = 0.37 us, 0.45 % of 81.6 us: the 2 % tolerance is over 4
// standard errors.
//
// Open loop: Poisson arrivals (lambda) into a single FIFO server with exponential
// service (mu) is M/M/1, mean response time 1 / (mu - lambda). Delivery and ISR costs
// are zero here, so the request latency the simulator measures is the sojourn time.
// At rho = 0.7 sojourn times are strongly correlated (relaxation time
// 1 / (mu (1 - sqrt(rho))^2) ~ 0.4 ms); 4 s hold ~10,000 relaxation times, which puts
// the standard error of the mean near 1 %: the tolerance is 4 %. The test also checks
// the M/M/1 sojourn distribution (exponential with rate mu - lambda) at its median.
#include <gtest/gtest.h>

#include <cmath>

#include "sim_test_support.h"

namespace irqshape::sim {
namespace {

using namespace testing;

SourceSpec disk(Issue issue, Dist service, unsigned servers = 0) {
  SourceSpec s = msi_source("disk", 0, Requests{.issue = std::move(issue), .service = service, .servers = servers});
  s.cls = SourceKind::block;
  return s;
}

double throughput(const RunResult& r) {
  return static_cast<double>(r.sources[0].requests_completed) / to_seconds(r.duration_ns);
}

TEST(Queueing, ClosedLoopQd1ThroughputMatchesTheCycleTime) {
  const Scenario sc =
      one_cpu({disk(ClosedLoop{1, Dist::exponential(30'000)}, Dist::exponential(50'000))}, 2 * kSec, /*busy=*/true);
  const RunResult r = run_ok(sc, "none");
  const double cycle_ns = 30'000 + 50'000 + (100 + 300 + 1'000 + 200);  // posting + dispatch + ISR + 1 event
  EXPECT_NEAR(throughput(r), 1e9 / cycle_ns, 0.02 * 1e9 / cycle_ns);
  // Every request saw the same delivery cost, so request latency = service + 1.6 us on average.
  EXPECT_NEAR(r.sources[0].request_latency.mean(), 50'000 + 1'600, 0.03 * 51'600);
}

TEST(Queueing, ClosedLoopThroughputPaysTheExitPathAndTheWakeup) {
  Scenario sc = one_cpu({disk(ClosedLoop{1, Dist::exponential(30'000)}, Dist::exponential(50'000))}, 2 * kSec);
  sc.costs.path = DeliveryPath::ExitBased;
  const RunResult r = run_ok(sc, "none");
  const double cycle_ns = 30'000 + 50'000 + (5'000 + 300 + 1'000 + 200 + 700);  // wake-up ... EOI exit
  EXPECT_NEAR(throughput(r), 1e9 / cycle_ns, 0.02 * 1e9 / cycle_ns);
}

TEST(Queueing, ClosedLoopQdNWithUnlimitedServersScalesLinearly) {
  const Scenario sc =
      one_cpu({disk(ClosedLoop{8, Dist::fixed(20'000)}, Dist::fixed(100'000))}, 1 * kSec, /*busy=*/true);
  const RunResult r = run_ok(sc, "none");
  // 8 independent requesters; ISRs may queue behind each other on the one vCPU, so the
  // cycle is at least 121.6 us: at most 8 / 121.6 us, and close to it (ISR load ~10 %).
  const double bound = 8 * 1e9 / 121'600;
  EXPECT_LE(throughput(r), bound * 1.001);
  EXPECT_GE(throughput(r), bound * 0.97);
}

TEST(Queueing, OpenLoopPoissonIntoOneServerIsMM1) {
  const double lambda = 70'000, mu = 100'000;  // per second: rho = 0.7
  Scenario sc = one_cpu({disk(OpenLoopRequests{Poisson{lambda}}, Dist::exponential(1e9 / mu), 1)}, 4 * kSec, true);
  sc.costs.posted_delivery_ns = 0;
  sc.costs.guest_dispatch_ns = 0;
  sc.sources[0].isr_base_ns = 0;
  sc.sources[0].isr_per_event_ns = 0;
  const RunResult r = run_ok(sc, "none");
  const LatencyHistogram& h = r.sources[0].request_latency;
  ASSERT_GT(h.count(), 200'000u);
  const double mean_ns = 1e9 / (mu - lambda);  // 33.3 us
  EXPECT_NEAR(h.mean(), mean_ns, 0.04 * mean_ns);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.5)), mean_ns * std::log(2.0), 0.05 * mean_ns * std::log(2.0));
  // Arrivals are the open-loop input: the rate is lambda whatever happens downstream.
  EXPECT_NEAR(static_cast<double>(r.sources[0].requests_issued) / 4.0, lambda, 0.01 * lambda);
}

}  // namespace
}  // namespace irqshape::sim
