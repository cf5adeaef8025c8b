#include "hw/vector_set.h"

#include <gtest/gtest.h>

namespace irqshape::hw {
namespace {

TEST(VectorSet, HighestLowestCount) {
  VectorSet s;
  EXPECT_EQ(s.highest(), VectorSet::kNone);
  EXPECT_TRUE(s.empty());
  for (unsigned v : {0u, 63u, 64u, 130u, 255u}) s.set(v);
  EXPECT_EQ(s.highest(), 255);
  EXPECT_EQ(s.count(), 5u);
  EXPECT_EQ(s.lowest_from(1), 63);
  EXPECT_EQ(s.lowest_from(65), 130);
  EXPECT_EQ(s.lowest_from(131), 255);
  s.clear(255);
  EXPECT_EQ(s.highest(), 130);
  EXPECT_EQ(s.lowest_from(131), VectorSet::kNone);
  EXPECT_TRUE(s.test(64));
  EXPECT_FALSE(s.test(65));
}

TEST(VectorSet, ClassBitsAndRegisterWords) {
  VectorSet s;
  s.set(0x41);
  s.set(0x4F);
  s.set(0x50);
  EXPECT_EQ(s.class_bits(4), 0x8002);
  EXPECT_EQ(s.class_bits(5), 0x0001);
  EXPECT_EQ(s.word32(2), (1u << 1) | (1u << 15) | (1u << 16));
  EXPECT_EQ(priority_class(0x4F), 4u);
}

}  // namespace
}  // namespace irqshape::hw
