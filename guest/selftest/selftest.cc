#include "selftest/selftest.h"

#include "kernel/console.h"

namespace guest::selftest {

bool run_all(const Context&) {
  Console out;
  out.w.str("SUMMARY passed=0 failed=0 tests=0\n");
  return true;
}

}  // namespace guest::selftest
