#include "kern/interrupt_core.h"

namespace irqshape::kern {

InterruptCore::InterruptCore(Platform& p, PoolAllocator& a, const CoreConfig& config)
    : platform(p),
      pool(a),
      cpu_count(static_cast<unsigned>(config.apic_ids.size() > kMaxCpus ? kMaxCpus : config.apic_ids.size())),
      ioapic_extended_destination_id(config.ioapic_extended_destination_id),
      msi_format(config.msi_format),
      directed_eoi_requested(config.directed_eoi),
      vectors(cpu_count) {
  for (unsigned i = 0; i < cpu_count; ++i) apic_id[i] = config.apic_ids[i];
  for (unsigned i = 0; i < kMaxSources; ++i) sources[i].index = static_cast<std::uint16_t>(i);
}

}  // namespace irqshape::kern
