#include "sim/runner.h"

#include <atomic>
#include <thread>

namespace irqshape::sim {

void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  if (threads > n) threads = static_cast<unsigned>(n);
  if (threads <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
    });
  }
  for (std::thread& t : pool) t.join();
}

Result<Comparison> compare_policies(const Scenario& scenario, const std::vector<PolicySpec>& specs,
                                    const CompareOptions& options, const PolicyFactory& factory) {
  if (Status st = scenario.validate(); !st) return st.error();
  Comparison c;
  std::vector<std::unique_ptr<Policy>> policies;
  auto is_reference = [](const PolicySpec& s) { return s.name == "none" && s.params.empty() && s.config_file.empty(); };
  bool have_none = false;
  for (const PolicySpec& s : specs) have_none = have_none || is_reference(s);
  std::vector<PolicySpec> all;
  if (!have_none) all.push_back(PolicySpec{"none", {}, {}});
  all.insert(all.end(), specs.begin(), specs.end());
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto p = factory(all[i]);
    if (!p) return p.error();
    policies.push_back(std::move(*p));
    PolicyRun run;
    run.spec = all[i];
    run.reference_only = !have_none && i == 0;
    if (c.reference < 0 && is_reference(all[i])) c.reference = static_cast<int>(i);
    if (options.trace) run.trace = std::make_unique<TraceRecorder>(*options.trace);
    c.runs.push_back(std::move(run));
  }
  std::vector<std::optional<Error>> errors(all.size());
  parallel_for(all.size(), options.threads, [&](std::size_t i) {
    RunOptions ro;
    ro.recorder = c.runs[i].trace.get();
    ro.drain_limit_ns = options.drain_limit_ns;
    auto r = simulate(scenario, *policies[i], ro);
    if (!r) {
      errors[i] = r.error();
      return;
    }
    c.runs[i].result = std::move(*r);
    c.runs[i].result.spec = c.runs[i].spec.to_string();
  });
  for (auto& e : errors)
    if (e) return *e;
  return c;
}

}  // namespace irqshape::sim
