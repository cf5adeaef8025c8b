// Test support: a sink that records virtual interrupts, and register-level programming
// of the unit the way a driver does it (shadow registers, then COMMIT).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "isu/isu.h"

namespace irqshape::isu::testing {

using namespace regs;

struct RecordingSink final : VirtualInterruptSink {
  // Records each virtual interrupt, and - as the guest would read it on delivery - the
  // context record it points at (the ring may wrap before a test looks).
  void inject(const VirtualInterrupt& vi) override {
    out.push_back(vi);
    records.push_back(unit != nullptr && vi.context_slot != kNoContext
                          ? unit->context(vi.message.destination, vi.context_slot)
                          : ContextRecord{});
  }
  std::uint64_t events() const {
    std::uint64_t n = 0;
    for (const auto& vi : out) n += vi.count;
    return n;
  }
  std::vector<VirtualInterrupt> out;
  std::vector<ContextRecord> records;
  const Isu* unit = nullptr;
};

struct Step {
  unsigned source;
  std::uint32_t min = 0, max = 0;
};

struct SourceSetup {
  std::uint32_t ctrl = 0;
  std::uint32_t frames = 0;
  std::uint32_t time = 0;
  std::uint32_t storm_limit = 0;
  std::uint32_t raise_vector = 0;
  std::uint32_t lower_vector = 0;
};

class IsuFixture : public ::testing::Test {
 protected:
  IsuFixture() { sink.unit = unit.get(); }

  RecordingSink sink;
  std::unique_ptr<Isu> unit = std::make_unique<Isu>(sink);

  std::uint32_t rd(std::uint32_t off) { return unit->read32(off); }
  void wr(std::uint32_t off, std::uint32_t v) { unit->write32(off, v); }
  std::uint32_t commit(std::uint32_t cmd) {
    wr(COMMIT, cmd);
    return commit::Result::get(rd(COMMIT_STATUS));
  }
  void enable() { wr(CTRL, ctrl::Enable::mask); }

  std::uint32_t pattern(unsigned index, std::initializer_list<Step> steps) {
    wr(PAT_SEL, index);
    wr(PAT_CTRL, pat_ctrl::Enable::mask | pat_ctrl::Steps::make(static_cast<std::uint32_t>(steps.size())));
    unsigned k = 0;
    for (const Step& s : steps) {
      wr(pat_src(k), s.source);
      wr(pat_min(k), s.min);
      wr(pat_max(k), s.max);
      ++k;
    }
    return commit(commit::kCommitPattern);
  }
  std::uint32_t rule(unsigned index, std::uint32_t kind, std::uint32_t source, std::uint32_t param,
                     std::uint32_t actions) {
    wr(RULE_SEL, index);
    wr(RULE_COND, rule_cond::Enable::mask | rule_cond::Kind::make(kind));
    wr(RULE_SOURCE, source);
    wr(RULE_PARAM, param);
    wr(RULE_ACTION, actions);
    return commit(commit::kCommitRule);
  }
  std::uint32_t source(unsigned index, const SourceSetup& s) {
    wr(SRC_SEL, index);
    wr(SRC_CTRL, s.ctrl);
    wr(SRC_COAL_COUNT, s.frames);
    wr(SRC_COAL_TIME, s.time);
    wr(SRC_STORM_LIMIT, s.storm_limit);
    wr(SRC_PRIO, src_prio::RaiseVector::make(s.raise_vector) | src_prio::LowerVector::make(s.lower_vector));
    return commit(commit::kCommitSource);
  }

  static hw::InterruptMessage msg(unsigned source, std::uint8_t vector = 0x40, std::uint32_t dest = 0,
                                  hw::TriggerMode trigger = hw::TriggerMode::Edge) {
    hw::InterruptMessage m;
    m.source = source;
    m.vector = vector;
    m.destination = dest;
    m.trigger_mode = trigger;
    return m;
  }
  void fire(unsigned source, std::uint64_t t, std::uint8_t vector = 0x40, std::uint32_t dest = 0) {
    unit->receive(msg(source, vector, dest), t);
  }

  std::uint64_t tel64(std::uint32_t lo_off) { return rd(lo_off) | (std::uint64_t{rd(lo_off + 4)} << 32); }
  SourceTelemetry telemetry_via_registers(unsigned src) {
    wr(TEL_SRC_SEL, src);
    return SourceTelemetry{tel64(TEL_IN_LO),       tel64(TEL_OUT_LO),     tel64(TEL_EVENTS_LO),
                           tel64(TEL_COALESCED_LO), tel64(TEL_DEFERRED_LO), tel64(TEL_DROPPED_LO),
                           tel64(TEL_RAISED_LO),   tel64(TEL_LOWERED_LO), tel64(TEL_PATTERNS_LO)};
  }
  // Every input is delivered, held, or dropped and counted: the unit's conservation law.
  void expect_conservation(unsigned sources) {
    for (unsigned s = 0; s < sources; ++s) {
      const SourceTelemetry& t = unit->telemetry(s);
      EXPECT_EQ(t.in, t.events + t.dropped + unit->pending(s)) << "source " << s;
    }
  }
};

}  // namespace irqshape::isu::testing
