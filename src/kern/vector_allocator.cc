#include "kern/vector_allocator.h"

#include <bit>

#include "kern/system_vectors.h"

namespace irqshape::kern {

VectorMatrix::VectorMatrix(unsigned cpu_count) : cpu_count_(cpu_count > kMaxCpus ? kMaxCpus : cpu_count) {
  for (unsigned cpu = 0; cpu < cpu_count_; ++cpu) {
    for (unsigned v = 0; v < 256; ++v) {
      if (!is_system_vector(v)) continue;
      cpu_[cpu].used.set(v);
      cpu_[cpu].owner[v] = kSystemOwner;
    }
  }
}

unsigned VectorMatrix::free_in_class(unsigned cpu, KIRQL level) const {
  if (cpu >= cpu_count_) return 0;
  return kVectorsPerClass - static_cast<unsigned>(std::popcount(cpu_[cpu].used.class_bits(level)));
}

std::optional<unsigned> VectorMatrix::best_cpu(KAFFINITY candidates, KIRQL level) const {
  std::optional<unsigned> best;
  unsigned best_free = 0;
  for_each_cpu(candidates & first_cpus(cpu_count_), [&](unsigned cpu) {
    const unsigned n = free_in_class(cpu, level);
    if (n > best_free) best = cpu, best_free = n;  // strict: ties keep the lower index
  });
  return best;
}

void VectorMatrix::take(unsigned cpu, std::uint8_t vector, std::uint16_t owner) {
  cpu_[cpu].used.set(vector);
  cpu_[cpu].ever_allocated.set(vector);
  cpu_[cpu].owner[vector] = owner;
}

std::optional<VectorAssignment> VectorMatrix::allocate(KAFFINITY candidates, KIRQL level, std::uint16_t owner) {
  if (!is_device_irql(level) || owner == kNoOwner || owner == kSystemOwner) return std::nullopt;
  const std::optional<unsigned> cpu = best_cpu(candidates, level);
  if (!cpu) return std::nullopt;
  const auto free_bits = static_cast<std::uint16_t>(~cpu_[*cpu].used.class_bits(level));
  const auto vector = static_cast<std::uint8_t>(first_vector_of(level) + static_cast<unsigned>(std::countr_zero(free_bits)));
  take(*cpu, vector, owner);
  return VectorAssignment{*cpu, vector};
}

std::optional<VectorAssignment> VectorMatrix::allocate_bridged(unsigned old_cpu, KAFFINITY candidates, KIRQL level,
                                                               std::uint16_t owner) {
  if (!is_device_irql(level) || owner == kNoOwner || owner == kSystemOwner || old_cpu >= cpu_count_) return std::nullopt;
  const std::optional<unsigned> cpu = best_cpu(candidates & ~affinity_of(old_cpu), level);
  if (!cpu) return std::nullopt;
  const auto common = static_cast<std::uint16_t>(~(cpu_[*cpu].used.class_bits(level) | cpu_[old_cpu].used.class_bits(level)));
  if (common == 0) return std::nullopt;
  const auto vector = static_cast<std::uint8_t>(first_vector_of(level) + static_cast<unsigned>(std::countr_zero(common)));
  for (unsigned c : {*cpu, old_cpu}) take(c, vector, owner);
  return VectorAssignment{*cpu, vector};
}

bool VectorMatrix::free(VectorAssignment a) {
  if (a.cpu >= cpu_count_ || is_system_vector(a.vector) || !cpu_[a.cpu].used.test(a.vector)) return false;
  cpu_[a.cpu].used.clear(a.vector);
  cpu_[a.cpu].owner[a.vector] = kNoOwner;
  return true;
}

unsigned VectorMatrix::device_vectors_in_use(unsigned cpu) const {
  unsigned n = 0;
  for (KIRQL level = kMinDeviceIrql; level <= kMaxDeviceIrql; ++level) n += kVectorsPerClass - free_in_class(cpu, level);
  return cpu < cpu_count_ ? n : 0;
}

bool VectorMatrix::in_use(unsigned cpu, unsigned vector) const {
  return cpu < cpu_count_ && vector < 256 && cpu_[cpu].used.test(vector);
}

std::uint16_t VectorMatrix::owner(unsigned cpu, unsigned vector) const {
  return cpu < cpu_count_ && vector < 256 ? cpu_[cpu].owner[vector] : kNoOwner;
}

}  // namespace irqshape::kern
