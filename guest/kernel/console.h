// The serial console: kern's TextWriter (no printf in this kernel) over COM1, one lock
// so lines from different CPUs do not interleave. The lock is taken with interrupts
// off; a panic takes it with a bounded wait so a CPU that died holding it cannot
// silence the report.
//
//   { Console out; out.w.str("cpu ").dec(n).str(" online\n"); }
#pragma once

#include "kern/text_sink.h"

namespace guest {

class ConsoleSink final : public irqshape::kern::TextSink {
 public:
  void write(const char* text, std::size_t length) override;  // '\n' -> "\r\n"
};

class [[nodiscard]] Console {
 public:
  Console();
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  irqshape::kern::TextWriter w;

 private:
  bool were_enabled_;
};

// For the panic path: the lock if it can be had within a short while, else none.
void console_force_unlock_after_timeout();
ConsoleSink& console_sink();

}  // namespace guest
