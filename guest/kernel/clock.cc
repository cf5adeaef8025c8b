#include "kernel/clock.h"

namespace guest::clock {

void delay_ns(std::uint64_t ns) {
  const std::uint64_t start = now_ns();
  while (now_ns() - start < ns) x86::pause();
}

void sleep_ns(std::uint64_t ns) {
  const std::uint64_t end = now_ns() + ns;
  (void)wait_until([&] { return now_ns() >= end; }, ns);
}

}  // namespace guest::clock
