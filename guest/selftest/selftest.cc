#include "selftest/selftest.h"

#include "kernel/console.h"
#include "selftest/fixture.h"

namespace guest::selftest {

namespace {

struct Group {
  const char* name;
  void (*run)(Fixture&);
  unsigned (*lines)(unsigned cpus);
};

constexpr Group kGroups[] = {
    {"platform", platform_tests, platform_test_lines},
    {"vectors", vector_tests, vector_test_lines},
    {"affinity", affinity_tests, affinity_test_lines},
    {"uart", uart_tests, uart_test_lines},
    {"move", move_tests, move_test_lines},
    {"connect", connect_tests, connect_test_lines},
    {"shared", shared_line_tests, shared_line_test_lines},
    {"counters", counter_tests, counter_test_lines},
};

}  // namespace

bool run_all(const Context& context) {
  static Fixture f(context);
  f.cpus = context.smp.online;
  discover_devices(f);
  unsigned planned = 0;
  for (const Group& g : kGroups) planned += g.lines(f.cpus);
  Report& r = report();
  r.plan(planned);
  for (const Group& g : kGroups) {
    const unsigned before = r.recorded();
    const std::uint64_t start = clock::now_ns();
    g.run(f);
    {
      Console out;
      out.w.str("TIME group=").str(g.name).str(" ms=").dec((clock::now_ns() - start) / clock::kNsPerMs).chr('\n');
    }
    // A group that recorded fewer lines than it promised fails visibly.
    for (unsigned n = r.recorded() - before; n < g.lines(f.cpus); ++n) r.fail(g.name, "missing-test-line");
  }
  const std::uint64_t kernel_ms = clock::now_ns() / clock::kNsPerMs;
  const std::uint64_t boot_ms = x86::rdtsc() / context.tsc_per_ms;
  Console out;
  out.w.str("SUMMARY passed=").dec(r.passed()).str(" failed=").dec(r.failed()).str(" tests=").dec(r.recorded());
  out.w.str(" planned=").dec(planned).str(" cpus=").dec(f.cpus).str(" boot_ms=").dec(boot_ms);
  out.w.str(" kernel_ms=").dec(kernel_ms).chr('\n');
  return r.failed() == 0 && r.recorded() == planned;
}

}  // namespace guest::selftest
