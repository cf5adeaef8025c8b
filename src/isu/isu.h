// The Interrupt Shaping Unit: sits between the interrupt controller and the CPU, keeps a
// history of recent interrupts, recognises patterns, and shapes the virtual interrupts it
// injects: priority changes, context records, coalescing and storm containment.
//
// The model is exact and deterministic: the same inputs and register writes always give
// the same outputs. All time comes from the caller (nanoseconds, non-decreasing); the
// unit holds no clock, no thread and allocates nothing (about 1.2 MiB of fixed state, so
// hosted code allocates an Isu on the heap).
//
// Data path:  receive(message, now) for each interrupt from the controller;
//             advance(now) whenever time reaches next_deadline() (coalescing windows);
//             virtual interrupts leave through the VirtualInterruptSink.
// Control:    read32/write32 at the offsets of isu/regs.h (docs/isu-spec.md).
#pragma once

#include <array>
#include <cstdint>

#include "hw/interrupt_message.h"
#include "hw/register_window.h"
#include "isu/deadline_list.h"
#include "isu/history.h"
#include "isu/pattern_engine.h"
#include "isu/predictor.h"
#include "isu/rate_meter.h"
#include "isu/regs.h"
#include "isu/rule_table.h"
#include "isu/virtual_interrupt.h"

namespace irqshape::isu {

struct SourceConfig {
  std::uint32_t ctrl = 0;  // regs::src_ctrl bits
  std::uint16_t frames = 0;
  std::uint32_t time = 0;
  std::uint32_t storm_limit = 0;
  std::uint8_t raise_vector = 0;
  std::uint8_t lower_vector = 0;
};

struct SourceTelemetry {
  std::uint64_t in = 0;         // interrupts received
  std::uint64_t out = 0;        // virtual interrupts emitted
  std::uint64_t events = 0;     // events carried by those virtual interrupts
  std::uint64_t coalesced = 0;  // events that rode on another event's virtual interrupt
  std::uint64_t deferred = 0;   // events held by the storm guard
  std::uint64_t dropped = 0;    // events dropped by the storm guard
  std::uint64_t raised = 0;     // virtual interrupts delivered on the raised vector
  std::uint64_t lowered = 0;
  std::uint64_t patterns = 0;   // arrivals that completed at least one pattern
  std::uint64_t hold_sum = 0;   // ns events were held before delivery (wraps)
  std::uint64_t hold_max = 0;   // longest hold of an event, ns
  std::array<std::uint32_t, regs::kHoldBuckets> hold{};  // histogram (regs::hold_bucket), wrapping
};

class Isu final : public hw::RegisterWindow {
 public:
  explicit Isu(VirtualInterruptSink& sink);

  // ---- register interface (isu/regs.h) ----
  std::uint32_t read32(std::uint32_t offset) override;
  void write32(std::uint32_t offset, std::uint32_t value) override;

  // ---- data path ----
  void receive(const hw::InterruptMessage& message, std::uint64_t now);
  void advance(std::uint64_t now);
  [[nodiscard]] std::uint64_t next_deadline() const { return deadlines_.earliest(); }

  // ---- guest-visible memory: the per-destination context rings ----
  [[nodiscard]] const ContextRecord& context(unsigned destination, unsigned slot) const {
    return context_[destination % regs::kDestinations][slot % kMaxContextSlots];
  }

  // ---- inspection for hosted tools and tests (model state, not the register contract) ----
  [[nodiscard]] bool enabled() const { return regs::ctrl::Enable::test(ctrl_); }
  [[nodiscard]] const HistoryRing& history() const { return history_; }
  [[nodiscard]] const SourceTelemetry& telemetry(unsigned source) const { return source_[source].telemetry; }
  [[nodiscard]] std::uint32_t pending(unsigned source) const { return source_[source].batch.count; }
  // Whether the source's held batch has its deadline armed (it may be 2^64 - 1, which
  // next_deadline() cannot tell from none: docs/isu-spec.md 5.7).
  [[nodiscard]] bool deadline_armed(unsigned source) const { return deadlines_.contains(source); }
  [[nodiscard]] std::uint64_t rule_matches(unsigned rule) const { return rules_.matches(rule); }
  [[nodiscard]] std::uint64_t pattern_matches(unsigned pattern) const { return patterns_.matches(pattern); }
  [[nodiscard]] std::uint64_t now() const { return now_; }

 private:
  static constexpr unsigned kMaxContextSlots = 1u << regs::kContextLog2Max;

  struct Batch {
    hw::InterruptMessage message;  // of the first event: destination and vector of the batch
    std::uint32_t count = 0;
    std::uint64_t first = 0, last = 0;
    std::uint64_t deadline = kNever;
    std::uint64_t prev_step = 0;
    std::uint64_t pattern_mask = 0;
    std::uint64_t offset_sum = 0;  // sum over events of (time - first): gives the total hold
    std::uint8_t rule = regs::ctx::kNoRule;
    bool augment = false, lower = false, deferred = false;

    // Whether events are held with another destination, vector, destination mode,
    // delivery mode or trigger mode than m's: the line was re-targeted or re-programmed
    // (on both the shaping and the storm-deferral path). A batch goes out with its first
    // event's message, so m must not join it: a level-triggered event delivered as edge
    // would never be EOIed by the guest.
    [[nodiscard]] bool held_for_another_target(const hw::InterruptMessage& m) const {
      return count != 0 && delivery_key(message) != delivery_key(m);
    }
    // The five fields packed side by side (they are adjacent in InterruptMessage, so the
    // compiler reads them with one load).
    static std::uint64_t delivery_key(const hw::InterruptMessage& m) {
      return m.destination | std::uint64_t{m.vector} << 32 | static_cast<std::uint64_t>(m.delivery_mode) << 40 |
             static_cast<std::uint64_t>(m.destination_mode) << 48 | static_cast<std::uint64_t>(m.trigger_mode) << 56;
    }
  };
  struct SourceState {
    SourceConfig config;
    RateMeter rate;
    ArrivalPredictor predictor;
    Batch batch;
    SourceTelemetry telemetry;
    std::uint32_t dropped_since_record = 0;
  };
  struct Shadows {  // raw shadow register contents, applied by COMMIT
    std::uint32_t pat_sel = 0, pat_ctrl = 0;
    std::array<std::uint32_t, regs::kMaxSteps> pat_src{}, pat_min{}, pat_max{};
    std::uint32_t rule_sel = 0, rule_cond = 0, rule_source = regs::kAnySource, rule_param = 0, rule_action = 0;
    std::uint32_t src_sel = 0, src_ctrl = 0, src_coal_count = 0, src_coal_time = 0, src_storm_limit = 0, src_prio = 0;
  };
  struct Views {  // snapshots latched by the *_SEL / HIST_INDEX writes
    std::uint32_t tel_src = 0, tel_rule = 0, tel_pat = 0, hist_index = 0, ctx_sel = 0;
    SourceTelemetry source;
    std::uint32_t rate = 0, pred_mean = 0, pred_dev = 0, pending = 0;
    std::uint64_t pred_next = 0, rule_matches = 0, pat_matches = 0;
    std::uint32_t pat_live = 0;
    HistoryEntry hist{};
    bool hist_valid = false;
    ContextRecord ctx{};
    std::uint32_t now_hi = 0, hist_count_hi = 0;  // high halves latched by reading the low half
  };

  // data path (isu.cc)
  std::uint64_t accept_time(std::uint64_t t);
  void pass_through(const hw::InterruptMessage& m, std::uint64_t t);
  // shape() and add_to_batch() are inlined into their callers in isu.cc: on every
  // interrupt, a call cost more instructions than the work it did.
  [[gnu::always_inline]] inline std::uint8_t shape(unsigned source, const hw::InterruptMessage& m, std::uint64_t t,
                                                   const Actions& a, std::uint64_t completed);
  std::uint8_t defer_or_drop(unsigned source, const hw::InterruptMessage& m, std::uint64_t t, const Actions& a,
                             std::uint64_t completed);
  [[gnu::always_inline]] inline void add_to_batch(unsigned source, const hw::InterruptMessage& m, std::uint64_t t,
                                                  const Actions& a, std::uint64_t completed);
  void flush(unsigned source, std::uint64_t t, std::uint32_t flags, bool raise);
  std::uint16_t write_context(unsigned source, const VirtualInterrupt& vi);
  void flush_all();
  [[nodiscard]] bool storm_guard_active(const SourceState& s, std::uint64_t t) const;
  [[nodiscard]] bool keep_holding(const SourceState& s, std::uint32_t count) const;
  void fire_deadlines(std::uint64_t now);

  // register file (registers.cc)
  void reset_state();
  std::uint32_t read_register(std::uint32_t offset);
  std::uint32_t write_register(std::uint32_t offset, std::uint32_t value);  // returns err bits
  std::uint32_t write_ctrl(std::uint32_t value);
  std::uint32_t write_selector(std::uint32_t offset, std::uint32_t value);
  std::uint32_t write_shadow(std::uint32_t offset, std::uint32_t value);
  std::uint32_t execute(std::uint32_t command);
  std::uint32_t commit_pattern();
  std::uint32_t commit_rule();
  std::uint32_t commit_source();
  void load_pattern();
  void load_rule();
  void load_source();
  void latch_source_view();
  void latch_history_view();
  void latch_context_view();
  void access_error(std::uint32_t bit, std::uint32_t offset, std::uint32_t value);

  VirtualInterruptSink& sink_;

  // configuration and status registers
  std::uint32_t ctrl_ = 0;
  std::uint32_t err_status_ = 0, err_addr_ = 0, err_data_ = 0, err_count_ = 0;
  std::uint32_t commit_status_ = 0;
  std::uint32_t rate_window_ = 1'000'000;
  unsigned pred_shift_ = 3;
  unsigned hist_log2_ = regs::hist_cfg::kReset;
  unsigned ctx_log2_ = regs::ctx_cfg::kReset;
  std::uint64_t now_ = 0;
  std::uint32_t unshaped_in_ = 0;
  Shadows shadow_;
  Views view_;

  // the engine
  HistoryRing history_;
  PatternEngine patterns_;
  RuleTable rules_;
  DeadlineList deadlines_;
  std::array<SourceState, regs::kSources> source_{};
  std::array<std::array<ContextRecord, kMaxContextSlots>, regs::kDestinations> context_{};
  std::array<std::uint32_t, regs::kDestinations> context_sequence_{};
};

}  // namespace irqshape::isu
