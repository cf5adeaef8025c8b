#include "kernel/console.h"

#include <atomic>

#include "arch/x86.h"
#include "devices/uart.h"

namespace guest {

namespace {
std::atomic<bool> console_lock{false};
ConsoleSink sink;
constexpr unsigned kPanicLockSpins = 10'000'000;

bool interrupts_off() {
  const bool were = (x86::read_rflags() & x86::kRflagsIf) != 0;
  x86::cli();
  return were;
}
}  // namespace

void ConsoleSink::write(const char* text, std::size_t length) {
  for (std::size_t i = 0; i < length; ++i) {
    if (text[i] == '\n') uart::put('\r');
    uart::put(text[i]);
  }
}

ConsoleSink& console_sink() { return sink; }

Console::Console() : w(sink), were_enabled_(interrupts_off()) {
  while (console_lock.exchange(true, std::memory_order_acquire)) x86::pause();
}

Console::~Console() {
  console_lock.store(false, std::memory_order_release);
  if (were_enabled_) x86::sti();
}

void console_force_unlock_after_timeout() {
  for (unsigned i = 0; i < kPanicLockSpins; ++i) {
    if (!console_lock.load(std::memory_order_relaxed)) return;
    x86::pause();
  }
  console_lock.store(false, std::memory_order_release);
}

}  // namespace guest
