#include "hosted_machine.h"

#include <chrono>
#include <cstdlib>

namespace irqshape::kern::testing {

void* MallocPool::allocate(std::size_t size, std::size_t alignment) {
  if (fail.load()) return nullptr;
  const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, rounded);
  if (p != nullptr) ++live, ++allocations;
  return p;
}

void MallocPool::free(void* block, std::size_t) {
  std::free(block);
  --live;
}

std::uint32_t LockedWindow::read32(std::uint32_t offset) {
  std::lock_guard<std::mutex> g(mu_);
  return inner_.read32(offset);
}

void LockedWindow::write32(std::uint32_t offset, std::uint32_t value) {
  std::lock_guard<std::mutex> g(mu_);
  if (eois_ != nullptr && ioapic_ != nullptr && offset == hw::ioapic::kEoi) {
    eois_->directed_eoi(*ioapic_, value);
    return;
  }
  inner_.write32(offset, value);
}

unsigned EoiQueue::deliver() {
  std::vector<std::pair<hw::IoApic*, std::uint32_t>> now;
  now.swap(held_);
  for (auto [ioapic, value] : now) {
    if (ioapic != nullptr) {
      ioapic->write32(hw::ioapic::kEoi, value);
    } else {
      bus_.broadcast_eoi(static_cast<std::uint8_t>(value));
    }
  }
  return static_cast<unsigned>(now.size());
}

bool LockedMsrPort::read_msr(std::uint32_t msr, std::uint64_t& value) {
  std::lock_guard<std::mutex> g(mu_);
  return lapic_.read_msr(msr, value);
}

bool LockedMsrPort::write_msr(std::uint32_t msr, std::uint64_t value) {
  std::lock_guard<std::mutex> g(mu_);
  return lapic_.write_msr(msr, value);
}

namespace {
struct ThreadCpu {
  unsigned cpu = 0;
  KIRQL irql = PASSIVE_LEVEL;
  bool interrupts_enabled = true;
};
thread_local ThreadCpu t_cpu;
}  // namespace

void HostedPlatform::bind(unsigned cpu) { t_cpu = ThreadCpu{cpu, PASSIVE_LEVEL, true}; }
unsigned HostedPlatform::current_cpu() { return t_cpu.cpu; }
KIRQL HostedPlatform::current_irql() { return t_cpu.irql; }

KIRQL HostedPlatform::raise_irql(KIRQL irql) {
  const KIRQL old = t_cpu.irql;
  if (irql < old) ++irql_violations;
  t_cpu.irql = irql;
  return old;
}

void HostedPlatform::lower_irql(KIRQL irql) {
  if (irql > t_cpu.irql) ++irql_violations;
  t_cpu.irql = irql;
}

bool HostedPlatform::disable_interrupts() {
  const bool was = t_cpu.interrupts_enabled;
  t_cpu.interrupts_enabled = false;
  return was;
}

void HostedPlatform::restore_interrupts(bool were_enabled) { t_cpu.interrupts_enabled = were_enabled; }

void HostedPlatform::cpu_relax() { std::this_thread::yield(); }

HostedMachine::HostedMachine(MachineOptions o) {
  const auto n = static_cast<unsigned>(o.apic_ids.size());
  doorbell_ = std::make_unique<std::atomic<std::uint32_t>[]>(n);
  busy_ = std::make_unique<std::atomic<bool>[]>(n);
  bus_.set_observer(this);
  if (o.async_eoi) eois_ = std::make_unique<EoiQueue>(bus_);
  for (unsigned cpu = 0; cpu < n; ++cpu) {
    lapics_.push_back(std::make_unique<hw::LocalApic>(o.apic_ids[cpu], o.mode));
    bus_.attach(*lapics_.back());
    if (eois_) lapics_.back()->set_port(eois_.get());
    if (o.mode == hw::LocalApic::Mode::XApic) {
      lapic_windows_.push_back(std::make_unique<LockedWindow>(*lapics_.back(), mu_));
      platform_.xapic_.push_back(std::make_unique<XApicRegisters>(*lapic_windows_.back()));
      platform_.lapic_.push_back(platform_.xapic_.back().get());
    } else {
      msr_ports_.push_back(std::make_unique<LockedMsrPort>(*lapics_.back(), mu_));
      platform_.x2apic_.push_back(std::make_unique<X2ApicRegisters>(*msr_ports_.back()));
      platform_.lapic_.push_back(platform_.x2apic_.back().get());
    }
  }
  for (std::uint32_t base : o.ioapic_gsi_bases) {
    hw::IoApic::Config c{.id = static_cast<std::uint8_t>(ioapics_.size()), .pins = o.ioapic_pins, .gsi_base = base,
                         .version = o.ioapic_version, .extended_destination_id = o.extended_destination_id};
    ioapics_.push_back(std::make_unique<hw::IoApic>(c, bus_));
    bus_.attach(*ioapics_.back());
    ioapic_windows_.push_back(std::make_unique<LockedWindow>(*ioapics_.back(), mu_, ioapics_.back().get(), eois_.get()));
  }
  CoreConfig config{o.apic_ids, o.extended_destination_id, o.msi_format, o.directed_eoi};
  core_ = std::make_unique<InterruptCore>(platform_, pool_, config);
  HostedPlatform::bind(0);
  if (!o.initialize) return;
  for (std::size_t i = 0; i < ioapics_.size(); ++i) HalRegisterIoApic(*core_, *ioapic_windows_[i], o.ioapic_gsi_bases[i]);
  for (unsigned cpu = 0; cpu < n; ++cpu) HalInitializeProcessor(*core_, cpu);
}

HostedMachine::~HostedMachine() { stop_cpus(); }

void HostedMachine::accepted(hw::LocalApic& target, const hw::InterruptMessage&, hw::LocalApic::Accept) {
  for (unsigned cpu = 0; cpu < lapics_.size(); ++cpu) {
    if (lapics_[cpu].get() != &target) continue;
    doorbell_[cpu].fetch_add(1, std::memory_order_release);
    doorbell_[cpu].notify_all();
  }
}

std::pair<hw::IoApic*, unsigned> HostedMachine::locate(std::uint32_t gsi) {
  for (auto& io : ioapics_)
    if (gsi >= io->gsi_base() && gsi - io->gsi_base() < io->pins()) return {io.get(), gsi - io->gsi_base()};
  std::abort();
}

void HostedMachine::pulse(std::uint32_t gsi) {
  auto [io, pin] = locate(gsi);
  std::lock_guard<std::mutex> g(mu_);
  io->pulse(pin);
}

void HostedMachine::set_line(std::uint32_t gsi, bool asserting) {
  auto [io, pin] = locate(gsi);
  std::lock_guard<std::mutex> g(mu_);
  io->set_line(pin, asserting);
}

void HostedMachine::set_wiring(std::uint32_t gsi, hw::Polarity active_level) {
  auto [io, pin] = locate(gsi);
  std::lock_guard<std::mutex> g(mu_);
  io->set_wiring(pin, active_level);
}

std::uint64_t HostedMachine::entry(std::uint32_t gsi) {
  auto [io, pin] = locate(gsi);
  std::lock_guard<std::mutex> g(mu_);
  return io->entry(pin);
}

hw::IoApic::PinCounters HostedMachine::pin_counters(std::uint32_t gsi) {
  auto [io, pin] = locate(gsi);
  std::lock_guard<std::mutex> g(mu_);
  return io->counters(pin);
}

unsigned HostedMachine::deliver_eois() {
  if (!eois_) return 0;
  std::lock_guard<std::mutex> g(mu_);
  return eois_->deliver();
}

int HostedMachine::step(unsigned cpu, std::optional<std::uint64_t> payload) {
  int v = -1;
  {
    std::lock_guard<std::mutex> g(mu_);
    v = lapics_[cpu]->pending_vector();
    if (v >= 0) lapics_[cpu]->acknowledge();
  }
  if (v < 0) return -1;
  const unsigned caller = platform_.current_cpu();
  HostedPlatform::bind(cpu);
  KiInterruptDispatch(*core_, cpu, static_cast<std::uint8_t>(v), payload);
  HostedPlatform::bind(caller);
  return v;
}

unsigned HostedMachine::run_until_idle() {
  unsigned n = 0;
  for (bool any = true; any;) {
    any = false;
    for (unsigned cpu = 0; cpu < cpus(); ++cpu) {
      if (step(cpu) >= 0) any = true, ++n;
    }
  }
  return n;
}

void HostedMachine::cpu_loop(unsigned cpu) {
  HostedPlatform::bind(cpu);
  hw::LocalApic& lapic = *lapics_[cpu];
  while (!stop_.load(std::memory_order_acquire)) {
    const std::uint32_t seen = doorbell_[cpu].load(std::memory_order_acquire);
    int v = -1;
    {
      std::lock_guard<std::mutex> g(mu_);
      v = lapic.pending_vector();
      if (v >= 0) {
        lapic.acknowledge();
        busy_[cpu].store(true, std::memory_order_relaxed);
      }
    }
    if (v < 0) {
      // Poll briefly (a real CPU is always there), then sleep until the bus rings.
      for (int i = 0; i < 4000 && doorbell_[cpu].load(std::memory_order_acquire) == seen; ++i) {
        __builtin_ia32_pause();
      }
      doorbell_[cpu].wait(seen, std::memory_order_acquire);
      continue;
    }
    KiInterruptDispatch(*core_, cpu, static_cast<std::uint8_t>(v));
    busy_[cpu].store(false, std::memory_order_release);
  }
}

void HostedMachine::start_cpus() {
  stop_.store(false);
  for (unsigned cpu = 0; cpu < cpus(); ++cpu) threads_.emplace_back([this, cpu] { cpu_loop(cpu); });
}

void HostedMachine::stop_cpus() {
  if (threads_.empty()) return;
  stop_.store(true, std::memory_order_release);
  for (unsigned cpu = 0; cpu < cpus(); ++cpu) {
    doorbell_[cpu].fetch_add(1, std::memory_order_release);
    doorbell_[cpu].notify_all();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void HostedMachine::quiesce() {
  for (;;) {
    bool idle = true;
    {
      std::lock_guard<std::mutex> g(mu_);
      for (unsigned cpu = 0; cpu < cpus(); ++cpu) {
        idle = idle && lapics_[cpu]->irr().empty() && lapics_[cpu]->isr().empty() &&
               !busy_[cpu].load(std::memory_order_acquire);
      }
    }
    if (idle) return;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

}  // namespace irqshape::kern::testing
