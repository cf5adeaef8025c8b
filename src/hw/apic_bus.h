// The system interrupt bus: carries messages from I/O APICs, MSI writes and IPIs to the
// local APICs they address (physical, logical, broadcast, lowest priority), and EOI
// broadcasts from local APICs back to the I/O APICs.
#pragma once

#include <array>
#include <cstdint>

#include "hw/interrupt_sink.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"

namespace irqshape::hw {

// Told about every vectored interrupt a local APIC accepted (a simulator wakes the vCPU).
class DeliveryObserver {
 public:
  virtual void accepted(LocalApic& target, const InterruptMessage& message, LocalApic::Accept result) = 0;

 protected:
  ~DeliveryObserver() = default;
};

class ApicBus final : public InterruptSink, public LocalApicPort {
 public:
  static constexpr unsigned kMaxLocalApics = 256;
  static constexpr unsigned kMaxIoApics = 8;

  // Attaching also points the local APIC's port at this bus. Returns false when full.
  bool attach(LocalApic& lapic);
  bool attach(IoApic& ioapic);
  void set_observer(DeliveryObserver* observer) { observer_ = observer; }

  // InterruptSink: accepted when at least one local APIC took a vectored message.
  bool deliver(const InterruptMessage& message) override;
  // LocalApicPort.
  void broadcast_eoi(std::uint8_t vector) override;
  void send_ipi(std::uint32_t from_apic_id, const InterruptMessage& message, unsigned shorthand) override;

  [[nodiscard]] LocalApic* find(std::uint32_t apic_id) const;
  [[nodiscard]] unsigned local_apic_count() const { return lapic_count_; }

 private:
  [[nodiscard]] bool targets(const LocalApic& lapic, const InterruptMessage& m) const;
  [[nodiscard]] LocalApic* lowest_priority_target(const InterruptMessage& m) const;
  bool deliver_to(LocalApic& lapic, const InterruptMessage& m);

  std::array<LocalApic*, kMaxLocalApics> lapic_{};
  std::array<IoApic*, kMaxIoApics> ioapic_{};
  unsigned lapic_count_ = 0;
  unsigned ioapic_count_ = 0;
  DeliveryObserver* observer_ = nullptr;
};

}  // namespace irqshape::hw
