// One way for the kernel to reach a local APIC whether it runs in xAPIC mode (a 4 KiB
// MMIO page) or x2APIC mode (MSRs 0x800-0x8FF). Registers are named by their xAPIC MMIO
// offset (hw/lapic_regs.h); the x2APIC adapter turns offset o into MSR 0x800 + (o >> 4).
// The ICR is the one register whose shape differs (two dwords vs. one 64-bit MSR), so
// sending an IPI is an operation of its own.
#pragma once

#include <cstdint>

#include "hw/lapic_regs.h"
#include "hw/register_window.h"

namespace irqshape::kern {

class LocalApicRegisters {
 public:
  virtual std::uint32_t read(std::uint32_t offset) = 0;
  virtual void write(std::uint32_t offset, std::uint32_t value) = 0;
  // Fixed delivery, physical destination, edge, assert.
  virtual void send_ipi(std::uint32_t apic_id, std::uint8_t vector) = 0;

  void eoi() { write(hw::lapic::kEoi, 0); }
  // Whether `vector` is set in this APIC's IRR (requested) or ISR (in service).
  [[nodiscard]] bool pending_or_in_service(std::uint8_t vector);

 protected:
  ~LocalApicRegisters() = default;
};

// rdmsr / wrmsr. Returns false where the processor would raise #GP.
class MsrPort {
 public:
  virtual bool read_msr(std::uint32_t msr, std::uint64_t& value) = 0;
  virtual bool write_msr(std::uint32_t msr, std::uint64_t value) = 0;

 protected:
  ~MsrPort() = default;
};

class XApicRegisters final : public LocalApicRegisters {
 public:
  explicit XApicRegisters(hw::RegisterWindow& mmio) : mmio_(mmio) {}
  std::uint32_t read(std::uint32_t offset) override { return mmio_.read32(offset); }
  void write(std::uint32_t offset, std::uint32_t value) override { mmio_.write32(offset, value); }
  void send_ipi(std::uint32_t apic_id, std::uint8_t vector) override;

 private:
  hw::RegisterWindow& mmio_;
};

class X2ApicRegisters final : public LocalApicRegisters {
 public:
  explicit X2ApicRegisters(MsrPort& msr) : msr_(msr) {}
  std::uint32_t read(std::uint32_t offset) override;
  void write(std::uint32_t offset, std::uint32_t value) override;
  void send_ipi(std::uint32_t apic_id, std::uint8_t vector) override;

 private:
  MsrPort& msr_;
};

}  // namespace irqshape::kern
