#include "hw/apic_bus.h"

namespace irqshape::hw {

bool ApicBus::attach(LocalApic& lapic) {
  if (lapic_count_ == kMaxLocalApics) return false;
  lapic_[lapic_count_++] = &lapic;
  lapic.set_port(this);
  return true;
}

bool ApicBus::attach(IoApic& ioapic) {
  if (ioapic_count_ == kMaxIoApics) return false;
  ioapic_[ioapic_count_++] = &ioapic;
  return true;
}

LocalApic* ApicBus::find(std::uint32_t apic_id) const {
  for (unsigned i = 0; i < lapic_count_; ++i)
    if (lapic_[i]->id() == apic_id) return lapic_[i];
  return nullptr;
}

bool ApicBus::targets(const LocalApic& lapic, const InterruptMessage& m) const {
  return m.destination_mode == DestinationMode::Physical ? lapic.matches_physical(m.destination)
                                                         : lapic.matches_logical(m.destination);
}

// Lowest-priority arbitration, made deterministic: a focus processor (one that already
// has the vector pending or in service) wins unless its SVR disables focus processor
// checking (bit 9, SDM vol. 3A 10.6.2.4 / 10.9), then the lowest processor priority,
// then the lowest APIC id.
LocalApic* ApicBus::lowest_priority_target(const InterruptMessage& m) const {
  LocalApic* best = nullptr;
  for (unsigned i = 0; i < lapic_count_; ++i) {
    LocalApic* l = lapic_[i];
    if (!targets(*l, m)) continue;
    if (!l->focus_check_disabled() && (l->irr().test(m.vector) || l->isr().test(m.vector))) return l;
    if (best == nullptr || l->ppr() < best->ppr() || (l->ppr() == best->ppr() && l->id() < best->id())) best = l;
  }
  return best;
}

bool ApicBus::deliver_to(LocalApic& lapic, const InterruptMessage& m) {
  // A level-triggered message with Level = 0 is a de-assert (the ICR's INIT level
  // de-assert, SDM 10.6.1; an MSI's data bit 14, SDM 10.11.2): it raises nothing. Edge
  // messages are always asserts. Nothing is left to retry, so it counts as taken.
  if (m.trigger_mode == TriggerMode::Level && !m.level_assert) return true;
  const bool vectored = m.delivery_mode == DeliveryMode::Fixed || m.delivery_mode == DeliveryMode::LowestPriority;
  if (!vectored) {
    lapic.accept_special(m);
    return true;
  }
  const LocalApic::Accept result = lapic.accept(m.vector, m.trigger_mode);
  const bool taken = result == LocalApic::Accept::Accepted || result == LocalApic::Accept::Merged;
  if (taken && observer_ != nullptr) observer_->accepted(lapic, m, result);
  return taken;
}

bool ApicBus::deliver(const InterruptMessage& m) {
  if (m.delivery_mode == DeliveryMode::LowestPriority) {
    LocalApic* target = lowest_priority_target(m);
    return target != nullptr && deliver_to(*target, m);
  }
  bool any = false;
  for (unsigned i = 0; i < lapic_count_; ++i)
    if (targets(*lapic_[i], m)) any = deliver_to(*lapic_[i], m) || any;
  return any;
}

void ApicBus::broadcast_eoi(std::uint8_t vector) {
  for (unsigned i = 0; i < ioapic_count_; ++i) ioapic_[i]->eoi(vector);
}

void ApicBus::send_ipi(std::uint32_t from_apic_id, const InterruptMessage& m, unsigned shorthand) {
  if (shorthand == 0) {
    deliver(m);
    return;
  }
  for (unsigned i = 0; i < lapic_count_; ++i) {
    const bool self = lapic_[i]->id() == from_apic_id;
    if ((shorthand == 1 && self) || shorthand == 2 || (shorthand == 3 && !self)) deliver_to(*lapic_[i], m);
  }
}

}  // namespace irqshape::hw
