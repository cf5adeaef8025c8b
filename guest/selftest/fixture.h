// What every self-test works with: the boot context, the devices found on the bus and
// the test ISRs. Test ISRs take a Probe (or a Probe plus the device) as ServiceContext.
#pragma once

#include <cstdint>

#include "devices/edu.h"
#include "kern/interrupts.h"
#include "kernel/clock.h"
#include "selftest/probe.h"
#include "selftest/report.h"
#include "selftest/selftest.h"

namespace guest::selftest {

using namespace irqshape::kern;

inline constexpr std::uint64_t kWaitNs = 2000 * clock::kNsPerMs;

struct Fixture {
  explicit Fixture(const Context& c) : context(c) {}

  const Context& context;
  unsigned cpus = 1;
  edu::Device edus[edu::kMaxDevices];
  unsigned edu_count = 0;
  const edu::Device* msi_edu = nullptr;                     // MSI-capable, not on a shared INTx line
  const edu::Device* shared[2] = {nullptr, nullptr};        // two INTx pins on one GSI
  const edu::Device* intx_edu = nullptr;                    // for the level move

  [[nodiscard]] std::uint32_t apic_of(unsigned cpu) const;
  [[nodiscard]] KAFFINITY all_cpus() const { return first_cpus(cpus); }
};

void discover_devices(Fixture& f);

// A device the ISR services: its probe and the edu it acknowledges.
struct EduTarget {
  Probe probe;
  const edu::Device* device = nullptr;
};

// ISRs. probe_isr claims every call (an edge source without a status register: PIT);
// rtc_isr claims when register C shows the periodic flag; edu_isr claims when its
// device's status is nonzero and acknowledges it; declining_isr never claims.
bool probe_isr(KINTERRUPT* interrupt, void* probe);
bool rtc_isr(KINTERRUPT* interrupt, void* probe);
bool edu_isr(KINTERRUPT* interrupt, void* target);
bool declining_isr(KINTERRUPT* interrupt, void* probe);

// IoConnectInterrupt at the source's own run level.
NTSTATUS connect(KINTERRUPT** object, KSERVICE_ROUTINE isr, void* context, const SystemInterrupt& si,
                 KINTERRUPT_MODE mode, bool share, KAFFINITY cpus);

// The driver's last step, after IoDisconnectInterrupt and after the device was silenced:
// an interrupt the device raised just before the line was masked (or a message it sent)
// may still wait in a CPU's IRR. Every CPU takes what is pending while the vector still
// belongs to the source (counted there as unhandled), then the source is released.
// Without the flush it would arrive after the release as "unexpected" (docs/guest.md).
NTSTATUS release_source(const SystemInterrupt& si);
// The flush alone, for releasing many sources at once. A CPU still busy with earlier work
// (a sender that never finished) is not posted to: it is named on the console and
// counted in the result, and the release goes ahead (what it has pending may then be
// counted "unexpected").
unsigned flush_all_cpus();

// Waits until `probe` has seen at least `n` calls (or claims).
bool wait_calls(const Probe& probe, std::uint64_t n, std::uint64_t timeout_ns = kWaitNs);
bool wait_claims(const Probe& probe, std::uint64_t n, std::uint64_t timeout_ns = kWaitNs);

// The test groups (one file each). Each records exactly lines(cpus) TEST lines.
void platform_tests(Fixture& f);
unsigned platform_test_lines(unsigned cpus);
void vector_tests(Fixture& f);
unsigned vector_test_lines(unsigned cpus);
void affinity_tests(Fixture& f);
unsigned affinity_test_lines(unsigned cpus);
void move_tests(Fixture& f);
unsigned move_test_lines(unsigned cpus);
void connect_tests(Fixture& f);
unsigned connect_test_lines(unsigned cpus);
void shared_line_tests(Fixture& f);
unsigned shared_line_test_lines(unsigned cpus);
void uart_tests(Fixture& f);
unsigned uart_test_lines(unsigned cpus);
void counter_tests(Fixture& f);
unsigned counter_test_lines(unsigned cpus);

}  // namespace guest::selftest
