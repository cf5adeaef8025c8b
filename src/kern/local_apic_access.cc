#include "kern/local_apic_access.h"

namespace irqshape::kern {

using namespace hw::lapic;

namespace {
// Fixed delivery, physical destination, level = assert, edge, no shorthand.
constexpr std::uint64_t ipi_command(std::uint8_t vector) {
  return icr::Vector::make(vector) | icr::Level::mask;
}
constexpr unsigned kIcrIdleSpins = 1000;
}  // namespace

bool LocalApicRegisters::pending_or_in_service(std::uint8_t vector) {
  const std::uint32_t word = (vector >> 5) * 0x10u;
  const std::uint32_t bit = 1u << (vector & 31);
  return ((read(kIrr0 + word) | read(kIsr0 + word)) & bit) != 0;
}

// xAPIC: destination in ICR high bits 31:24, then the low dword sends. A previous IPI
// still being sent shows as delivery status 1; wait (bounded) so it is not overwritten.
void XApicRegisters::send_ipi(std::uint32_t apic_id, std::uint8_t vector) {
  for (unsigned i = 0; i < kIcrIdleSpins && icr::DeliveryStatus::test(read(kIcrLow)); ++i) {
  }
  const std::uint64_t command = ipi_command(vector) | icr::XApicDestination::make(apic_id & 0xFF);
  write(kIcrHigh, static_cast<std::uint32_t>(command >> 32));
  write(kIcrLow, static_cast<std::uint32_t>(command));
}

std::uint32_t X2ApicRegisters::read(std::uint32_t offset) {
  std::uint64_t value = 0;
  if (!msr_.read_msr(x2apic_msr(offset), value)) return 0;
  return static_cast<std::uint32_t>(value);
}

void X2ApicRegisters::write(std::uint32_t offset, std::uint32_t value) {
  msr_.write_msr(x2apic_msr(offset), value);
}

// x2APIC: one 64-bit write of MSR 0x830 with the 32-bit destination in bits 63:32.
// That WRMSR is not serializing (SDM vol. 3A, 11.12.3): the platform's MsrPort fences
// before an ICR write (the guest's: MFENCE; LFENCE) so earlier stores are visible first.
void X2ApicRegisters::send_ipi(std::uint32_t apic_id, std::uint8_t vector) {
  msr_.write_msr(x2apic_msr(kIcrLow), ipi_command(vector) | icr::X2ApicDestination::make(apic_id));
}

}  // namespace irqshape::kern
