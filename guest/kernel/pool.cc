#include "kernel/pool.h"

#include <bit>

#include "arch/x86.h"
#include "kern/interrupt_object.h"
#include "kernel/panic.h"
#include "smp/percpu.h"

namespace guest {

// IoConnectInterrupt's block (kern/connect.cc): the connection header, padding to the
// objects' alignment, one KINTERRUPT per CPU. One block must hold it for every CPU.
static_assert(sizeof(irqshape::kern::InterruptConnection) + alignof(irqshape::kern::KINTERRUPT) +
                      kMaxGuestCpus * sizeof(irqshape::kern::KINTERRUPT) <=
                  FixedBlockPool::kBlockSize,
              "a connection block for every CPU must fit one pool block");
static_assert(alignof(irqshape::kern::KINTERRUPT) <= FixedBlockPool::kAlignment);

void FixedBlockPool::lock(bool& were_enabled) {
  were_enabled = (x86::read_rflags() & x86::kRflagsIf) != 0;
  x86::cli();
  while (lock_.exchange(true, std::memory_order_acquire)) x86::pause();
}

void FixedBlockPool::unlock(bool were_enabled) {
  lock_.store(false, std::memory_order_release);
  if (were_enabled) x86::sti();
}

void* FixedBlockPool::allocate(std::size_t size, std::size_t alignment) {
  if (size > kBlockSize || alignment > kAlignment || alignment == 0) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  bool were_enabled = false;
  lock(were_enabled);
  void* block = nullptr;
  for (std::size_t w = 0; w < kWords && block == nullptr; ++w) {
    if (used_[w] == ~std::uint64_t{0}) continue;
    const auto bit = static_cast<unsigned>(std::countr_one(used_[w]));
    used_[w] |= std::uint64_t{1} << bit;
    block = storage_[w * 64 + bit];
  }
  unlock(were_enabled);
  if (block == nullptr) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  const unsigned n = in_use_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n > high_water_.load(std::memory_order_relaxed)) high_water_.store(n, std::memory_order_relaxed);
  return block;
}

void FixedBlockPool::free(void* block, std::size_t) {
  const auto offset = static_cast<std::size_t>(static_cast<unsigned char*>(block) - &storage_[0][0]);
  if (offset >= sizeof(storage_) || offset % kBlockSize != 0) panic("pool: free of a foreign block", offset);
  const std::size_t index = offset / kBlockSize;
  bool were_enabled = false;
  lock(were_enabled);
  const std::uint64_t bit = std::uint64_t{1} << (index % 64);
  const bool was_used = (used_[index / 64] & bit) != 0;
  used_[index / 64] &= ~bit;
  unlock(were_enabled);
  if (!was_used) panic("pool: double free", offset);
  in_use_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace guest
