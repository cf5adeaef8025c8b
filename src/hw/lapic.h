// Model of a local APIC's interrupt delivery state: IRR/ISR/TMR, TPR/PPR, EOI (with
// directed-EOI suppression), spurious vector and software enable, logical destination
// (xAPIC flat/cluster, x2APIC cluster), ESR, ICR for IPIs, and the register interface in
// both xAPIC (MMIO offsets) and x2APIC (MSR) modes. While software-disabled (SVR bit 8
// clear) every LVT entry is masked and a write cannot unmask one (SDM 10.4.7.2). The APIC
// timer is not modelled (its registers hold values; the current count reads 0).
//
// Not internally synchronized: callers serialize (see hw/ioapic.h).
#pragma once

#include <array>
#include <cstdint>

#include "hw/interrupt_message.h"
#include "hw/lapic_regs.h"
#include "hw/register_window.h"
#include "hw/vector_set.h"

namespace irqshape::hw {

// What a local APIC sends onto the bus: EOI broadcasts (for level-triggered vectors)
// and inter-processor interrupts.
class LocalApicPort {
 public:
  virtual void broadcast_eoi(std::uint8_t vector) = 0;
  // shorthand: 0 none (use message.destination), 1 self, 2 all including self, 3 all excluding self
  virtual void send_ipi(std::uint32_t from_apic_id, const InterruptMessage& message, unsigned shorthand) = 0;

 protected:
  ~LocalApicPort() = default;
};

class LocalApic final : public RegisterWindow {
 public:
  enum class Mode : std::uint8_t { XApic, X2Apic };

  enum class Accept : std::uint8_t {
    Accepted,        // IRR bit set
    Merged,          // IRR bit was already set: this interrupt merged with the pending one
    IllegalVector,   // vector 0-15: ESR "receive illegal vector" latched
    ReservedVector,  // vector 16-31: reserved for exceptions, refused as a device vector
  };

  struct SpecialCounts {  // non-vectored deliveries, counted for tests and the simulator
    std::uint64_t nmi = 0, smi = 0, init = 0, startup = 0, extint = 0;
    std::uint8_t last_startup_vector = 0;
  };

  explicit LocalApic(std::uint32_t apic_id, Mode mode = Mode::XApic, LocalApicPort* port = nullptr);

  // xAPIC register interface (offsets inside the 4 KiB page). In x2APIC mode the MMIO
  // page is disabled: reads return 0 and writes are ignored.
  std::uint32_t read32(std::uint32_t offset) override;
  void write32(std::uint32_t offset, std::uint32_t value) override;
  // x2APIC register interface. Returns false where the processor raises #GP (not in
  // x2APIC mode, no such MSR, read of a write-only or write of a read-only register,
  // non-zero EOI or ESR, reserved bits set: lapic::x2apic_write_allowed); a refused
  // write changes nothing. xAPIC MMIO writes drop reserved bits instead.
  bool read_msr(std::uint32_t msr, std::uint64_t& value) const;
  bool write_msr(std::uint32_t msr, std::uint64_t value);

  void set_mode(Mode mode) { mode_ = mode; }
  void set_port(LocalApicPort* port) { port_ = port; }
  void reset();

  // Bus side.
  Accept accept(std::uint8_t vector, TriggerMode trigger);
  void accept_special(const InterruptMessage& message);
  [[nodiscard]] bool matches_physical(std::uint32_t destination) const;
  [[nodiscard]] bool matches_logical(std::uint32_t destination) const;

  // Processor side: the vector the core would take now (IRR above PPR), or -1.
  [[nodiscard]] int pending_vector() const;
  // Interrupt acknowledge: moves the pending vector from IRR to ISR and returns it;
  // returns the spurious vector (SVR bits 7:0) when nothing is deliverable.
  std::uint8_t acknowledge();
  void eoi();

  // Inspection.
  [[nodiscard]] std::uint32_t id() const { return id_; }
  [[nodiscard]] Mode mode() const { return mode_; }
  [[nodiscard]] std::uint8_t tpr() const { return tpr_; }
  [[nodiscard]] std::uint8_t ppr() const;
  [[nodiscard]] std::uint32_t ldr() const;
  [[nodiscard]] bool software_enabled() const { return lapic::SvrSoftwareEnable::test(svr_); }
  [[nodiscard]] bool focus_check_disabled() const { return lapic::SvrFocusCheckDisable::test(svr_); }
  [[nodiscard]] const VectorSet& irr() const { return irr_; }
  [[nodiscard]] const VectorSet& isr() const { return isr_; }
  [[nodiscard]] const VectorSet& tmr() const { return tmr_; }
  [[nodiscard]] const SpecialCounts& special_counts() const { return special_; }
  [[nodiscard]] std::uint64_t merged_count() const { return merged_; }

 private:
  bool read_reg(std::uint32_t offset, std::uint64_t& value) const;
  bool write_reg(std::uint32_t offset, std::uint64_t value);
  void send_icr(std::uint64_t icr);
  static int lvt_index(std::uint32_t offset);

  std::uint32_t id_;
  Mode mode_;
  LocalApicPort* port_;
  VectorSet irr_, isr_, tmr_;
  std::uint8_t tpr_ = 0;
  std::uint32_t svr_ = 0xFF;
  std::uint32_t ldr_ = 0;
  std::uint32_t dfr_ = 0xFFFF'FFFF;
  std::uint32_t esr_ = 0;          // value software reads
  std::uint32_t esr_pending_ = 0;  // errors since the last ESR write
  std::uint64_t icr_ = 0;
  std::array<std::uint32_t, 7> lvt_{};
  std::uint32_t timer_initial_ = 0, timer_divide_ = 0;
  SpecialCounts special_;
  std::uint64_t merged_ = 0;
};

}  // namespace irqshape::hw
