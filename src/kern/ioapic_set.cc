#include "kern/ioapic_set.h"

#include "hw/ioapic_regs.h"

namespace irqshape::kern {

using namespace hw::ioapic;

std::uint32_t IoApicSet::read_reg(unsigned ioapic, std::uint8_t reg) const {
  hw::RegisterWindow& w = *ioapic_[ioapic].window;
  w.write32(kIoRegSel, reg);
  return w.read32(kIoWin);
}

void IoApicSet::write_reg(unsigned ioapic, std::uint8_t reg, std::uint32_t value) const {
  hw::RegisterWindow& w = *ioapic_[ioapic].window;
  w.write32(kIoRegSel, reg);
  w.write32(kIoWin, value);
}

NTSTATUS IoApicSet::add(hw::RegisterWindow& window, std::uint32_t gsi_base) {
  if (count_ == kMaxIoApics) return STATUS_INSUFFICIENT_RESOURCES;
  window.write32(kIoRegSel, kRegVersion);
  const std::uint32_t version = window.read32(kIoWin);
  // A read nobody answers returns all ones; a real version register has reserved zeros
  // (bits 14:8, 31:24). Linux skips an I/O APIC whose registers read all ones, too.
  if (version == 0xFFFF'FFFFu) return STATUS_DEVICE_DOES_NOT_EXIST;
  Info info{&window, gsi_base, 0, 0, 0};
  info.reported_pins = MaxRedirectionEntry::get(version) + 1;
  info.pins = info.reported_pins < kMaxRedirectionEntries ? info.reported_pins : kMaxRedirectionEntries;
  info.version = static_cast<std::uint8_t>(VersionField::get(version));
  for (unsigned i = 0; i < count_; ++i) {
    const Info& o = ioapic_[i];
    if (gsi_base < o.gsi_base + o.pins && o.gsi_base < gsi_base + info.pins) return STATUS_INVALID_PARAMETER_2;
  }
  ioapic_[count_] = info;
  for (unsigned pin = 0; pin < info.pins; ++pin) {
    write_entry({static_cast<std::uint8_t>(count_), static_cast<std::uint8_t>(pin)}, rte::kResetValue);
  }
  ++count_;
  return STATUS_SUCCESS;
}

std::optional<IoApicPin> IoApicSet::find(std::uint32_t gsi) const {
  for (unsigned i = 0; i < count_; ++i) {
    const Info& o = ioapic_[i];
    if (gsi >= o.gsi_base && gsi - o.gsi_base < o.pins) {
      return IoApicPin{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(gsi - o.gsi_base)};
    }
  }
  return std::nullopt;
}

bool IoApicSet::has_eoi_register(unsigned ioapic) const { return ioapic_[ioapic].version >= kVersionIoxApic; }

bool IoApicSet::all_have_eoi_register() const {
  for (unsigned i = 0; i < count_; ++i)
    if (!has_eoi_register(i)) return false;
  return true;
}

std::uint64_t IoApicSet::read_entry(IoApicPin p) const {
  const std::uint64_t high = read_reg(p.ioapic, redirection_high(p.pin));
  return (high << 32) | read_reg(p.ioapic, redirection_low(p.pin));
}

void IoApicSet::write_entry(IoApicPin p, std::uint64_t entry) const {
  const auto low = static_cast<std::uint32_t>(entry);
  write_reg(p.ioapic, redirection_low(p.pin), read_reg(p.ioapic, redirection_low(p.pin)) | rte::Mask::mask);
  write_reg(p.ioapic, redirection_high(p.pin), static_cast<std::uint32_t>(entry >> 32));
  write_reg(p.ioapic, redirection_low(p.pin), low);
}

void IoApicSet::write_low(IoApicPin p, std::uint32_t low) const { write_reg(p.ioapic, redirection_low(p.pin), low); }

void IoApicSet::write_high(IoApicPin p, std::uint32_t high) const {
  write_reg(p.ioapic, redirection_high(p.pin), high);
}

void IoApicSet::clear_remote_irr(IoApicPin p) const {
  const std::uint64_t entry = read_entry(p);
  if (!rte::RemoteIrr::test(entry)) return;
  if (has_eoi_register(p.ioapic)) {
    eoi(p, static_cast<std::uint8_t>(rte::Vector::get(entry)));
    return;
  }
  const auto masked = static_cast<std::uint32_t>(entry | rte::Mask::mask);
  write_low(p, masked & ~static_cast<std::uint32_t>(rte::TriggerMode::mask));
  write_low(p, masked);
}

void IoApicSet::eoi(IoApicPin p, std::uint8_t vector) const { ioapic_[p.ioapic].window->write32(kEoi, vector); }

}  // namespace irqshape::kern
