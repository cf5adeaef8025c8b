// A spin lock taken with interrupts off, for the guest's own device registers that are
// select-then-access pairs (CMOS index/data, PCI CONFIG_ADDRESS/CONFIG_DATA) and may be
// used from an ISR on one CPU while another CPU configures the device.
#pragma once

#include <atomic>

#include "arch/x86.h"

namespace guest {

class IrqLock {
 public:
  class [[nodiscard]] Guard {
   public:
    explicit Guard(IrqLock& lock) : lock_(lock), were_enabled_((x86::read_rflags() & x86::kRflagsIf) != 0) {
      x86::cli();
      while (lock_.held_.exchange(true, std::memory_order_acquire)) {
        while (lock_.held_.load(std::memory_order_relaxed)) x86::pause();
      }
    }
    ~Guard() {
      lock_.held_.store(false, std::memory_order_release);
      if (were_enabled_) x86::sti();
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    IrqLock& lock_;
    bool were_enabled_;
  };

 private:
  std::atomic<bool> held_{false};
};

}  // namespace guest
