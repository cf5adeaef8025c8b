#include "kern/vector_allocator.h"

#include <gtest/gtest.h>

#include "kern/system_vectors.h"

namespace irqshape::kern {
namespace {

TEST(VectorMatrix, SystemVectorsAreReservedOnEveryCpu) {
  VectorMatrix m(4);
  for (unsigned cpu = 0; cpu < 4; ++cpu) {
    for (unsigned v = 0; v < 256; ++v) {
      const bool system = v < 0x30 || v >= 0xD0;
      EXPECT_EQ(m.in_use(cpu, v), system) << "cpu " << cpu << " vector " << v;
      EXPECT_EQ(m.owner(cpu, v), system ? VectorMatrix::kSystemOwner : VectorMatrix::kNoOwner);
    }
    EXPECT_EQ(m.device_vectors_in_use(cpu), 0u);
  }
  EXPECT_TRUE(m.in_use(0, kMoveCleanupVector));
  EXPECT_TRUE(m.in_use(0, kSpuriousVector));
  EXPECT_FALSE(m.free({0, kSpuriousVector}));  // reserved vectors cannot be freed
}

TEST(VectorMatrix, DeviceVectorsComeFromTheClassOfTheRunLevel) {
  VectorMatrix m(2);
  for (KIRQL level = kMinDeviceIrql; level <= kMaxDeviceIrql; ++level) {
    auto a = m.allocate(~0ull, level, 7);
    ASSERT_TRUE(a);
    EXPECT_EQ(irql_of_vector(a->vector), level);
    EXPECT_EQ(m.owner(a->cpu, a->vector), 7u);
  }
  EXPECT_FALSE(m.allocate(~0ull, DISPATCH_LEVEL, 7));
  EXPECT_FALSE(m.allocate(~0ull, CLOCK_LEVEL, 7));
  EXPECT_FALSE(m.allocate(~0ull, 4, VectorMatrix::kNoOwner));
}

TEST(VectorMatrix, PicksTheCpuWithTheMostFreeVectorsInTheClass) {
  VectorMatrix m(3);
  // cpu 0 gets the first (tie -> lowest index), then cpu 1, cpu 2, then round again.
  std::vector<unsigned> cpus;
  for (int i = 0; i < 6; ++i) cpus.push_back(m.allocate(~0ull, 5, 1)->cpu);
  EXPECT_EQ(cpus, (std::vector<unsigned>{0, 1, 2, 0, 1, 2}));
  // Load on another class does not count.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(m.allocate(affinity_of(1), 6, 1)->cpu, 1u);
  EXPECT_EQ(m.allocate(~0ull, 5, 1)->cpu, 0u);
  EXPECT_EQ(m.free_in_class(0, 5), 13u);
  EXPECT_EQ(m.free_in_class(1, 5), 14u);
}

TEST(VectorMatrix, StaysInsideTheAffinitySet) {
  VectorMatrix m(4);
  for (int i = 0; i < 8; ++i) {
    auto a = m.allocate(affinity_of(1) | affinity_of(3), 4, 1);
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->cpu == 1 || a->cpu == 3);
  }
  EXPECT_EQ(m.device_vectors_in_use(0), 0u);
  EXPECT_EQ(m.device_vectors_in_use(2), 0u);
  EXPECT_FALSE(m.allocate(affinity_of(7), 4, 1));  // beyond the CPU count
  EXPECT_FALSE(m.allocate(0, 4, 1));
}

TEST(VectorMatrix, ExhaustionFailsCleanlyAndFreeMakesRoom) {
  VectorMatrix m(2);
  std::vector<VectorAssignment> got;
  for (int i = 0; i < 32; ++i) got.push_back(*m.allocate(~0ull, 9, 1));
  const VectorMatrix before = m;
  EXPECT_FALSE(m.allocate(~0ull, 9, 1));
  for (unsigned cpu = 0; cpu < 2; ++cpu) {
    for (unsigned v = 0; v < 256; ++v) EXPECT_EQ(m.owner(cpu, v), before.owner(cpu, v));
  }
  EXPECT_TRUE(m.allocate(~0ull, 10, 1));  // other classes unaffected
  EXPECT_TRUE(m.free(got[5]));
  EXPECT_FALSE(m.free(got[5]));  // double free refused
  auto again = m.allocate(~0ull, 9, 1);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, got[5]);
}

TEST(VectorMatrix, LowestFreeVectorOfTheClass) {
  VectorMatrix m(1);
  EXPECT_EQ(m.allocate(1, 3, 1)->vector, 0x30);
  EXPECT_EQ(m.allocate(1, 3, 1)->vector, 0x31);
  EXPECT_TRUE(m.free({0, 0x30}));
  EXPECT_EQ(m.allocate(1, 3, 1)->vector, 0x30);
  EXPECT_EQ(m.allocate(1, 12, 1)->vector, 0xC0);
}

}  // namespace
}  // namespace irqshape::kern
