#include "kern/status.h"

#include <gtest/gtest.h>

#include <string>

namespace irqshape::kern {
namespace {

TEST(Status, ValuesAreNtsValues) {
  EXPECT_EQ(static_cast<std::uint32_t>(STATUS_SUCCESS), 0x0u);
  EXPECT_EQ(static_cast<std::uint32_t>(STATUS_INVALID_PARAMETER), 0xC000000Du);
  EXPECT_EQ(static_cast<std::uint32_t>(STATUS_INSUFFICIENT_RESOURCES), 0xC000009Au);
  EXPECT_EQ(static_cast<std::uint32_t>(STATUS_INVALID_PARAMETER_1), 0xC00000EFu);
  EXPECT_EQ(static_cast<std::uint32_t>(STATUS_INVALID_PARAMETER_12), 0xC00000FAu);
  EXPECT_EQ(static_cast<std::uint32_t>(STATUS_NOT_FOUND), 0xC0000225u);
  EXPECT_EQ(static_cast<std::uint32_t>(STATUS_DEVICE_BUSY), 0x80000011u);
  EXPECT_EQ(static_cast<std::uint32_t>(STATUS_DEVICE_DOES_NOT_EXIST), 0xC00000C0u);
}

TEST(Status, NtSuccessFollowsTheSeverityBit) {
  EXPECT_TRUE(NT_SUCCESS(STATUS_SUCCESS));
  EXPECT_TRUE(NT_SUCCESS(STATUS_PENDING));
  EXPECT_FALSE(NT_SUCCESS(STATUS_DEVICE_BUSY));
  EXPECT_FALSE(NT_SUCCESS(STATUS_INVALID_PARAMETER_9));
}

TEST(Status, EveryStatusHasItsName) {
  EXPECT_STREQ(status_name(STATUS_SUCCESS), "STATUS_SUCCESS");
  EXPECT_STREQ(status_name(STATUS_INVALID_PARAMETER_9), "STATUS_INVALID_PARAMETER_9");
  EXPECT_STREQ(status_name(STATUS_INSUFFICIENT_RESOURCES), "STATUS_INSUFFICIENT_RESOURCES");
  EXPECT_STREQ(status_name(STATUS_DEVICE_DOES_NOT_EXIST), "STATUS_DEVICE_DOES_NOT_EXIST");
  EXPECT_STREQ(status_name(static_cast<NTSTATUS>(0xC0001234u)), "STATUS_<unknown>");
  for (std::uint32_t v = 0xC00000EF; v <= 0xC00000FA; ++v) {
    const std::string name = status_name(static_cast<NTSTATUS>(v));
    EXPECT_EQ(name, "STATUS_INVALID_PARAMETER_" + std::to_string(v - 0xC00000EE));
    EXPECT_TRUE(is_invalid_parameter(static_cast<NTSTATUS>(v)));
  }
  EXPECT_FALSE(is_invalid_parameter(STATUS_NOT_FOUND));
}

}  // namespace
}  // namespace irqshape::kern
