// `isu`: the Interrupt Shaping Unit model (src/isu) as a policy. One unit per run, fed
// each device event as the interrupt message its source sends (SourceInfo::message,
// with the ISU source id = SourceInfo::id in its `source` field), at the event's time;
// the simulator's timer calls are the unit's advance(), its next_deadline() the unit's.
// Each virtual interrupt becomes an Interrupt: events = its count, message = the
// virtual interrupt's (vector possibly raised or lowered; the `source` field given back
// as the source announced it), payload = the context slot when the unit wrote a context
// record. Events the storm guard dropped are reported in `dropped` of the source's next
// interrupt (or, at the end of the run, of an interrupt carrying no events).
//
// Configuration goes through registers only, like a driver: a Programmer gets the unit
// as a hw::RegisterWindow and the sources, once all are known (start(), or the first
// call if the simulator never calls start()). The registry's programmer is the ISD
// (isd::Driver::apply of a rules file or of isd::default_config).
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
  // Gets the unit as a register window and every announced source, in id order.
  using Programmer = std::function<Status(hw::RegisterWindow& unit, const std::vector<SourceInfo>& sources)>;

  // `description`: what the programmer configures, for describe().
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
  void translate(const isu::VirtualInterrupt& vi);
  [[nodiscard]] std::uint64_t dropped_so_far(std::uint32_t source) const;

  Programmer program_;
  std::string description_;
  Forward forward_{*this};
  std::unique_ptr<isu::Isu> unit_;
  InterruptSink* out_ = nullptr;
  std::vector<SourceInfo> sources_;        // by id; `message` as announced
  std::vector<bool> announced_;
  std::vector<std::uint64_t> reported_drops_;
  bool started_ = false;
  std::string start_error_;
};

}  // namespace irqshape::sim
