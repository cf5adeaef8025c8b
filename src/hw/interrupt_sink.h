// Where interrupt controllers send their messages (the APIC bus, or the ISU in front of it).
#pragma once

#include "hw/interrupt_message.h"

namespace irqshape::hw {

class InterruptSink {
 public:
  // Returns true when some local APIC accepted the message. A controller that gets
  // false keeps the interrupt "send pending" and retries later.
  virtual bool deliver(const InterruptMessage& message) = 0;

 protected:
  ~InterruptSink() = default;
};

}  // namespace irqshape::hw
