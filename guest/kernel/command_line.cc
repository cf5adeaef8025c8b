#include "kernel/command_line.h"

#include <cstdint>

#include "boot/start_info.h"

namespace guest {

namespace {
constexpr unsigned kMaxLength = 256;
char line[kMaxLength + 1] = {};

unsigned length_of(const char* s) {
  unsigned n = 0;
  while (s[n] != '\0') ++n;
  return n;
}
}  // namespace

void read_command_line() {
  const auto* info = reinterpret_cast<const HvmStartInfo*>(static_cast<std::uintptr_t>(boot_start_info));
  if (info == nullptr || info->magic != HvmStartInfo::kMagic || info->cmdline_paddr == 0) return;
  const auto* source = reinterpret_cast<const char*>(info->cmdline_paddr);
  for (unsigned i = 0; i < kMaxLength && source[i] != '\0'; ++i) line[i] = source[i];
}

const char* command_line() { return line; }

bool command_line_has(const char* option) {
  const unsigned n = length_of(option);
  for (const char* p = line; *p != '\0';) {
    while (*p == ' ') ++p;
    const char* end = p;
    while (*end != ' ' && *end != '\0') ++end;
    if (static_cast<unsigned>(end - p) == n && __builtin_memcmp(p, option, n) == 0) return true;
    p = end;
  }
  return false;
}

}  // namespace guest
