#include "kern/source_override.h"

namespace irqshape::kern {

NTSTATUS SourceOverrideTable::add(const SourceOverride& o) {
  if (o.isa_irq >= kIsaIrqs) return STATUS_INVALID_PARAMETER_1;
  for (unsigned i = 0; i < count_; ++i) {
    if (entries_[i].isa_irq == o.isa_irq) {
      entries_[i] = o;
      return STATUS_SUCCESS;
    }
  }
  if (count_ == kMaxOverrides) return STATUS_INSUFFICIENT_RESOURCES;
  entries_[count_++] = o;
  return STATUS_SUCCESS;
}

const SourceOverride* SourceOverrideTable::by_irq(std::uint32_t irq) const {
  for (unsigned i = 0; i < count_; ++i)
    if (entries_[i].isa_irq == irq) return &entries_[i];
  return nullptr;
}

const SourceOverride* SourceOverrideTable::by_gsi(std::uint32_t gsi) const {
  for (unsigned i = 0; i < count_; ++i)
    if (entries_[i].gsi == gsi) return &entries_[i];
  return nullptr;
}

NTSTATUS SourceOverrideTable::resolve(const LineRequest& request, ResolvedLine& out) const {
  const SourceOverride* o = nullptr;
  bool isa = false;
  if (request.kind == LineRequest::Kind::IsaIrq) {
    if (request.number >= kIsaIrqs) return STATUS_INVALID_PARAMETER_1;
    o = by_irq(request.number);
    out.gsi = o != nullptr ? o->gsi : request.number;
    isa = true;
  } else {
    out.gsi = request.number;
    o = by_gsi(request.number);
    // An identity-mapped ISA GSI is ISA unless some override moved its IRQ elsewhere.
    isa = o != nullptr || (request.number < kIsaIrqs && by_irq(request.number) == nullptr);
  }
  const hw::TriggerMode bus_trigger = isa ? hw::TriggerMode::Edge : hw::TriggerMode::Level;
  const hw::Polarity bus_polarity = isa ? hw::Polarity::ActiveHigh : hw::Polarity::ActiveLow;
  out.trigger = request.trigger.value_or(o != nullptr ? o->trigger.value_or(bus_trigger) : bus_trigger);
  out.polarity = request.polarity.value_or(o != nullptr ? o->polarity.value_or(bus_polarity) : bus_polarity);
  return STATUS_SUCCESS;
}

}  // namespace irqshape::kern
