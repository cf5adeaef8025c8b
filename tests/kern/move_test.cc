// Moving lines between CPUs (SetSystemInterruptAffinity), stepped by hand so every
// interleaving of interest is pinned down.
#include <gtest/gtest.h>

#include "test_support.h"

namespace irqshape::kern::testing {
namespace {

class MoveTest : public ::testing::Test {
 protected:
  HostedMachine m{{.apic_ids = {0, 1, 2}}};
  InterruptCore& core = m.core();
  SystemInterrupt query(SystemVector v) {
    SystemInterrupt out;
    EXPECT_EQ(QuerySystemInterrupt(core, v, &out), STATUS_SUCCESS);
    return out;
  }
};

TEST_F(MoveTest, EdgeLineMovesAndTheOldVectorIsFreedByTheOldCpu) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(0));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(2)), STATUS_SUCCESS);
  const SystemInterrupt now = query(si.Vector);
  EXPECT_EQ(now.Cpu, 2u);
  const std::uint64_t e = m.entry(4);
  EXPECT_EQ(rte::Destination::get(e), 2u);
  EXPECT_EQ(rte::Vector::get(e), now.IdtVector);
  EXPECT_FALSE(rte::Mask::test(e));
  // The old vector, and the new one held on cpu 0 as a bridge, stay mapped there until
  // cpu 0 runs its cleanup IPI.
  EXPECT_TRUE(core.vectors.in_use(0, si.IdtVector));
  EXPECT_EQ(core.vectors.owner(0, now.IdtVector), core.vectors.owner(2, now.IdtVector));
  EXPECT_NE(dump(core).find("(bridge vector, move in progress)"), std::string::npos);
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_DEVICE_BUSY);
  EXPECT_EQ(m.step(0), kMoveCleanupVector);
  EXPECT_FALSE(core.vectors.in_use(0, si.IdtVector));
  EXPECT_FALSE(core.vectors.in_use(0, now.IdtVector));
  EXPECT_TRUE(core.vectors.in_use(2, now.IdtVector));
  EXPECT_EQ(core.cpu(0).table[si.IdtVector].load(), nullptr);
  EXPECT_EQ(core.cpu(0).table[now.IdtVector].load(), nullptr);
  m.pulse(4);
  EXPECT_EQ(m.step(2), now.IdtVector);
  EXPECT_EQ(c.calls, 1);
  IoDisconnectInterrupt(obj);
}

TEST_F(MoveTest, InterruptPendingOnTheOldVectorIsStillHandled) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(0));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  m.pulse(4);  // in cpu 0's IRR with the old vector
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_SUCCESS);
  m.pulse(4);  // goes to cpu 1 with the new vector
  EXPECT_EQ(m.step(0), si.IdtVector);  // taken before the (lower) cleanup vector
  EXPECT_TRUE(core.vectors.in_use(0, si.IdtVector));
  EXPECT_EQ(m.step(0), kMoveCleanupVector);
  EXPECT_FALSE(core.vectors.in_use(0, si.IdtVector));
  EXPECT_GE(m.step(1), 0);
  EXPECT_EQ(c.calls, 2);
  EXPECT_EQ(KeQueryCpuInterruptCounters(core, 0).unexpected, 0u);
  IoDisconnectInterrupt(obj);
}

TEST_F(MoveTest, CleanupRetriesWhileTheOldVectorIsStillPending) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(0));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  m.pulse(4);
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_SUCCESS);
  // Run the cleanup before the pending old vector (as if the CPU took them out of order).
  KiInterruptDispatch(core, 0, kMoveCleanupVector);
  EXPECT_TRUE(core.vectors.in_use(0, si.IdtVector));
  EXPECT_TRUE(m.lapic(0).irr().test(kMoveCleanupVector));  // asked itself again
  EXPECT_EQ(m.step(0), si.IdtVector);
  EXPECT_EQ(m.step(0), kMoveCleanupVector);
  EXPECT_FALSE(core.vectors.in_use(0, si.IdtVector));
  EXPECT_EQ(c.calls, 1);
  IoDisconnectInterrupt(obj);
}

// An edge line is moved without masking: low dword (old destination, new vector), then
// high dword. Between the two writes the entry still reaches a CPU that has the vector.
TEST(EdgeMove, WritesLowThenHighWithoutMasking) {
  HostedMachine m({.apic_ids = {0, 1}, .initialize = false});
  RecordingWindow rec(m.ioapic_window());
  ASSERT_EQ(HalRegisterIoApic(m.core(), rec, 0), STATUS_SUCCESS);
  for (unsigned cpu = 0; cpu < 2; ++cpu) ASSERT_EQ(HalInitializeProcessor(m.core(), cpu), STATUS_SUCCESS);
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(4), 5, RouteTarget::apic(0));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(m.core(), &obj, si, c), STATUS_SUCCESS);
  rec.writes.clear();
  ASSERT_EQ(SetSystemInterruptAffinity(m.core(), si.Vector, RouteTarget::apic(1)), STATUS_SUCCESS);
  SystemInterrupt now;
  ASSERT_EQ(QuerySystemInterrupt(m.core(), si.Vector, &now), STATUS_SUCCESS);
  ASSERT_EQ(rec.writes.size(), 2u);
  EXPECT_EQ(rec.writes[0].first, hw::ioapic::redirection_low(4));
  EXPECT_EQ(rec.writes[0].second & 0xFF, now.IdtVector);
  EXPECT_FALSE(rec.writes[0].second & rte::Mask::mask);
  EXPECT_EQ(rec.writes[1].first, hw::ioapic::redirection_high(4));
  EXPECT_EQ(rec.writes[1].second, 1u << 24);
  // The intermediate entry: an edge then reaches cpu 0 with the new vector, and is handled.
  EXPECT_TRUE(m.core().vectors.in_use(0, now.IdtVector));
  EXPECT_EQ(m.core().cpu(0).table[now.IdtVector].load(), m.core().cpu(1).table[now.IdtVector].load());
  m.run_until_idle();
  IoDisconnectInterrupt(obj);
}

TEST(EdgeMove, WithoutACommonFreeVectorTheEntryIsRewrittenMasked) {
  HostedMachine m({.apic_ids = {0, 1}, .initialize = false});
  RecordingWindow rec(m.ioapic_window());
  ASSERT_EQ(HalRegisterIoApic(m.core(), rec, 0), STATUS_SUCCESS);
  for (unsigned cpu = 0; cpu < 2; ++cpu) ASSERT_EQ(HalInitializeProcessor(m.core(), cpu), STATUS_SUCCESS);
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(4), 5, RouteTarget::apic(0));
  // Fill class 5 so cpu 0 and cpu 1 have no free vector in common.
  for (int i = 0; i < 15; ++i) {
    SystemInterrupt msi;
    ASSERT_EQ(AllocateMessageInterrupt(m.core(), "fill", 5, RouteTarget::apic(0), &msi), STATUS_SUCCESS);
  }
  for (int i = 0; i < 15; ++i) {
    SystemInterrupt msi;
    ASSERT_EQ(AllocateMessageInterrupt(m.core(), "fill", 5, RouteTarget::apic(1), &msi), STATUS_SUCCESS);
  }
  rec.writes.clear();
  ASSERT_EQ(SetSystemInterruptAffinity(m.core(), si.Vector, RouteTarget::apic(1)), STATUS_SUCCESS);
  ASSERT_EQ(rec.writes.size(), 3u);
  EXPECT_EQ(rec.writes[0].first, hw::ioapic::redirection_low(4));
  EXPECT_TRUE(rec.writes[0].second & rte::Mask::mask);
  EXPECT_EQ(rec.writes[1].first, hw::ioapic::redirection_high(4));
  EXPECT_EQ(rec.writes[2].first, hw::ioapic::redirection_low(4));
  EXPECT_EQ(rec.writes[2].second & 0xFF, 0x5Fu);  // the one vector left on cpu 1
  EXPECT_EQ(m.step(0), kMoveCleanupVector);
  EXPECT_FALSE(m.core().vectors.in_use(0, si.IdtVector));
}

TEST_F(MoveTest, LevelLineWithRemoteIrrSetMovesAfterItsEoi) {
  m.set_wiring(16, hw::Polarity::ActiveLow);
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(16), 6, RouteTarget::apic(0));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c, LevelSensitive), STATUS_SUCCESS);
  m.set_line(16, true);  // delivered to cpu 0: remote IRR set
  ASSERT_TRUE(rte::RemoteIrr::test(m.entry(16)));
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_PENDING);
  std::uint64_t e = m.entry(16);
  EXPECT_TRUE(rte::Mask::test(e));
  EXPECT_EQ(rte::Vector::get(e), si.IdtVector);  // not rewritten while remote IRR is set
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(2)), STATUS_DEVICE_BUSY);
  // The handler does not quiet the device: after the move the line fires on cpu 1.
  EXPECT_EQ(m.step(0), si.IdtVector);
  const SystemInterrupt now = query(si.Vector);
  e = m.entry(16);
  EXPECT_FALSE(rte::Mask::test(e));
  EXPECT_EQ(rte::Vector::get(e), now.IdtVector);
  EXPECT_EQ(rte::Destination::get(e), 1u);
  EXPECT_FALSE(core.vectors.in_use(0, si.IdtVector));  // freed locally right after the EOI
  m.set_line(16, false);  // the next handler run quiets it
  EXPECT_EQ(m.step(1), now.IdtVector);
  EXPECT_EQ(c.calls, 2);
  // The cleanup IPI sent with STATUS_PENDING (it would have finished the move had the
  // EOI been late) finds nothing left to do.
  EXPECT_EQ(m.step(0), kMoveCleanupVector);
  EXPECT_EQ(m.run_until_idle(), 0u);
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(2)), STATUS_SUCCESS);
  EXPECT_EQ(m.step(1), kMoveCleanupVector);
  IoDisconnectInterrupt(obj);
}

// If the EOI is never seen by a dispatcher that knows about the move (here: done by hand
// behind the core's back), the next control call finishes the move.
TEST_F(MoveTest, StuckLevelMoveIsFinishedByTheNextCall) {
  m.set_wiring(16, hw::Polarity::ActiveLow);
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(16), 6, RouteTarget::apic(0));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c, LevelSensitive), STATUS_SUCCESS);
  m.set_line(16, true);
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_PENDING);
  {
    std::lock_guard<std::mutex> g(m.chipset());
    ASSERT_EQ(m.lapic(0).acknowledge(), si.IdtVector);
    m.ioapic().set_line(16, false);
    m.lapic(0).eoi();  // remote IRR clears; no dispatcher ran
  }
  ASSERT_FALSE(rte::RemoteIrr::test(m.entry(16)));
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(2)), STATUS_DEVICE_BUSY);
  const std::uint64_t e = m.entry(16);
  EXPECT_EQ(rte::Destination::get(e), 1u);  // finished towards the first request
  EXPECT_FALSE(rte::Mask::test(e));
  EXPECT_EQ(m.step(0), kMoveCleanupVector);
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(2)), STATUS_SUCCESS);
  m.run_until_idle();
  IoDisconnectInterrupt(obj);
}

// EOIs that reach the I/O APIC some time after the CPU's EOI write: a broadcast EOI is a
// message the local APIC sends, a directed EOI a posted MMIO write. Parameter: directed.
class AsyncEoiMove : public ::testing::TestWithParam<bool> {
 protected:
  HostedMachine m{{.apic_ids = {0, 1}, .directed_eoi = GetParam(), .async_eoi = true}};
  InterruptCore& core = m.core();
  int calls = 0;
  SystemInterrupt si;
  KINTERRUPT* obj = nullptr;

  // The device is level, active low; its ISR services it (deasserts the line).
  static bool quieting_isr(KINTERRUPT*, void* context) {
    auto* t = static_cast<AsyncEoiMove*>(context);
    ++t->calls;
    t->m.set_line(16, false);
    return true;
  }
  void SetUp() override {
    ASSERT_EQ(core.cpu(0).eoi_broadcast_suppressed, GetParam());
    m.set_wiring(16, hw::Polarity::ActiveLow);
    si = allocate_line(core, LineRequest::gsi(16), 6, RouteTarget::apic(0));
    ASSERT_EQ(IoConnectInterrupt(core, &obj, quieting_isr, this, nullptr, si.Vector, si.Irql, si.Irql, LevelSensitive,
                                 true, ~0ull),
              STATUS_SUCCESS);
  }
  void TearDown() override {
    settle();
    IoDisconnectInterrupt(obj);
  }
  // One vector per CPU, then the EOIs on their way land; until nothing moves.
  void settle() {
    for (int round = 0; round < 1000; ++round) {
      bool any = m.deliver_eois() != 0;
      for (unsigned cpu = 0; cpu < m.cpus(); ++cpu) any = m.step(cpu) >= 0 || any;
      if (!any) return;
    }
    ADD_FAILURE() << "does not settle";
  }
  SystemInterrupt query() {
    SystemInterrupt out;
    EXPECT_EQ(QuerySystemInterrupt(core, si.Vector, &out), STATUS_SUCCESS);
    return out;
  }
  void expect_moved_to_cpu1() {
    const SystemInterrupt now = query();
    EXPECT_EQ(now.Cpu, 1u);
    const std::uint64_t e = m.entry(16);
    EXPECT_FALSE(rte::Mask::test(e));
    EXPECT_EQ(rte::Vector::get(e), now.IdtVector);
    EXPECT_EQ(rte::Destination::get(e), 1u);
    EXPECT_FALSE(core.vectors.in_use(0, si.IdtVector));
    EXPECT_EQ(core.sources[si.Vector.index].move.load(), MoveState::Idle);
  }
};

// CPU 0 EOIs and finds no move; the move masks the line while that EOI is still on its
// way (remote IRR reads set): no dispatch of this interrupt is left to finish it. The
// old CPU's cleanup pass does, once the EOI has landed.
TEST_P(AsyncEoiMove, MoveStartedWhileTheEoiIsInFlightCompletes) {
  m.set_line(16, true);
  ASSERT_EQ(m.step(0), si.IdtVector);  // serviced, EOI written, not arrived
  ASSERT_TRUE(rte::RemoteIrr::test(m.entry(16)));
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_PENDING);
  EXPECT_TRUE(rte::Mask::test(m.entry(16)));
  EXPECT_EQ(rte::Vector::get(m.entry(16)), si.IdtVector);
  EXPECT_EQ(m.deliver_eois(), 1u);
  EXPECT_FALSE(rte::RemoteIrr::test(m.entry(16)));
  m.set_line(16, true);  // the device needs service again
  settle();
  EXPECT_EQ(calls, 2);  // not masked forever
  expect_moved_to_cpu1();
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(0)), STATUS_SUCCESS);
}

// The dispatcher of the interrupt in flight sees the move, but right after its EOI
// remote IRR still reads set. The line stays masked with the old vector; the cleanup
// pass retries until the EOI lands, then moves the line and frees the old vector.
TEST_P(AsyncEoiMove, DispatcherWhoseEoiHasNotLandedLeavesTheMoveToTheCleanupPass) {
  m.set_line(16, true);
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_PENDING);
  ASSERT_EQ(m.step(0), si.IdtVector);
  EXPECT_TRUE(rte::Mask::test(m.entry(16)));
  EXPECT_EQ(rte::Vector::get(m.entry(16)), si.IdtVector);
  ASSERT_EQ(m.step(0), kMoveCleanupVector);  // remote IRR still set: retried
  EXPECT_TRUE(rte::Mask::test(m.entry(16)));
  EXPECT_TRUE(core.vectors.in_use(0, si.IdtVector));
  EXPECT_EQ(m.deliver_eois(), 1u);
  ASSERT_EQ(m.step(0), kMoveCleanupVector);  // the EOI has landed: moved here
  EXPECT_EQ(m.step(0), -1);
  expect_moved_to_cpu1();
  m.set_line(16, true);
  EXPECT_EQ(m.step(1), query().IdtVector);
  EXPECT_EQ(calls, 2);
}

// The EOI lands before the cleanup pass runs and a control call finishes the move
// first: the cleanup pass then only frees the old vector (one completion).
TEST_P(AsyncEoiMove, ControlCallAfterTheEoiLandedFinishesTheMoveOnce) {
  m.set_line(16, true);
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_PENDING);
  ASSERT_EQ(m.step(0), si.IdtVector);
  EXPECT_EQ(m.deliver_eois(), 1u);
  // A control call now finishes it (the backstop); the cleanup pass then only frees.
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_DEVICE_BUSY);
  EXPECT_EQ(rte::Destination::get(m.entry(16)), 1u);
  settle();
  expect_moved_to_cpu1();
  EXPECT_EQ(calls, 1);
}

INSTANTIATE_TEST_SUITE_P(BroadcastAndDirected, AsyncEoiMove, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Directed" : "Broadcast"; });

TEST_F(MoveTest, LevelLineWithRemoteIrrClearMovesAtOnce) {
  m.set_wiring(16, hw::Polarity::ActiveLow);
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(16), 6, RouteTarget::apic(0));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c, LevelSensitive), STATUS_SUCCESS);
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_SUCCESS);
  EXPECT_EQ(rte::Destination::get(m.entry(16)), 1u);
  EXPECT_FALSE(rte::Mask::test(m.entry(16)));
  m.set_line(16, true);
  m.set_line(16, false);
  EXPECT_EQ(m.run_until_idle(), 2u);  // the interrupt on cpu 1, the cleanup on cpu 0
  EXPECT_EQ(c.calls, 1);
  IoDisconnectInterrupt(obj);
}

TEST_F(MoveTest, OnlyToCpusEveryConnectionCovers) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(0));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c, Latched, false, 0b011), STATUS_SUCCESS);
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(2)), STATUS_INVALID_PARAMETER_2);
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::cpus(0b111)), STATUS_SUCCESS);
  EXPECT_EQ(query(si.Vector).Cpu, 0u);  // already on a permitted CPU: not moved
  EXPECT_EQ(query(si.Vector).Affinity, 0b011u);
  IoDisconnectInterrupt(obj);
}

TEST_F(MoveTest, ExhaustedTargetLeavesTheRouteAlone) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(0));
  for (int i = 0; i < 16; ++i) {
    SystemInterrupt msi;
    ASSERT_EQ(AllocateMessageInterrupt(core, "fill", 5, RouteTarget::apic(1), &msi), STATUS_SUCCESS);
  }
  const std::string before = dump(core);
  const std::uint64_t entry = m.entry(4);
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(dump(core), before);
  EXPECT_EQ(m.entry(4), entry);
  EXPECT_EQ(query(si.Vector).Cpu, 0u);
}

TEST_F(MoveTest, MessageSourcesAreNotMovedHere) {
  SystemInterrupt si;
  ASSERT_EQ(AllocateMessageInterrupt(core, "nvme", 5, RouteTarget::apic(0), &si), STATUS_SUCCESS);
  EXPECT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_NOT_SUPPORTED);
}

TEST_F(MoveTest, ReleasingDuringAMoveFreesBothVectors) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(0));
  ASSERT_EQ(SetSystemInterruptAffinity(core, si.Vector, RouteTarget::apic(1)), STATUS_SUCCESS);
  const SystemInterrupt now = query(si.Vector);
  ASSERT_EQ(ReleaseSystemInterrupt(core, si.Vector), STATUS_SUCCESS);
  EXPECT_EQ(core.cpu(0).cleanup_head, nullptr);
  // Unmapped at once, freed by each CPU's own cleanup pass: cpu 0 the old and the bridge
  // vector, cpu 1 the new one.
  EXPECT_EQ(core.cpu(0).table[si.IdtVector].load(), nullptr);
  EXPECT_EQ(core.cpu(0).table[now.IdtVector].load(), nullptr);
  EXPECT_EQ(core.cpu(1).table[now.IdtVector].load(), nullptr);
  EXPECT_TRUE(core.vectors.in_use(0, si.IdtVector));
  EXPECT_TRUE(core.vectors.in_use(0, now.IdtVector));
  EXPECT_TRUE(core.vectors.in_use(1, now.IdtVector));
  EXPECT_EQ(m.step(0), kMoveCleanupVector);  // one IPI for the move and the release
  EXPECT_FALSE(core.vectors.in_use(0, si.IdtVector));
  EXPECT_FALSE(core.vectors.in_use(0, now.IdtVector));
  EXPECT_TRUE(core.vectors.in_use(1, now.IdtVector));
  EXPECT_EQ(m.step(1), kMoveCleanupVector);
  EXPECT_FALSE(core.vectors.in_use(1, now.IdtVector));
  EXPECT_EQ(m.run_until_idle(), 0u);
}

}  // namespace
}  // namespace irqshape::kern::testing
