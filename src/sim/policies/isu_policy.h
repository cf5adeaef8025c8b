// `isu`: the Interrupt Shaping Unit model (src/isu) as a policy. One unit per run, fed
// each device event as the interrupt message its source sends (SourceInfo::message,
// with the ISU source id = SourceInfo::id in its `source` field), at the event's time;
// the simulator's timer calls are the unit's advance(), its next_deadline() the unit's.
// Each virtual interrupt becomes an Interrupt: events = its count, message = the
// virtual interrupt's (vector possibly raised or lowered; the `source` field given back
// as the source announced it), payload = the context slot when the unit wrote a context
// record. An event the storm guard drops is reported (InterruptSink::drop) as the unit
// drops it.
//
// Configuration goes through registers only, like a driver: the unit's Software gets it
// as a hw::RegisterWindow and the sources, once all are known (start(), or the first
// call if the simulator never calls start()). The registry's software is the ISD
// (isd::Driver::apply of a rules file or of isd::default_config, and isd::Adapter when
// asked to adapt: isd_programmer.h).
//
// Software with a period (the ISD's adaptation) runs again at every multiple of it in
// simulated time, through the registers. Its timer is part of next_deadline() only while
// the unit holds events (has a deadline of its own); a period boundary that passes while
// the unit is idle is run at the next event, before the unit sees it. That is exact - an
// idle unit's registers do not change between the boundary and the next event, and a
// change of SRC_COAL_TIME applies from the next event on - and it lets a run whose
// sources have stopped drain and end when the unit is empty, rather than keeping a
// periodic timer alive (or pushing the end of the run out by a period).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "hw/register_window.h"
#include "isu/virtual_interrupt.h"
#include "sim/policy.h"

namespace irqshape::isu {
class Isu;
}

namespace irqshape::sim {

class IsuPolicy final : public Policy {
 public:
  // The software that drives the unit.
  class Software {
   public:
    virtual ~Software() = default;
    // Once, when every source is known: configure the unit (the sources in id order).
    virtual Status program(hw::RegisterWindow& unit, const std::vector<SourceInfo>& sources) = 0;
    // 0: nothing periodic. Otherwise tick() runs at each multiple of it (see above).
    [[nodiscard]] virtual Nanos period() const { return 0; }
    // The periodic work for the period ending at `boundary`; the unit's time is at or
    // after it and nothing changed in between. An error stops the periodic work.
    virtual Status tick(Nanos /*boundary*/) { return {}; }
    // Members added to the policy's telemetry_json() object (`"adapter":{...}`), or "".
    [[nodiscard]] virtual std::string telemetry_members() const { return {}; }
  };
  // Gets the unit as a register window and every announced source, in id order.
  using Programmer = std::function<Status(hw::RegisterWindow& unit, const std::vector<SourceInfo>& sources)>;

  // `description`: what the software configures, for describe().
  IsuPolicy(std::unique_ptr<Software> software, std::string description);
  // Software that only programs the unit, once.
  IsuPolicy(Programmer program, std::string description);
  ~IsuPolicy() override;
  IsuPolicy(const IsuPolicy&) = delete;
  IsuPolicy& operator=(const IsuPolicy&) = delete;

  [[nodiscard]] std::string_view name() const override { return "isu"; }
  [[nodiscard]] std::string describe() const override;
  void add_source(const SourceInfo& source) override;
  [[nodiscard]] Status start() override;
  void on_event(const DeviceEvent& event, InterruptSink& out) override;
  void on_timer(Nanos now, InterruptSink& out) override;
  [[nodiscard]] Nanos next_deadline() const override;
  void flush(Nanos now, InterruptSink& out) override;
  // Per-source telemetry (the TEL_* counters and the hold-time histogram) and the unit's
  // error and pass-through counters.
  [[nodiscard]] std::string telemetry_json() const override;

  // The unit, for tests and for the guest's view of context records.
  [[nodiscard]] const isu::Isu& unit() const { return *unit_; }

 private:
  class Forward final : public isu::VirtualInterruptSink {
   public:
    explicit Forward(IsuPolicy& policy) : policy_(policy) {}
    void inject(const isu::VirtualInterrupt& vi) override { policy_.translate(vi); }

   private:
    IsuPolicy& policy_;
  };
  // Routes the unit's output to `out` for the duration of one call.
  class Route {
   public:
    Route(IsuPolicy& p, InterruptSink& out) : p_(p) { p_.out_ = &out; }
    ~Route() { p_.out_ = nullptr; }
    Route(const Route&) = delete;
    Route& operator=(const Route&) = delete;

   private:
    IsuPolicy& p_;
  };

  void ensure_started();
  void tick_if_due(Nanos now);
  void translate(const isu::VirtualInterrupt& vi);
  [[nodiscard]] std::uint64_t dropped_so_far(std::uint32_t source) const;

  std::string description_;
  Forward forward_{*this};
  std::unique_ptr<isu::Isu> unit_;
  std::unique_ptr<Software> software_;  // after unit_: it may hold a driver of the unit
  InterruptSink* out_ = nullptr;
  std::vector<SourceInfo> sources_;        // by id; `message` as announced
  std::vector<bool> announced_;
  bool started_ = false;
  std::string start_error_;
  Nanos period_ = 0;                  // the software's, 0: none (or stopped by an error)
  Nanos next_tick_ = kNoDeadline;     // the next period boundary not yet run
  std::string tick_error_;
};

}  // namespace irqshape::sim
