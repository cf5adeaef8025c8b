// What one run measures: per source, per vCPU and in total. Plain data; the reports
// (report.h) derive rates, quantiles and comparisons from it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/histogram.h"
#include "sim/policy.h"
#include "sim/scenario.h"

namespace irqshape::sim {

// Why a vCPU left the guest.
enum class ExitReason : std::uint8_t {
  Kick,       // exit-based path: the host's IPI to a running vCPU (external-interrupt exit) to inject
  Eoi,        // an EOI write the hardware does not virtualize (exit-based: all; posted: level vectors)
  IoApicEoi,  // directed EOI: the guest's write to the I/O APIC's EOI register (MMIO exit)
  Hlt,        // the vCPU went idle
};
inline constexpr unsigned kExitReasons = 4;
[[nodiscard]] std::string_view to_string(ExitReason r);

struct ExitCounts {
  std::array<std::uint64_t, kExitReasons> by_reason{};
  void add(ExitReason r, std::uint64_t n = 1) { by_reason[static_cast<unsigned>(r)] += n; }
  [[nodiscard]] std::uint64_t operator[](ExitReason r) const { return by_reason[static_cast<unsigned>(r)]; }
  [[nodiscard]] std::uint64_t total() const;
  ExitCounts& operator+=(const ExitCounts& o);
};

struct SourceMetrics {
  std::uint64_t events = 0;          // device events (completions) the source produced
  std::uint64_t interrupts = 0;      // interrupts the policy delivered for it
  std::uint64_t events_carried = 0;  // sum of Interrupt::events over those
  std::uint64_t dropped = 0;         // events the policy reported dropped
  std::uint64_t lost = 0;            // events the interrupt controller lost (masked line)
  std::uint64_t irr_merged = 0;      // interrupts that found their vector already pending in IRR
  std::uint64_t isr_calls = 0;       // driver ISR invocations (through the kernel's dispatcher)
  std::uint64_t isr_empty = 0;       // ... that found nothing to serve
  std::uint64_t served = 0;          // events served by an ISR
  std::uint64_t kern_dispatches = 0; // the kernel's own count of interrupts dispatched for the source
  std::uint64_t kern_isr_calls = 0;  // the kernel's KINTERRUPT::DispatchCount over its objects
  std::uint64_t wakeups = 0;         // halted vCPUs woken by its interrupts
  ExitCounts exits;                  // exits its interrupts caused (HLT is per vCPU only)
  Nanos irq_ns = 0;                  // guest time in interrupt context for it (incl. exits inside)
  Nanos exit_ns = 0;                 // of which / plus: time in exits its interrupts caused
  LatencyHistogram latency;          // device event -> completion of the ISR that served it
  // Request sources.
  bool requests = false;
  bool closed_loop = false;
  std::uint64_t requests_issued = 0;
  std::uint64_t requests_completed = 0;   // the requester learned of the completion by the end of duration
  std::uint64_t requests_dropped = 0;     // ... learned that the policy dropped it (as a timeout), same window
  LatencyHistogram request_latency;       // issue -> the requester learns of the completion
  // Per series bin (RunResult::series_bin_ns): interrupts delivered and device events.
  std::vector<std::uint32_t> series_interrupts;
  std::vector<std::uint32_t> series_events;

  void merge(const SourceMetrics& o);  // for totals
};

struct VcpuMetrics {
  std::uint64_t dispatches = 0;   // vectors taken (kern KeQueryCpuInterruptCounters: dispatched)
  std::uint64_t unexpected = 0;   // vectors the kernel had no source for
  std::uint64_t preemptions = 0;  // interrupts taken while another was in service (higher class)
  std::uint64_t wakeups = 0;
  ExitCounts exits;
  Nanos irq_ns = 0;
  Nanos halted_ns = 0;
};

struct RunResult {
  std::string policy;       // Policy::name()
  std::string spec;         // the --policy argument, normalized
  std::string description;  // Policy::describe()
  Nanos duration_ns = 0;
  Nanos end_ns = 0;         // when the run drained (>= duration)
  Nanos series_bin_ns = 0;
  std::vector<std::string> source_names;
  std::vector<SourceMetrics> sources;
  SourceMetrics total;      // merged over sources; exits include HLT
  std::vector<VcpuMetrics> vcpus;
  std::string telemetry_json;        // Policy::telemetry_json() after the run ("": none)
  std::uint64_t engine_events = 0;   // events the engine processed (queue pops and policy timers)
  std::uint64_t kern_irql_violations = 0;
  std::vector<std::string> notes;    // things the user should know (lost events, drain limits)
};

// The bin width of the interrupt-rate series: the smallest of 100 us, 200 us, 500 us,
// 1 ms, 2 ms, 5 ms, ... that gives at most 1000 bins over the duration.
[[nodiscard]] Nanos series_bin_for(Nanos duration);

}  // namespace irqshape::sim
