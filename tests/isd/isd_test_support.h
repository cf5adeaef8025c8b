// Test support for the driver: a platform (SourceMap) matching examples/*.toml, the
// model behind a register window, and register windows that misbehave on purpose.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "hw/register_window.h"
#include "isd/driver.h"
#include "isd/harness/model_harness.h"
#include "isd/source_map.h"

namespace irqshape::isd::testing {

// The platform of examples/nic-nvme.toml and examples/issue-example.toml.
inline SourceMap example_platform() {
  SourceMap m;
  EXPECT_TRUE(m.add({0, "eth0-TxRx-0", 40, SourceKind::net}).ok());
  EXPECT_TRUE(m.add({1, "nvme0q1", 41, SourceKind::block}).ok());
  EXPECT_TRUE(m.add({2, "hpet", 0, SourceKind::timer}).ok());
  EXPECT_TRUE(m.add({3, "legacy", 11, SourceKind::other}).ok());
  EXPECT_TRUE(m.add({4, "eth1-TxRx-0", 42, SourceKind::net}).ok());
  EXPECT_TRUE(m.add({5, "virtio1-req.0", 36, SourceKind::block}).ok());
  return m;
}

// A window in front of another that lets a test change what reads return or what
// writes do: a unit with other capabilities, a corrupting bus, a broken device.
class TamperingWindow final : public hw::RegisterWindow {
 public:
  explicit TamperingWindow(hw::RegisterWindow& inner) : inner_(inner) {}

  std::function<bool(std::uint32_t offset, std::uint32_t& value)> on_read;   // true: return `value` instead
  std::function<void(std::uint32_t offset, std::uint32_t& value)> on_write;  // may change the value written

  std::uint32_t read32(std::uint32_t offset) override {
    std::uint32_t v = inner_.read32(offset);
    if (on_read) (void)on_read(offset, v);
    return v;
  }
  void write32(std::uint32_t offset, std::uint32_t value) override {
    if (on_write) on_write(offset, value);
    inner_.write32(offset, value);
  }

 private:
  hw::RegisterWindow& inner_;
};

// Something that is not an ISU: every register reads `value`.
class ConstantWindow final : public hw::RegisterWindow {
 public:
  explicit ConstantWindow(std::uint32_t value) : value_(value) {}
  std::uint32_t read32(std::uint32_t) override { return value_; }
  void write32(std::uint32_t, std::uint32_t) override {}

 private:
  std::uint32_t value_;
};

}  // namespace irqshape::isd::testing
