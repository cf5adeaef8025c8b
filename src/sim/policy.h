// The interface every interrupt-shaping policy implements in the simulator: the ISU and
// each baseline (none, static, dim, cinterrupts, vic). A policy sits where the ISU sits
// in the architecture - between the devices' interrupt messages and delivery into the
// guest - and decides, for each device event (one completion), when the guest gets an
// interrupt and how many events that interrupt carries.
//
// Contract (the simulator enforces and tests it for every policy):
//   - Time never goes backwards: on_event and on_timer are called with non-decreasing
//     times; a policy emits interrupts stamped at or after the call's time and never
//     earlier than any event they carry.
//   - Conservation: every event passed to on_event is carried by exactly one emitted
//     interrupt (counted in Interrupt::events), or reported dropped, once, through
//     InterruptSink::drop when the policy drops it - never silently lost. An interrupt
//     carries the oldest events of its source that are neither carried nor dropped. A
//     level-triggered event is never dropped: its line waits for the EOI of an
//     interrupt, and the simulator fails a run whose policy drops one.
//     A policy must not hold an event forever: after its last event the simulator calls
//     on_timer at each next_deadline() until it returns kNoDeadline, and at the end of
//     the run flush() delivers anything still held.
//   - Determinism: the same calls give the same output; a policy that needs randomness
//     takes a seed from its configuration.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/source_kind.h"
#include "hw/interrupt_message.h"

namespace irqshape::sim {

using Nanos = std::uint64_t;
inline constexpr Nanos kNoDeadline = std::numeric_limits<Nanos>::max();

// What kind of device a source belongs to (base/source_kind.h): policies modelled on one
// device class (NIC moderation, NVMe aggregation) may treat other classes differently.
using ::irqshape::SourceKind;
using ::irqshape::to_string;

// A source as a policy sees it, announced once before any of its events.
struct SourceInfo {
  std::uint32_t id = 0;   // dense, 0..N-1 (also the ISU source id)
  std::string name;       // as the user knows it: "nvme0q1", "eth0-rx-0", "irq=36"
  SourceKind cls = SourceKind::other;
  hw::InterruptMessage message;  // how the device signals it: vector, destination, trigger
  // Vectors the guest connected this source's ISR to besides message.vector, on the same
  // CPU: one in a higher priority class and one in a lower class (0: none could be
  // allocated). A policy that re-prioritizes an interrupt (the ISU's raise / lower) must
  // deliver on one of these: a vector no driver connected reaches the guest's
  // dispatcher as "unexpected", its events are never served, and the simulator's
  // conservation check fails the run. Level-triggered sources (message.trigger_mode
  // Level) must keep their vector: the local APIC's EOI carries the vector, and the
  // I/O APIC clears the line's remote IRR only for the vector it programmed.
  std::uint8_t raise_vector = 0;
  std::uint8_t lower_vector = 0;
};

// One device event: a completion (block request done, packet received, timer tick).
struct DeviceEvent {
  Nanos time = 0;
  std::uint32_t source = 0;
  std::uint64_t id = 0;            // unique per run; the simulator uses it to match latencies
  bool urgent = false;             // the request asked for immediate notification (cinterrupts' URGENT)
  std::uint32_t in_flight = 0;     // commands outstanding on this source after this completion (vIC's CIF)
  std::uint32_t bytes = 0;         // payload size (DIM samples bytes as well as packets)
};

// One interrupt a policy delivers to the guest.
struct Interrupt {
  Nanos time = 0;                  // when it is raised (>= every carried event's time)
  std::uint32_t source = 0;
  std::uint32_t events = 0;        // device events carried (>= 1): the source's oldest not yet carried or dropped
  hw::InterruptMessage message;    // what reaches the local APIC: vector may differ from the source's
  std::uint64_t payload = 0;       // opaque to the simulator; passed to the ISR (ISU: context slot)
  bool has_payload = false;
};

class InterruptSink {
 public:
  virtual void deliver(const Interrupt& interrupt) = 0;
  // The policy dropped this event (one it was given and has neither carried nor dropped):
  // no interrupt will carry it. Reported when the policy decides, so that the simulator
  // knows which event it was (a storm guard drops the newest while older ones are held).
  virtual void drop(const DeviceEvent& event) = 0;

 protected:
  ~InterruptSink() = default;
};

class Policy {
 public:
  virtual ~Policy() = default;

  // A short stable name ("none", "static", "dim", "cinterrupts", "vic", "isu") and a
  // one-line description of the configuration in use, for reports.
  [[nodiscard]] virtual std::string_view name() const = 0;
  [[nodiscard]] virtual std::string describe() const = 0;

  // Called once per source before the run starts.
  virtual void add_source(const SourceInfo& source) = 0;
  // Called once after the last add_source and before the first event (additive, from the
  // policies branch): a policy whose configuration names sources - the ISU programmed
  // from a rules file - can only check it once it knows them all. An error means the run
  // cannot start; its message names the file, line and key. The default has nothing to
  // check. A policy must still work if start() is never called (it then configures
  // itself at its first call and cannot report a problem except through describe()).
  [[nodiscard]] virtual Status start() { return {}; }
  // A device event arrives at event.time.
  virtual void on_event(const DeviceEvent& event, InterruptSink& out) = 0;
  // Time has reached `now` (>= the last next_deadline() the policy reported).
  virtual void on_timer(Nanos now, InterruptSink& out) = 0;
  // The earliest time the policy needs on_timer, or kNoDeadline.
  [[nodiscard]] virtual Nanos next_deadline() const = 0;
  // End of run: deliver everything still held, stamped `now`.
  virtual void flush(Nanos now, InterruptSink& out) = 0;

  // Policy-specific counters for reports, as one JSON object ("" when the policy has
  // none): the ISU's telemetry registers, DIM's profile per queue, cinterrupts' learned
  // delay. Additive, from the policies branch; the simulator may ignore it.
  [[nodiscard]] virtual std::string telemetry_json() const { return {}; }
};

}  // namespace irqshape::sim
