// Fatal errors: print one machine-readable line (PANIC cpu=N ...) and end the run through
// isa-debug-exit with the panic code, so the harness reports the reason.
#pragma once

#include <cstdint>

namespace guest {

[[noreturn]] void panic(const char* message);
[[noreturn]] void panic(const char* message, std::uint64_t value);

#define GUEST_ASSERT(cond) \
  do {                     \
    if (!(cond)) ::guest::panic("assertion failed: " #cond " at " __FILE__); \
  } while (0)

}  // namespace guest
