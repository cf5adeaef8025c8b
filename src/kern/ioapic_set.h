// The I/O APICs the kernel drives, reached only through hw::RegisterWindow (IOREGSEL at
// 0x00, IOWIN at 0x10, EOI at 0x40 on version 0x20+). Each covers the GSIs
// [gsi_base, gsi_base + pins). Registration reads the version register for the pin
// count and masks every entry, so no line fires before a driver connects to it.
//
// Not synchronized: IOREGSEL/IOWIN is a select-then-access pair, so the interrupt core
// holds its I/O APIC lock around every call (Linux's ioapic_lock).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "hw/register_window.h"
#include "kern/status.h"

namespace irqshape::kern {

struct IoApicPin {
  std::uint8_t ioapic = 0;
  std::uint8_t pin = 0;
  friend constexpr bool operator==(const IoApicPin&, const IoApicPin&) = default;
};

class IoApicSet {
 public:
  static constexpr unsigned kMaxIoApics = 8;

  struct Info {
    hw::RegisterWindow* window = nullptr;
    std::uint32_t gsi_base = 0;
    unsigned pins = 0;           // entries used: MRE + 1, capped at kMaxRedirectionEntries
    unsigned reported_pins = 0;  // MRE + 1 as the version register states it
    std::uint8_t version = 0;
  };

  // STATUS_INSUFFICIENT_RESOURCES when full; STATUS_DEVICE_DOES_NOT_EXIST when the
  // version register reads all ones (nothing decodes the window: its reserved bits can
  // never read 1); STATUS_INVALID_PARAMETER_2 when the GSI range overlaps one already
  // registered. A chip claiming more than hw::ioapic::kMaxRedirectionEntries (120)
  // entries is registered with 120: an 8-bit IOREGSEL cannot select more, and writing
  // "entry 120" would hit the ID register. info().reported_pins keeps the claim and the
  // debug dump names the clamp.
  NTSTATUS add(hw::RegisterWindow& window, std::uint32_t gsi_base);

  [[nodiscard]] std::optional<IoApicPin> find(std::uint32_t gsi) const;
  [[nodiscard]] unsigned count() const { return count_; }
  [[nodiscard]] const Info& info(unsigned ioapic) const { return ioapic_[ioapic]; }
  [[nodiscard]] bool has_eoi_register(unsigned ioapic) const;
  [[nodiscard]] bool all_have_eoi_register() const;

  [[nodiscard]] std::uint64_t read_entry(IoApicPin p) const;
  // Masks the entry (low dword with the mask bit), writes the high dword (destination),
  // then the low dword: the pin never fires with a half-written entry.
  void write_entry(IoApicPin p, std::uint64_t entry) const;
  // Only the low dword: vector, mode and mask, destination unchanged.
  void write_low(IoApicPin p, std::uint32_t low) const;
  // Only the high dword: the destination.
  void write_high(IoApicPin p, std::uint32_t high) const;
  // Clears a stuck remote IRR: the EOI register where there is one, otherwise by
  // toggling the (masked) entry to edge and back, as Linux does on an 82093AA.
  void clear_remote_irr(IoApicPin p) const;
  // Directed EOI for a level line (version 0x20+ only).
  void eoi(IoApicPin p, std::uint8_t vector) const;

 private:
  [[nodiscard]] std::uint32_t read_reg(unsigned ioapic, std::uint8_t reg) const;
  void write_reg(unsigned ioapic, std::uint8_t reg, std::uint32_t value) const;

  std::array<Info, kMaxIoApics> ioapic_{};
  unsigned count_ = 0;
};

}  // namespace irqshape::kern
