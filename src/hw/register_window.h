// The one way software touches a device in this project: 32-bit reads and writes at
// byte offsets, as through an MMIO BAR. Device models implement it; drivers (the guest
// kernel's HAL, the ISD) take a RegisterWindow& and never see a model's internals. On
// real hardware the same interface is a thin wrapper over volatile loads and stores.
#pragma once

#include <cstdint>

namespace irqshape::hw {

class RegisterWindow {
 public:
  virtual std::uint32_t read32(std::uint32_t offset) = 0;
  virtual void write32(std::uint32_t offset, std::uint32_t value) = 0;

 protected:
  // Non-virtual and protected: windows are never deleted through this interface, and
  // freestanding builds then need no operator delete.
  ~RegisterWindow() = default;
};

// A window over real memory-mapped registers (used by the bootable guest).
class MmioWindow final : public RegisterWindow {
 public:
  explicit MmioWindow(std::uintptr_t base) : base_(base) {}
  std::uint32_t read32(std::uint32_t offset) override {
    return *reinterpret_cast<volatile std::uint32_t*>(base_ + offset);
  }
  void write32(std::uint32_t offset, std::uint32_t value) override {
    *reinterpret_cast<volatile std::uint32_t*>(base_ + offset) = value;
  }

 private:
  std::uintptr_t base_;
};

}  // namespace irqshape::hw
