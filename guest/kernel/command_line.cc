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

bool command_line_number(const char* prefix, std::uint32_t& value) {
  const unsigned n = length_of(prefix);
  for (const char* p = line; *p != '\0';) {
    while (*p == ' ') ++p;
    const char* end = p;
    while (*end != ' ' && *end != '\0') ++end;
    if (static_cast<unsigned>(end - p) > n && __builtin_memcmp(p, prefix, n) == 0) {
      const char* digits = p + n;
      std::uint64_t base = 10;
      if (end - digits > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) base = 16, digits += 2;
      std::uint64_t v = 0;
      for (const char* d = digits; d != end; ++d) {
        const char c = *d;
        std::uint64_t digit = 0;
        if (c >= '0' && c <= '9') {
          digit = static_cast<std::uint64_t>(c - '0');
        } else if (base == 16 && c >= 'a' && c <= 'f') {
          digit = static_cast<std::uint64_t>(c - 'a' + 10);
        } else if (base == 16 && c >= 'A' && c <= 'F') {
          digit = static_cast<std::uint64_t>(c - 'A' + 10);
        } else {
          return false;
        }
        if (digit >= base) return false;
        v = v * base + digit;
        if (v > 0xFFFF'FFFFu) return false;
      }
      value = static_cast<std::uint32_t>(v);
      return true;
    }
    p = end;
  }
  return false;
}

}  // namespace guest
