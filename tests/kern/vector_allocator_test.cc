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

// What a CPU ever had survives the free (where a late interrupt of a released source can
// land); system vectors and other CPUs are not in it.
TEST(VectorMatrix, RemembersEveryVectorEverAllocatedOnACpu) {
  VectorMatrix m(2);
  EXPECT_TRUE(m.ever_allocated(0).empty());
  const auto a = m.allocate(affinity_of(1), 5, 7);
  ASSERT_TRUE(a);
  ASSERT_TRUE(m.free(*a));
  EXPECT_FALSE(m.in_use(1, a->vector));
  EXPECT_TRUE(m.ever_allocated(1).test(a->vector));
  EXPECT_EQ(m.ever_allocated(1).count(), 1u);
  EXPECT_TRUE(m.ever_allocated(0).empty());
  const auto b = m.allocate_bridged(1, affinity_of(0), 5, 8);  // taken on both while a line moves
  ASSERT_TRUE(b);
  EXPECT_TRUE(m.ever_allocated(0).test(b->vector));
  EXPECT_TRUE(m.ever_allocated(1).test(b->vector));
  EXPECT_TRUE(m.ever_allocated(5).empty()) << "no such CPU";
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

TEST(VectorMatrix, BridgedAllocationHoldsOneVectorOnBothCpus) {
  VectorMatrix m(3);
  ASSERT_EQ(m.allocate(affinity_of(0), 5, 1)->vector, 0x50);  // the line's current vector
  ASSERT_EQ(m.allocate(affinity_of(1), 5, 2)->vector, 0x50);
  ASSERT_EQ(m.allocate(affinity_of(1), 5, 2)->vector, 0x51);
  auto a = m.allocate_bridged(0, affinity_of(1) | affinity_of(2), 5, 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->cpu, 2u);        // the most free of the candidates
  EXPECT_EQ(a->vector, 0x51);   // lowest free on both cpu 2 and cpu 0
  EXPECT_EQ(m.owner(0, 0x51), 1u);
  EXPECT_EQ(m.owner(2, 0x51), 1u);
  // No vector of the class free on both: nothing is taken.
  VectorMatrix full(2);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(full.allocate(affinity_of(0), 6, 1));  // 0x60-0x67
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(full.allocate(affinity_of(1), 6, 1));
  for (unsigned v = 0x60; v < 0x68; ++v) ASSERT_TRUE(full.free({1, static_cast<std::uint8_t>(v)}));  // 0x68-0x6f left
  const VectorMatrix before = full;
  EXPECT_FALSE(full.allocate_bridged(0, affinity_of(1), 6, 1));
  for (unsigned v = 0x60; v < 0x70; ++v) EXPECT_EQ(full.owner(1, v), before.owner(1, v));
  EXPECT_FALSE(full.allocate_bridged(0, affinity_of(0), 6, 1));  // never onto the old CPU itself
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
