// The interrupt core's allocator (kern/pool.h) in the guest: a nonpaged pool of
// fixed-size blocks carved from .bss, one bitmap word per 64 blocks, a spin lock taken
// with interrupts off. Interrupt objects are the only thing the core allocates - one
// block per IoConnectInterrupt (a header plus one KINTERRUPT per CPU) - so one block
// size that fits 8 CPUs' worth serves every request; anything larger is refused
// (nullptr, which IoConnectInterrupt reports as STATUS_INSUFFICIENT_RESOURCES).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kern/pool.h"

namespace guest {

class FixedBlockPool final : public irqshape::kern::PoolAllocator {
 public:
  static constexpr std::size_t kBlockSize = 2048;
  static constexpr std::size_t kBlocks = 128;
  static constexpr std::size_t kAlignment = 64;

  void* allocate(std::size_t size, std::size_t alignment) override;
  void free(void* block, std::size_t size) override;

  [[nodiscard]] unsigned in_use() const { return in_use_.load(std::memory_order_relaxed); }
  [[nodiscard]] unsigned high_water() const { return high_water_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kWords = kBlocks / 64;
  void lock(bool& were_enabled);
  void unlock(bool were_enabled);

  alignas(kAlignment) unsigned char storage_[kBlocks][kBlockSize];
  std::uint64_t used_[kWords] = {};
  std::atomic<bool> lock_{false};
  std::atomic<unsigned> in_use_{0};
  std::atomic<unsigned> high_water_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace guest
