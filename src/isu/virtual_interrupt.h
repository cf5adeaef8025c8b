// What the ISU emits: virtual interrupts to inject into the guest, and the context
// records it writes for augmented ones.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hw/interrupt_message.h"
#include "isu/regs.h"

namespace irqshape::isu {

inline constexpr std::uint16_t kNoContext = 0xFFFF;
inline constexpr std::uint64_t kNever = ~std::uint64_t{0};

struct VirtualInterrupt {
  std::uint64_t time = 0;         // when the unit emits it: an input's time or a flush deadline
  hw::InterruptMessage message;   // what to inject: destination, vector (possibly re-prioritized), trigger
  std::uint32_t count = 1;        // device events this interrupt carries
  std::uint64_t first_time = 0;   // first and last carried event
  std::uint64_t last_time = 0;
  std::uint16_t context_slot = kNoContext;  // slot in the destination's context ring
  std::uint32_t flags = 0;        // regs::ctx_flag bits
  bool shaped = true;             // false: passed through untouched (unit disabled, unmapped source, NMI...)

  [[nodiscard]] unsigned priority_class() const { return message.vector >> 4; }
};

class VirtualInterruptSink {
 public:
  virtual void inject(const VirtualInterrupt& vi) = 0;

 protected:
  ~VirtualInterruptSink() = default;
};

// The 64-byte record layout of regs::ctx, as the guest reads it from its ring.
struct ContextRecord {
  std::uint32_t sequence;
  std::uint16_t source;
  std::uint8_t vector;
  std::uint8_t rule;
  std::uint32_t count;
  std::uint32_t flags;
  std::uint64_t first_time;
  std::uint64_t last_time;
  std::uint64_t prev_step_time;
  std::uint64_t predicted_next;
  std::uint64_t pattern_mask;
  std::uint32_t dropped;
  std::uint32_t reserved;
};
static_assert(sizeof(ContextRecord) == regs::ctx::kRecordBytes);
static_assert(offsetof(ContextRecord, sequence) == regs::ctx::kSequence);
static_assert(offsetof(ContextRecord, source) == regs::ctx::kSourceVector);
static_assert(offsetof(ContextRecord, count) == regs::ctx::kCount);
static_assert(offsetof(ContextRecord, flags) == regs::ctx::kFlags);
static_assert(offsetof(ContextRecord, first_time) == regs::ctx::kFirstTime);
static_assert(offsetof(ContextRecord, last_time) == regs::ctx::kLastTime);
static_assert(offsetof(ContextRecord, prev_step_time) == regs::ctx::kPrevStepTime);
static_assert(offsetof(ContextRecord, predicted_next) == regs::ctx::kPredictedNext);
static_assert(offsetof(ContextRecord, pattern_mask) == regs::ctx::kPatternMask);
static_assert(offsetof(ContextRecord, dropped) == regs::ctx::kDropped);

}  // namespace irqshape::isu
