// The only memory the interrupt core allocates: interrupt objects, one block per
// IoConnectInterrupt call. The caller passes the allocator in (the guest: a nonpaged
// pool; hosted tests: malloc), so src/kern never touches a heap of its own.
#pragma once

#include <cstddef>

namespace irqshape::kern {

class PoolAllocator {
 public:
  // Returns memory aligned to `alignment`, or nullptr when the pool is exhausted.
  virtual void* allocate(std::size_t size, std::size_t alignment) = 0;
  // `size` is what was passed to allocate (a pool may use it; malloc ignores it).
  virtual void free(void* block, std::size_t size) = 0;

 protected:
  ~PoolAllocator() = default;
};

}  // namespace irqshape::kern
