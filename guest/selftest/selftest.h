// The boot self-tests and their machine-readable report on the console:
//   PLAN tests=N
//   TEST <name> <key=value ...> ok|FAIL
//   ...
//   SUMMARY passed=P failed=F tests=N boot_ms=B kernel_ms=K
// tests/guest (the CTest harness) requires failed=0, P == N, every required test name,
// and QEMU's isa-debug-exit status for success.
#pragma once

#include <cstdint>

#include "acpi/acpi.h"
#include "kernel/interrupt_system.h"
#include "smp/smp.h"

namespace guest::selftest {

struct Context {
  const acpi::Platform& platform;
  const smp::StartResult& smp;
  const InterruptSystemInfo& interrupts;
  std::uint64_t tsc_per_ms;
};

bool run_all(const Context& context);

}  // namespace guest::selftest
