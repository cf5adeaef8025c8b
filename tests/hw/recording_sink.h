#pragma once

#include <vector>

#include "hw/interrupt_sink.h"

namespace irqshape::hw::testing {

// Records what a controller delivers; refuses deliveries while `accept` is false.
class RecordingSink final : public InterruptSink {
 public:
  bool deliver(const InterruptMessage& m) override {
    if (!accept) return false;
    messages.push_back(m);
    return true;
  }
  std::vector<InterruptMessage> messages;
  bool accept = true;
};

}  // namespace irqshape::hw::testing
