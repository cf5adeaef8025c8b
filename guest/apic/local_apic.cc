#include "apic/local_apic.h"

#include <new>

#include "apic/platform_vectors.h"
#include "apic/x2apic_msrs.h"
#include "arch/x86.h"
#include "devices/hpet.h"
#include "hw/interrupt_message.h"
#include "hw/lapic_regs.h"
#include "hw/register_window.h"
#include "kern/system_vectors.h"
#include "kernel/panic.h"

namespace guest::apic {

namespace {

using namespace irqshape::hw::lapic;
using irqshape::kern::LocalApicRegisters;

constexpr std::uint32_t kX2ApicMsrLast = 0x8FF;
constexpr std::uint32_t kMsrMcgCap = 0x179;        // IA32_MCG_CAP (SDM vol. 3B, 15.3.1.1)
constexpr std::uint64_t kMcgCapCmci = 1ull << 10;  // MCG_CMCI_P
constexpr std::uint32_t kCpuid1EdxMca = 1u << 14;  // CPUID.01H:EDX.MCA: IA32_MCG_CAP exists

// Refuses the MSRs that would #GP: those x2APIC lacks (x2apic_msrs.h) and the optional
// LVTs this processor does not implement (set_optional_lvts, once x2APIC is on).
class X2ApicMsrPort final : public irqshape::kern::MsrPort {
 public:
  void set_optional_lvts(OptionalLvts lvts) { lvts_ = lvts; }

  bool read_msr(std::uint32_t msr, std::uint64_t& value) override {
    if (is_apic(msr) && !x2apic_readable(offset_of(msr), lvts_)) return false;
    value = x86::rdmsr(msr);
    return true;
  }
  bool write_msr(std::uint32_t msr, std::uint64_t value) override {
    if (is_apic(msr) && !x2apic_writable(offset_of(msr), lvts_)) return false;
    if (msr == x2apic_msr(kIcrLow)) x86::weak_wrmsr_fence();  // every IPI: kern's send_ipi and send_raw
    x86::wrmsr(msr, value);
    return true;
  }

 private:
  static bool is_apic(std::uint32_t msr) { return msr >= kX2ApicMsrBase && msr <= kX2ApicMsrLast; }
  static std::uint32_t offset_of(std::uint32_t msr) { return (msr - kX2ApicMsrBase) << 4; }

  OptionalLvts lvts_{};  // none until read: their MSRs may #GP
};

Mode current_mode = Mode::XApic;
bool optional_lvts_read = false;
std::uint64_t apic_mmio_base = kDefaultBase;
irqshape::hw::MmioWindow* mmio_window = nullptr;
alignas(irqshape::hw::MmioWindow) unsigned char mmio_storage[sizeof(irqshape::hw::MmioWindow)];
X2ApicMsrPort msr_port;
alignas(irqshape::kern::XApicRegisters) unsigned char xapic_storage[sizeof(irqshape::kern::XApicRegisters)];
alignas(irqshape::kern::X2ApicRegisters) unsigned char x2apic_storage[sizeof(irqshape::kern::X2ApicRegisters)];
LocalApicRegisters* active_registers = nullptr;
std::uint64_t ticks_per_ms = 0;

// LVT timer (SDM vol. 3A, 10.5.4): one-shot mode is bits 18:17 = 00; divide
// configuration 0b0011 divides the bus clock by 16.
constexpr std::uint32_t kTimerDivideBy16 = 0x3;
constexpr std::uint64_t kCalibrationNs = 2'000'000;
constexpr std::uint32_t kTimerMaxCount = 0xFFFF'FFFF;
constexpr std::uint64_t kNanosecondsPerMs = 1'000'000;
// LVT delivery mode field (bits 10:8) for LINT1: NMI.
constexpr std::uint32_t kLvtDeliveryNmi = 0x4 << 8;
constexpr unsigned kIcrIdleSpins = 100'000;
// Reserved in the xAPIC register page (SDM vol. 3A, table 10-1: 0x040-0x070).
constexpr std::uint32_t kReservedOffset = 0x040;

// Where the xAPIC ICR is still sending the previous IPI (delivery status 1).
bool wait_icr_idle() {
  if (current_mode == Mode::X2Apic) return true;
  for (unsigned i = 0; i < kIcrIdleSpins; ++i) {
    if (!icr::DeliveryStatus::test(registers().read(kIcrLow))) return true;
    x86::pause();
  }
  return false;
}

bool send_raw(std::uint32_t apic_id, std::uint64_t command) {
  const bool were_enabled = (x86::read_rflags() & x86::kRflagsIf) != 0;
  x86::cli();
  bool ok = wait_icr_idle();
  if (ok) {
    if (current_mode == Mode::X2Apic) {
      ok = msr_port.write_msr(x2apic_msr(kIcrLow), command | icr::X2ApicDestination::make(apic_id));
    } else {
      registers().write(kIcrHigh, static_cast<std::uint32_t>(icr::XApicDestination::make(apic_id) >> 32));
      registers().write(kIcrLow, static_cast<std::uint32_t>(command));
      ok = wait_icr_idle();
    }
  }
  if (were_enabled) x86::sti();
  return ok;
}

std::uint64_t delivery(irqshape::hw::DeliveryMode mode) {
  return icr::DeliveryMode::make(static_cast<std::uint64_t>(mode));
}

}  // namespace

bool cpu_has_x2apic() { return (x86::cpuid(1).ecx & x86::kCpuid1EcxX2Apic) != 0; }

Mode select_mode(std::uint64_t mmio_base) {
  apic_mmio_base = mmio_base;
  current_mode = cpu_has_x2apic() ? Mode::X2Apic : Mode::XApic;
  if (current_mode == Mode::X2Apic) {
    active_registers = new (x2apic_storage) irqshape::kern::X2ApicRegisters(msr_port);
  } else {
    mmio_window = new (mmio_storage) irqshape::hw::MmioWindow(apic_mmio_base);
    active_registers = new (xapic_storage) irqshape::kern::XApicRegisters(*mmio_window);
  }
  return current_mode;
}

Mode mode() { return current_mode; }

void enable_this_cpu() {
  std::uint64_t base = x86::rdmsr(kMsrApicBase);
  if (current_mode == Mode::XApic && (base & apic_base::Base::mask) != apic_mmio_base) {
    panic("local APIC base differs from the MADT", base & apic_base::Base::mask);
  }
  base |= apic_base::GlobalEnable::mask;
  x86::wrmsr(kMsrApicBase, base);  // xAPIC first: EXTD may only be set from enabled xAPIC mode
  if (current_mode == Mode::X2Apic) {
    x86::wrmsr(kMsrApicBase, base | apic_base::X2ApicEnable::mask);
    // The BSP's LVT set serves every CPU, as the one adapter does (the local APICs of one
    // machine are alike). The version register is an MSR only once x2APIC is on.
    if (!optional_lvts_read) {
      const bool mca = (x86::cpuid(1).edx & kCpuid1EdxMca) != 0;
      const bool cmci = mca && (x86::rdmsr(kMsrMcgCap) & kMcgCapCmci) != 0;
      const auto version = static_cast<std::uint32_t>(x86::rdmsr(x2apic_msr(kVersion)));
      msr_port.set_optional_lvts(OptionalLvts::from(version, cmci));
      optional_lvts_read = true;
    }
  }
  LocalApicRegisters& r = registers();
  // Software-enable now (an AP comes out of INIT with SVR.APIC_ENABLED clear and could
  // not even take the wake-up IPI); kern's HalInitializeProcessor reprograms the SVR.
  r.write(kSvr, SvrVector::make(irqshape::kern::kSpuriousVector) | SvrSoftwareEnable::mask);
  r.write(kLvtLint0, kLvtResetValue);
  r.write(kLvtLint1, kLvtDeliveryNmi);
  r.write(kLvtTimer, kLvtResetValue | LvtVector::make(kTimerVector));
  r.write(kLvtError, LvtVector::make(kApicErrorVector));
  r.write(kEsr, 0);  // the ESR latches on write (SDM 10.5.3)
}

std::uint32_t id() {
  const std::uint32_t raw = registers().read(kId);
  return current_mode == Mode::X2Apic ? raw : XApicId::get(raw);
}

LocalApicRegisters& registers() { return *active_registers; }

bool send_init(std::uint32_t apic_id) {
  return send_raw(apic_id, delivery(irqshape::hw::DeliveryMode::Init) | icr::Level::mask);
}

bool send_startup(std::uint32_t apic_id, std::uint8_t page) {
  return send_raw(apic_id, delivery(irqshape::hw::DeliveryMode::StartUp) | icr::Level::mask | icr::Vector::make(page));
}

// kern's contract (local_apic_access.h): IPIs are sent with interrupts off, since an
// xAPIC send is two register writes a nested send would interleave.
void send_fixed(std::uint32_t apic_id, std::uint8_t vector) {
  const bool were_enabled = (x86::read_rflags() & x86::kRflagsIf) != 0;
  x86::cli();
  registers().send_ipi(apic_id, vector);
  if (were_enabled) x86::sti();
}

std::uint32_t read_error_status() {
  LocalApicRegisters& r = registers();
  r.write(kEsr, 0);
  return r.read(kEsr);
}

// ISR0..ISR7, 32 vectors each (SDM vol. 3A, 10.8.4).
std::uint32_t in_service_bits(unsigned word) { return registers().read(kIsr0 + word * 0x10u); }

bool in_service(std::uint8_t vector) { return (in_service_bits(vector / 32u) >> (vector % 32u) & 1u) != 0; }

std::uint8_t highest_in_service() {
  for (unsigned word = 8; word-- > 0;) {
    if (const std::uint32_t bits = in_service_bits(word); bits != 0)
      return static_cast<std::uint8_t>(word * 32 + 31 - __builtin_clz(bits));
  }
  return 0;
}

bool provoke_illegal_register_access() {
  if (current_mode != Mode::XApic) return false;
  (void)registers().read(kReservedOffset);
  return true;
}

void calibrate_timer() {
  LocalApicRegisters& r = registers();
  r.write(kTimerDivide, kTimerDivideBy16);
  r.write(kLvtTimer, kLvtResetValue | LvtVector::make(kTimerVector));
  const std::uint64_t start = hpet::nanoseconds();
  r.write(kTimerInitial, kTimerMaxCount);
  while (hpet::nanoseconds() - start < kCalibrationNs) x86::pause();
  const std::uint32_t elapsed = kTimerMaxCount - r.read(kTimerCurrent);
  const std::uint64_t ns = hpet::nanoseconds() - start;
  r.write(kTimerInitial, 0);
  ticks_per_ms = static_cast<std::uint64_t>(elapsed) * kNanosecondsPerMs / ns;
  if (ticks_per_ms == 0) panic("local APIC timer does not count");
}

void arm_timer_ns(std::uint64_t nanoseconds) {
  LocalApicRegisters& r = registers();
  std::uint64_t ticks = nanoseconds * ticks_per_ms / kNanosecondsPerMs;
  if (ticks == 0) ticks = 1;
  if (ticks > kTimerMaxCount) ticks = kTimerMaxCount;
  r.write(kTimerDivide, kTimerDivideBy16);
  r.write(kLvtTimer, LvtVector::make(kTimerVector));
  r.write(kTimerInitial, static_cast<std::uint32_t>(ticks));
}

void stop_timer() { registers().write(kTimerInitial, 0); }

std::uint64_t timer_ticks_per_ms() { return ticks_per_ms; }

}  // namespace guest::apic
