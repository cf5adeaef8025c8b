// KSPIN_LOCK and the two ways the core holds one.
//
//  * Interrupt-object locks (KINTERRUPT::ActualLock) are held at the object's
//    synchronize IRQL: by the dispatcher around the ISR and by KeSynchronizeExecution
//    around its routine. Raising IRQL first is what makes it safe for an ISR on the same
//    CPU to want the same lock: it cannot interrupt the holder.
//  * The core's internal locks (vector, I/O APIC, report ring, configuration) are taken
//    with interrupts disabled (IrqSpinLockGuard), like Linux's raw_spin_lock_irqsave, so
//    the dispatcher may take the vector and I/O APIC locks on a CPU that a control path
//    holding them was running on.
//
// Test-and-test-and-set: waiters spin on a plain load, so the line stays shared until
// the holder releases it.
#pragma once

#include <atomic>

#include "kern/platform.h"

namespace irqshape::kern {

class KSPIN_LOCK {
 public:
  KSPIN_LOCK() = default;
  KSPIN_LOCK(const KSPIN_LOCK&) = delete;
  KSPIN_LOCK& operator=(const KSPIN_LOCK&) = delete;

  [[nodiscard]] bool try_acquire() {
    return !held_.load(std::memory_order_relaxed) && !held_.exchange(true, std::memory_order_acquire);
  }
  void acquire(Platform& platform) {
    while (!try_acquire()) {
      while (held_.load(std::memory_order_relaxed)) platform.cpu_relax();
    }
  }
  void release() { held_.store(false, std::memory_order_release); }
  [[nodiscard]] bool is_held() const { return held_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> held_{false};
};

// The configuration lock: control paths only, held across waits for the dispatchers, so
// it neither disables interrupts nor raises IRQL (the dispatcher never takes it).
class [[nodiscard]] SpinLockGuard {
 public:
  SpinLockGuard(KSPIN_LOCK& lock, Platform& platform) : lock_(lock) { lock_.acquire(platform); }
  ~SpinLockGuard() { lock_.release(); }
  SpinLockGuard(const SpinLockGuard&) = delete;
  SpinLockGuard& operator=(const SpinLockGuard&) = delete;

 private:
  KSPIN_LOCK& lock_;
};

// Internal locks: interrupts off, then spin.
class [[nodiscard]] IrqSpinLockGuard {
 public:
  IrqSpinLockGuard(KSPIN_LOCK& lock, Platform& platform)
      : lock_(lock), platform_(platform), were_enabled_(platform.disable_interrupts()) {
    lock_.acquire(platform_);
  }
  ~IrqSpinLockGuard() {
    lock_.release();
    platform_.restore_interrupts(were_enabled_);
  }
  IrqSpinLockGuard(const IrqSpinLockGuard&) = delete;
  IrqSpinLockGuard& operator=(const IrqSpinLockGuard&) = delete;

 private:
  KSPIN_LOCK& lock_;
  Platform& platform_;
  bool were_enabled_;
};

// Interrupt-object locks: raise to `irql`, then spin. Restores the previous IRQL.
class [[nodiscard]] IrqlSpinLockGuard {
 public:
  IrqlSpinLockGuard(KSPIN_LOCK& lock, Platform& platform, KIRQL irql)
      : lock_(lock), platform_(platform), previous_(platform.raise_irql(irql)) {
    lock_.acquire(platform_);
  }
  ~IrqlSpinLockGuard() {
    lock_.release();
    platform_.lower_irql(previous_);
  }
  IrqlSpinLockGuard(const IrqlSpinLockGuard&) = delete;
  IrqlSpinLockGuard& operator=(const IrqlSpinLockGuard&) = delete;

 private:
  KSPIN_LOCK& lock_;
  Platform& platform_;
  KIRQL previous_;
};

}  // namespace irqshape::kern
