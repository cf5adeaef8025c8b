// A Scenario is a plain value that describes one simulated run completely: the virtual
// machine (vCPUs, local APIC mode, delivery path and its costs), the interrupt sources
// with how each is wired (MSI, I/O APIC pin with its trigger mode and electrical
// polarity) and the workload behind each, the duration and the seed. The same Scenario
// run under two policies gives the same device randomness (see random.h), so the
// difference in the results is the policy's.
//
// Built-in scenarios (demo_scenario) and trace conversion (replay.h) produce one; tests
// build small ones by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "hw/interrupt_message.h"
#include "sim/policy.h"
#include "sim/random.h"

namespace irqshape::sim {

inline constexpr Nanos kUs = 1'000;
inline constexpr Nanos kMs = 1'000'000;
inline constexpr Nanos kSec = 1'000'000'000;

[[nodiscard]] constexpr double to_seconds(Nanos ns) { return static_cast<double>(ns) / 1e9; }

// ---- how an interrupt reaches the guest ----

enum class DeliveryPath : std::uint8_t {
  // Posted interrupts (Intel APICv / AMD AVIC): an interrupt for a running vCPU is
  // recorded in its posted-interrupt descriptor and taken without a VM exit; a halted
  // vCPU is woken by the host (a notification and a wake-up). EOIs of edge vectors are
  // virtualized (no exit); EOIs of level vectors exit (EOI-exit bitmap), because the
  // host's I/O APIC must see them.
  Posted,
  // Exit-based injection: the host kicks a running vCPU out (an IPI, an external-interrupt
  // exit), injects the vector on the next entry, and every EOI write exits (x2APIC: a
  // WRMSR exit; xAPIC: an APIC-access exit).
  ExitBased,
};

// Cost parameters, in nanoseconds. Defaults and where they come from: docs/simulator.md.
struct Costs {
  DeliveryPath path = DeliveryPath::Posted;
  Nanos posted_delivery_ns = 400;   // running vCPU: notification IPI to the guest vector (no exit)
  Nanos kick_exit_ns = 1'500;       // exit-based: IPI + external-interrupt exit + injection + entry
  Nanos eoi_exit_ns = 1'000;        // an EOI write that exits (MSR write / APIC access) and re-enters
  Nanos wakeup_ns = 4'000;          // halted vCPU: host wakes the vCPU thread and enters the guest
  Nanos guest_dispatch_ns = 500;    // guest IDT entry, the kernel's dispatcher, IRET (per interrupt)
  bool hlt_exits = true;            // an idle vCPU executes HLT and exits (KVM default)
};

// ---- workloads ----

// Open-loop arrival processes: device events happen when the process says, whatever
// the guest does. Each becomes one device event (a packet, a timer tick, a sensor).
struct RateChange {  // from `at_ns` on, a Poisson source's rate is `rate_per_s` (0: silent)
  Nanos at_ns = 0;
  double rate_per_s = 0;
};
struct Poisson {
  double rate_per_s = 0;
  // Piecewise rate (a load that changes mid-run): each change applies from its time on,
  // times strictly increasing. Gaps are exponential at the rate in force; a gap that
  // would cross a change is redrawn from the change at the new rate (exact for a
  // Poisson process, which is memoryless). Empty: the rate is constant.
  std::vector<RateChange> changes{};
};
struct OnOff {  // bursty: Poisson at rate_per_s during "on" periods, silence during "off"
  double rate_per_s = 0;
  Nanos on_mean_ns = 0;   // exponential period lengths
  Nanos off_mean_ns = 0;
};
struct Periodic {
  Nanos period_ns = 0;
  Nanos jitter_ns = 0;    // each tick uniformly in [k*period, k*period + jitter)
  Nanos phase_ns = 0;
};
struct Follow {  // correlated: "B fires delay +- jitter after each event of A" (with probability)
  std::uint32_t leader = 0;  // index of source A in Scenario::sources (must come before this one)
  Nanos delay_ns = 0;
  Nanos jitter_ns = 0;       // uniform in [delay - jitter, delay + jitter]
  double probability = 1.0;
};
struct Recorded {  // trace-driven: arrival times as captured, relative to the start of the run
  std::vector<Nanos> times;
};
using Arrivals = std::variant<Poisson, OnOff, Periodic, Follow, Recorded>;

// Request/completion devices (block, network request/response). A request is issued,
// served by the device, and its completion is a device event; the requester learns of
// it when the ISR has served that event.
struct ClosedLoop {        // `queue_depth` requesters, each: issue, wait for the ISR, think, issue
  unsigned queue_depth = 1;
  Dist think;              // between the completion reaching the requester and the next issue
};
struct OpenLoopRequests {  // requests arrive whatever the guest does
  Arrivals arrivals;
};
struct RecordedRequest {   // trace-driven closed loop (replay --closed-loop)
  Nanos service_ns = 0;
  Nanos think_ns = 0;
  bool after_completion = false;  // issued think_ns after a completion (else after the previous issue)
  bool urgent = false;
  std::uint32_t bytes = 0;
};
struct RecordedRequests {
  Nanos first_issue_ns = 0;
  std::vector<RecordedRequest> requests;
};
using Issue = std::variant<ClosedLoop, OpenLoopRequests, RecordedRequests>;

struct Requests {
  Issue issue;
  Dist service;                 // ignored for RecordedRequests (each carries its own)
  unsigned servers = 0;         // requests the device serves at once; 0: unlimited (deep parallelism)
  double urgent_fraction = 0;   // requests flagged urgent (cinterrupts' URGENT hint)
  std::uint32_t bytes = 4096;
};

using Workload = std::variant<Arrivals, Requests>;

// ---- sources ----

enum class Wiring : std::uint8_t {
  Msi,        // MSI / MSI-X: a message written by the device
  IoApicPin,  // a line into the I/O APIC: edge or level, active high or low
};

struct SourceSpec {
  std::string name;                 // "eth0-rx-0", "nvme0q1", "timer"
  SourceKind cls = SourceKind::other;
  Wiring wiring = Wiring::Msi;
  // Pins only. An ISA IRQ (resolved through the interrupt source overrides: IRQ 0 is GSI
  // 2 on a PC) or a GSI; trigger and polarity as the kernel programs them (unset: the bus
  // default the kernel applies: ISA edge/high, PCI level/low). `wire_active_low` is the
  // electrical level of the device's output, which must agree with what the kernel
  // programs for the interrupt to arrive (a mismatch is a real, and modelled, bug).
  bool isa_irq = false;
  std::uint32_t line = 0;
  std::optional<hw::TriggerMode> trigger;
  std::optional<hw::Polarity> polarity;
  bool wire_active_low = false;
  unsigned cpu = 0;                 // vCPU the guest routes it to
  std::uint8_t irql = 6;            // run level (3..12); the vector's priority class
  Nanos isr_base_ns = 1'000;        // driver ISR: fixed part per invocation
  Nanos isr_per_event_ns = 250;     // driver ISR: per event served
  std::uint32_t event_bytes = 0;    // payload per event of open-loop arrivals (DeviceEvent::bytes)
  Workload workload;
};

// Background guest work per vCPU: busy periods (running guest code, interrupts arrive
// without a wake-up) alternate with idle periods (the vCPU halts).
struct VcpuLoad {
  double busy_fraction = 0;     // 0: idle unless handling interrupts; 1: always busy
  Nanos busy_period_ns = 200 * kUs;  // mean length of a busy period (exponential)
};

struct Scenario {
  std::string name = "custom";
  unsigned vcpus = 1;                    // 1..64
  bool x2apic = true;                    // x2APIC: EOI is an MSR write; xAPIC: an MMIO write
  bool directed_eoi = false;             // level lines EOI'd at the I/O APIC register (KVM's in-kernel I/O APIC has none)
  Costs costs;
  std::vector<VcpuLoad> load;            // per vCPU; missing entries: idle
  std::vector<SourceSpec> sources;
  Nanos duration_ns = 1 * kSec;          // sources stop generating at this time; the run then drains
  std::uint64_t seed = 1;

  // Checks what the simulator cannot run, naming the source and field.
  [[nodiscard]] Status validate() const;
};

[[nodiscard]] std::string_view to_string(DeliveryPath p);
// "Poisson 40000/s", "closed loop QD 32, service lognormal 80 us", ...; `sources` (the
// scenario's) names the source a follower follows.
[[nodiscard]] std::string describe(const Workload& w, const std::vector<SourceSpec>& sources);
[[nodiscard]] bool is_request_source(const SourceSpec& s);
[[nodiscard]] bool is_closed_loop(const SourceSpec& s);

// The built-in scenario of `irqshape demo`: a 4-vCPU guest with a 4-queue NIC, an
// NVMe-like disk at queue depth 1 and one at 32, a timer on ISA IRQ 0 and a correlated
// pair of INTx devices. See docs/simulator.md for every number in it.
[[nodiscard]] Scenario demo_scenario(Nanos duration = 1 * kSec, std::uint64_t seed = 1);

}  // namespace irqshape::sim
