// The baseline without shaping: one interrupt per device event, delivered the moment
// the event happens, on the source's own vector.
#pragma once

#include <vector>

#include "sim/policy.h"

namespace irqshape::sim {

class NonePolicy final : public Policy {
 public:
  [[nodiscard]] std::string_view name() const override { return "none"; }
  [[nodiscard]] std::string describe() const override { return "one interrupt per event"; }
  void add_source(const SourceInfo& source) override;
  void on_event(const DeviceEvent& event, InterruptSink& out) override;
  void on_timer(Nanos, InterruptSink&) override {}
  [[nodiscard]] Nanos next_deadline() const override { return kNoDeadline; }
  void flush(Nanos, InterruptSink&) override {}

 private:
  std::vector<hw::InterruptMessage> messages_;
};

}  // namespace irqshape::sim
