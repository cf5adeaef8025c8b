#include "sim/policies/none_policy.h"

namespace irqshape::sim {

void NonePolicy::add_source(const SourceInfo& source) {
  if (messages_.size() <= source.id) messages_.resize(source.id + 1);
  messages_[source.id] = source.message;
}

void NonePolicy::on_event(const DeviceEvent& event, InterruptSink& out) {
  Interrupt i;
  i.time = event.time;
  i.source = event.source;
  i.events = 1;
  i.message = event.source < messages_.size() ? messages_[event.source] : hw::InterruptMessage{};
  out.deliver(i);
}

}  // namespace irqshape::sim
