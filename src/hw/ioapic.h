// Model of an I/O APIC (Intel 82093AA, optionally the version-20h I/OxAPIC with its EOI
// register): the IOREGSEL/IOWIN register interface, a redirection table of 1..120
// entries (all an 8-bit IOREGSEL can address), edge and level semantics including remote IRR, and the pin wiring polarity.
//
// Not internally synchronized: like the real chip's single register port, callers
// serialize access (a simulator is single-threaded; hosted multi-CPU tests hold a lock).
#pragma once

#include <array>
#include <cstdint>

#include "hw/interrupt_message.h"
#include "hw/interrupt_sink.h"
#include "hw/ioapic_regs.h"
#include "hw/register_window.h"

namespace irqshape::hw {

class IoApic final : public RegisterWindow {
 public:
  // MRE is 8 bits, but IOREGSEL (bits 7:0) reaches only 120 entries from 0x10.
  static constexpr unsigned kMaxPins = ioapic::kMaxRedirectionEntries;

  struct Config {
    std::uint8_t id = 0;
    unsigned pins = 24;
    std::uint32_t gsi_base = 0;
    std::uint8_t version = ioapic::kVersionIoxApic;
    bool extended_destination_id = false;  // accept RTE bits 55:49 as destination 14:8
  };

  struct PinCounters {
    std::uint64_t delivered = 0;        // messages accepted by the sink
    std::uint64_t refused = 0;          // deliveries the sink refused (left send pending)
    std::uint64_t masked_edges = 0;     // edges that arrived while masked (lost, per datasheet)
    std::uint64_t reserved_mode = 0;    // not sent: the entry's delivery mode is reserved (011, 110)
  };

  // `config.pins` outside 1..kMaxPins is clamped into range.
  IoApic(const Config& config, InterruptSink& sink);

  // Register interface: IOREGSEL at 0x00, IOWIN at 0x10, EOI at 0x40 (version >= 0x20).
  std::uint32_t read32(std::uint32_t offset) override;
  void write32(std::uint32_t offset, std::uint32_t value) override;

  // Device side: whether the device on `pin` is asserting its interrupt. The electrical
  // level follows from the pin's wiring; the I/O APIC applies the entry's polarity.
  void set_line(unsigned pin, bool asserting);
  void pulse(unsigned pin) { set_line(pin, true), set_line(pin, false); }
  // Electrical active level of the device wired to `pin` (ISA: high; PCI INTx: low).
  void set_wiring(unsigned pin, Polarity active_level);

  // An EOI for `vector` broadcast by a local APIC: clears remote IRR of matching level
  // entries, and re-delivers those whose line is still asserted.
  void eoi(std::uint8_t vector);
  // Retries entries whose last delivery the sink refused.
  void retry_pending();

  // Inspection for tests and debug dumps (not part of the register interface).
  [[nodiscard]] unsigned pins() const { return pins_; }
  [[nodiscard]] std::uint32_t gsi_base() const { return gsi_base_; }
  [[nodiscard]] std::uint64_t entry(unsigned pin) const { return has(pin) ? pin_[pin].rte : 0; }
  [[nodiscard]] bool input_active(unsigned pin) const { return has(pin) && active(pin); }
  [[nodiscard]] const PinCounters& counters(unsigned pin) const { return pin_[has(pin) ? pin : 0].counters; }

 private:
  struct Pin {
    std::uint64_t rte = ioapic::rte::kResetValue;
    bool asserting = false;
    Polarity wiring = Polarity::ActiveHigh;
    PinCounters counters;
  };

  // pins_ <= kMaxPins; the first test lets the compiler see the array bound too.
  [[nodiscard]] bool has(unsigned pin) const { return pin < kMaxPins && pin < pins_; }
  [[nodiscard]] bool active(unsigned pin) const;
  // Level semantics (remote IRR, re-delivery while asserted) apply only to fixed and
  // lowest-priority entries: SMI, NMI, INIT and ExtINT are edge even if programmed
  // level (datasheet 3.2.4).
  [[nodiscard]] static bool level_triggered(std::uint64_t rte);
  [[nodiscard]] std::uint32_t read_indirect(std::uint8_t reg) const;
  void write_indirect(std::uint8_t reg, std::uint32_t value);
  void write_entry(unsigned pin, std::uint64_t value);
  void input_changed(unsigned pin, bool was_active);
  void deliver(unsigned pin);
  [[nodiscard]] std::uint64_t writable_mask() const;

  InterruptSink& sink_;
  unsigned pins_;
  std::uint32_t gsi_base_;
  std::uint8_t version_;
  bool extended_destination_id_;
  std::uint8_t id_ = 0;
  std::uint8_t regsel_ = 0;
  std::array<Pin, kMaxPins> pin_{};
};

}  // namespace irqshape::hw
