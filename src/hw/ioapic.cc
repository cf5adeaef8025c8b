#include "hw/ioapic.h"

namespace irqshape::hw {

using namespace ioapic;

IoApic::IoApic(const Config& config, InterruptSink& sink)
    : sink_(sink),
      pins_(config.pins == 0 ? 1 : (config.pins > kMaxPins ? kMaxPins : config.pins)),
      gsi_base_(config.gsi_base),
      version_(config.version),
      extended_destination_id_(config.extended_destination_id),
      id_(static_cast<std::uint8_t>(config.id & IdField::max)) {}

std::uint32_t IoApic::read32(std::uint32_t offset) {
  switch (offset) {
    case kIoRegSel: return regsel_;
    case kIoWin: return read_indirect(regsel_);
    default: return 0;  // EOI is write-only; unmapped offsets read as zero
  }
}

void IoApic::write32(std::uint32_t offset, std::uint32_t value) {
  switch (offset) {
    case kIoRegSel: regsel_ = static_cast<std::uint8_t>(IoRegSelAddress::get(value)); break;
    case kIoWin: write_indirect(regsel_, value); break;
    case kEoi:
      if (version_ >= kVersionIoxApic) eoi(static_cast<std::uint8_t>(value & 0xFF));
      break;
    default: break;
  }
}

std::uint32_t IoApic::read_indirect(std::uint8_t reg) const {
  if (reg == kRegId) return IdField::make(id_);
  if (reg == kRegVersion) return VersionField::make(version_) | MaxRedirectionEntry::make(pins_ - 1);
  if (reg == kRegArbitration) return ArbitrationIdField::make(id_);
  if (reg < kRegRedirectionBase) return 0;
  const unsigned pin = (reg - kRegRedirectionBase) / 2u;
  if (pin >= pins_) return 0;
  const std::uint64_t rte = pin_[pin].rte;
  return static_cast<std::uint32_t>((reg & 1) ? rte >> 32 : rte);
}

void IoApic::write_indirect(std::uint8_t reg, std::uint32_t value) {
  if (reg == kRegId) {
    id_ = static_cast<std::uint8_t>(IdField::get(value));  // also loads the arbitration id
    return;
  }
  if (reg < kRegRedirectionBase) return;  // version and arbitration are read-only
  const unsigned pin = (reg - kRegRedirectionBase) / 2u;
  if (pin >= pins_) return;
  const std::uint64_t old = pin_[pin].rte;
  const std::uint64_t v = value;
  write_entry(pin, (reg & 1) ? (old & 0xFFFF'FFFFull) | (v << 32) : (old & ~0xFFFF'FFFFull) | v);
}

std::uint64_t IoApic::writable_mask() const {
  std::uint64_t m = rte::kDefinedMask & ~rte::kReadOnlyMask;
  if (extended_destination_id_) m |= rte::ExtendedDestination::mask;
  return m;
}

// Reserved bits read as zero and read-only bits keep their state. Changing the trigger
// mode to edge clears remote IRR; a polarity change is seen as a change of the input.
// A level input is sampled, not latched: after any write that leaves the entry level,
// unmasked, asserted and with remote IRR clear, the entry is serviced (as KVM does after
// every redirection write). Unmasking, switching edge to level while the line is held,
// fixing a reserved delivery mode and rewriting after a refused delivery all end there.
// Nothing can be outstanding for such an entry - an accepted message would have set
// remote IRR - so nothing is sent twice; a refused one (Delivery Status 1) is retried by
// this write, which clears Delivery Status if the sink takes it.
void IoApic::write_entry(unsigned pin, std::uint64_t value) {
  Pin& p = pin_[pin];
  const bool was_active = active(pin);
  const std::uint64_t old = p.rte;
  std::uint64_t next = (value & writable_mask()) | (old & rte::kReadOnlyMask);
  if (!rte::TriggerMode::test(next)) next &= ~rte::RemoteIrr::mask;
  p.rte = next;

  if (active(pin) != was_active) {
    input_changed(pin, was_active);
  } else if (level_triggered(next) && active(pin) && !rte::Mask::test(next) &&
             !rte::RemoteIrr::test(next)) {
    deliver(pin);
  }
}

bool IoApic::level_triggered(std::uint64_t e) {
  if (!rte::TriggerMode::test(e)) return false;
  const auto mode = static_cast<DeliveryMode>(rte::DeliveryMode::get(e));
  return mode == DeliveryMode::Fixed || mode == DeliveryMode::LowestPriority;
}

bool IoApic::active(unsigned pin) const {
  const Pin& p = pin_[pin];
  const bool electrical_high = p.asserting != (p.wiring == Polarity::ActiveLow);
  const bool active_low = rte::Polarity::test(p.rte);
  return electrical_high != active_low;
}

void IoApic::set_line(unsigned pin, bool asserting) {
  if (pin >= pins_) return;
  const bool was_active = active(pin);
  pin_[pin].asserting = asserting;
  if (active(pin) != was_active) input_changed(pin, was_active);
}

void IoApic::set_wiring(unsigned pin, Polarity active_level) {
  if (pin >= pins_) return;
  const bool was_active = active(pin);
  pin_[pin].wiring = active_level;
  if (active(pin) != was_active) input_changed(pin, was_active);
}

void IoApic::input_changed(unsigned pin, bool was_active) {
  Pin& p = pin_[pin];
  const bool now_active = !was_active;
  if (!now_active) return;  // deasserts send nothing; a level line simply stops re-firing
  if (rte::Mask::test(p.rte)) {
    if (!level_triggered(p.rte)) ++p.counters.masked_edges;
    return;
  }
  if (level_triggered(p.rte) && rte::RemoteIrr::test(p.rte)) return;
  deliver(pin);
}

void IoApic::deliver(unsigned pin) {
  Pin& p = pin_[pin];
  const std::uint64_t e = p.rte;
  if (!is_valid_delivery_mode(static_cast<unsigned>(rte::DeliveryMode::get(e)))) {
    ++p.counters.reserved_mode;  // undefined on the chip: the model sends nothing
    return;
  }
  InterruptMessage m;
  m.vector = static_cast<std::uint8_t>(rte::Vector::get(e));
  m.delivery_mode = static_cast<DeliveryMode>(rte::DeliveryMode::get(e));
  m.destination_mode = static_cast<DestinationMode>(rte::DestinationMode::get(e));
  m.trigger_mode = level_triggered(e) ? TriggerMode::Level : TriggerMode::Edge;
  m.destination = static_cast<std::uint32_t>(rte::Destination::get(e));
  if (extended_destination_id_) {
    m.destination |= static_cast<std::uint32_t>(rte::ExtendedDestination::get(e)) << 8;
  }
  m.level_assert = true;
  m.source = gsi_base_ + pin;

  if (sink_.deliver(m)) {
    ++p.counters.delivered;
    p.rte &= ~rte::DeliveryStatus::mask;
    if (m.trigger_mode == TriggerMode::Level) p.rte |= rte::RemoteIrr::mask;
  } else {
    ++p.counters.refused;
    p.rte |= rte::DeliveryStatus::mask;
  }
}

void IoApic::eoi(std::uint8_t vector) {
  for (unsigned pin = 0; pin < pins_; ++pin) {
    Pin& p = pin_[pin];
    if (!level_triggered(p.rte) || !rte::RemoteIrr::test(p.rte)) continue;
    if (rte::Vector::get(p.rte) != vector) continue;
    p.rte &= ~rte::RemoteIrr::mask;
    if (active(pin) && !rte::Mask::test(p.rte)) deliver(pin);
  }
}

void IoApic::retry_pending() {
  for (unsigned pin = 0; pin < pins_; ++pin) {
    Pin& p = pin_[pin];
    if (!rte::DeliveryStatus::test(p.rte) || rte::Mask::test(p.rte)) continue;
    const bool level = level_triggered(p.rte);
    if (level && !active(pin)) {
      p.rte &= ~rte::DeliveryStatus::mask;  // the device withdrew its request
      continue;
    }
    deliver(pin);
  }
}

}  // namespace irqshape::hw
