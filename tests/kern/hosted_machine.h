// A machine for hosted tests of the interrupt core: src/hw models play the chips, OS
// threads (or the test thread, stepping by hand) play the CPUs.
//
// The models are not synchronized, so every model call goes through one mutex, like a
// chipset's single register port; the kernel under test must be correct with real
// concurrency around that. CPU threads sleep on a per-CPU doorbell that the APIC bus
// rings when it hands their local APIC a vector, so idle CPUs cost nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hw/apic_bus.h"
#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "kern/interrupts.h"

namespace irqshape::kern::testing {

// malloc-backed pool that counts live blocks and can be told to fail.
class MallocPool final : public PoolAllocator {
 public:
  void* allocate(std::size_t size, std::size_t alignment) override;
  void free(void* block, std::size_t size) override;
  std::atomic<long> live{0};
  std::atomic<long> allocations{0};
  std::atomic<bool> fail{false};
};

// EOIs on their way to the I/O APICs (MachineOptions::async_eoi): broadcast EOI
// messages from the local APICs and writes to an I/O APIC's EOI register, held until
// deliver(). Chipset mutex held for every call.
//
// Stronger than hardware in one way: a held directed EOI is not ordered before the same
// CPU's later writes to that I/O APIC, which hardware keeps in order (posted writes to one
// device). A test in which one CPU EOIs a line and then re-programs it itself (release
// and re-allocate on that CPU) sees the EOI land after the new entry - a stuck level line
// hardware would not have. The AsyncEoiMove tests move lines from the test thread while
// EOIs are held, which is the cross-CPU case and real.
class EoiQueue final : public hw::LocalApicPort {
 public:
  explicit EoiQueue(hw::ApicBus& bus) : bus_(bus) {}
  void broadcast_eoi(std::uint8_t vector) override { held_.push_back({nullptr, vector}); }
  void send_ipi(std::uint32_t from, const hw::InterruptMessage& m, unsigned shorthand) override {
    bus_.send_ipi(from, m, shorthand);
  }
  void directed_eoi(hw::IoApic& ioapic, std::uint32_t value) { held_.push_back({&ioapic, value}); }
  unsigned deliver();

 private:
  hw::ApicBus& bus_;
  std::vector<std::pair<hw::IoApic*, std::uint32_t>> held_;
};

// A RegisterWindow (I/O APIC, xAPIC page) reached through the chipset mutex. With an
// EoiQueue, writes to an I/O APIC's EOI register are held there.
class LockedWindow final : public hw::RegisterWindow {
 public:
  LockedWindow(hw::RegisterWindow& inner, std::mutex& mu, hw::IoApic* ioapic = nullptr, EoiQueue* eois = nullptr)
      : inner_(inner), mu_(mu), ioapic_(ioapic), eois_(eois) {}
  std::uint32_t read32(std::uint32_t offset) override;
  void write32(std::uint32_t offset, std::uint32_t value) override;

 private:
  hw::RegisterWindow& inner_;
  std::mutex& mu_;
  hw::IoApic* ioapic_;
  EoiQueue* eois_;
};

class LockedMsrPort final : public MsrPort {
 public:
  LockedMsrPort(hw::LocalApic& lapic, std::mutex& mu) : lapic_(lapic), mu_(mu) {}
  bool read_msr(std::uint32_t msr, std::uint64_t& value) override;
  bool write_msr(std::uint32_t msr, std::uint64_t value) override;

 private:
  hw::LocalApic& lapic_;
  std::mutex& mu_;
};

// IRQL, interrupt flag and "current CPU" are per OS thread: each thread is one CPU
// context. raise_irql below the current level is a kernel bug and is counted.
class HostedPlatform final : public Platform {
 public:
  static void bind(unsigned cpu);
  unsigned current_cpu() override;
  KIRQL current_irql() override;
  KIRQL raise_irql(KIRQL irql) override;
  void lower_irql(KIRQL irql) override;
  bool disable_interrupts() override;
  void restore_interrupts(bool were_enabled) override;
  void cpu_relax() override;
  LocalApicRegisters& local_apic(unsigned cpu) override { return *lapic_[cpu]; }

  std::vector<LocalApicRegisters*> lapic_;
  std::vector<std::unique_ptr<XApicRegisters>> xapic_;
  std::vector<std::unique_ptr<X2ApicRegisters>> x2apic_;
  std::atomic<long> irql_violations{0};
};

struct MachineOptions {
  std::vector<std::uint32_t> apic_ids{0, 1};
  hw::LocalApic::Mode mode = hw::LocalApic::Mode::XApic;
  std::vector<std::uint32_t> ioapic_gsi_bases{0};
  unsigned ioapic_pins = 24;
  std::uint8_t ioapic_version = hw::ioapic::kVersionIoxApic;
  bool extended_destination_id = false;
  bool directed_eoi = false;
  // EOIs (broadcast or directed) reach the I/O APICs only at deliver_eois(), as on
  // hardware where they arrive some time after the CPU's EOI write.
  bool async_eoi = false;
  hw::msi::DestinationFormat msi_format = hw::msi::DestinationFormat::XApic8;
  bool initialize = true;  // register I/O APICs and initialize every CPU
};

class HostedMachine final : private hw::DeliveryObserver {
 public:
  explicit HostedMachine(MachineOptions options = {});
  ~HostedMachine();

  InterruptCore& core() { return *core_; }
  MallocPool& pool() { return pool_; }
  HostedPlatform& platform() { return platform_; }
  std::mutex& chipset() { return mu_; }
  hw::IoApic& ioapic(unsigned i = 0) { return *ioapics_[i]; }
  hw::LocalApic& lapic(unsigned cpu) { return *lapics_[cpu]; }
  hw::RegisterWindow& ioapic_window(unsigned i = 0) { return *ioapic_windows_[i]; }
  unsigned cpus() const { return static_cast<unsigned>(lapics_.size()); }

  // Device side (GSI on the first I/O APIC whose range holds it).
  void pulse(std::uint32_t gsi);
  void set_line(std::uint32_t gsi, bool asserting);
  void set_wiring(std::uint32_t gsi, hw::Polarity active_level);
  std::uint64_t entry(std::uint32_t gsi);
  hw::IoApic::PinCounters pin_counters(std::uint32_t gsi);
  // async_eoi: lets the EOIs on their way reach the I/O APICs; returns how many.
  unsigned deliver_eois();

  // Manual stepping (no CPU threads): acknowledge the highest pending vector of `cpu`
  // and dispatch it on the calling thread. Returns the vector, or -1 if none.
  int step(unsigned cpu, std::optional<std::uint64_t> payload = std::nullopt);
  // Steps every CPU until none has anything deliverable; returns the dispatch count.
  unsigned run_until_idle();

  // CPU threads.
  void start_cpus();
  void stop_cpus();
  // Waits until no CPU thread is dispatching and no IRR/ISR bit is set anywhere.
  void quiesce();

 private:
  void accepted(hw::LocalApic& target, const hw::InterruptMessage& m, hw::LocalApic::Accept r) override;
  void cpu_loop(unsigned cpu);
  std::pair<hw::IoApic*, unsigned> locate(std::uint32_t gsi);

  std::mutex mu_;
  hw::ApicBus bus_;
  std::vector<std::unique_ptr<hw::LocalApic>> lapics_;
  std::vector<std::unique_ptr<hw::IoApic>> ioapics_;
  std::vector<std::unique_ptr<LockedWindow>> ioapic_windows_;
  std::vector<std::unique_ptr<LockedWindow>> lapic_windows_;
  std::vector<std::unique_ptr<LockedMsrPort>> msr_ports_;
  std::unique_ptr<EoiQueue> eois_;
  HostedPlatform platform_;
  MallocPool pool_;
  std::unique_ptr<InterruptCore> core_;

  std::vector<std::thread> threads_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> doorbell_;
  std::unique_ptr<std::atomic<bool>[]> busy_;
  std::atomic<bool> stop_{false};
};

}  // namespace irqshape::kern::testing
