// What the compiler may call in a freestanding C++ kernel without a C library: the four
// memory functions (GCC emits calls to them for struct copies and zeroing even with
// -ffreestanding), __cxa_pure_virtual (in every vtable of an abstract class), the static
// destructor registration (never run: the kernel does not exit normally), and abort()
// (libstdc++ headers call it where a hosted build would throw).
#include <cstddef>
#include <cstdint>

#include "kernel/panic.h"

extern "C" {

void* memcpy(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  for (std::size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}

void* memmove(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d < s) {
    for (std::size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (std::size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dst;
}

void* memset(void* dst, int c, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(c);
  return dst;
}

int memcmp(const void* a, const void* b, std::size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

[[noreturn]] void __cxa_pure_virtual() { guest::panic("pure virtual function called"); }

[[noreturn]] void abort() { guest::panic("abort() called"); }

// Static objects with destructors register them here; the kernel never runs them.
void* __dso_handle = nullptr;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }

}  // extern "C"
