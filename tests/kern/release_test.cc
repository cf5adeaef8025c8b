// Releasing a source while an interrupt for its vector may still wait in the target
// CPU's IRR (accepted before the mask took effect, or a message already sent): the
// vector must not go to a new source before that interrupt has been taken, and the
// stale interrupt must be counted as unexpected, not run anybody's ISR. Stepped by hand.
#include <gtest/gtest.h>

#include "test_support.h"

namespace irqshape::kern::testing {
namespace {

class VectorRelease : public ::testing::Test {
 protected:
  HostedMachine m{{.apic_ids = {0, 1}}};
  InterruptCore& core = m.core();

  std::uint64_t unexpected(unsigned cpu) { return KeQueryCpuInterruptCounters(core, cpu).unexpected; }
  // A message the device sent before its driver released the source.
  void message_in_flight(unsigned cpu, std::uint8_t vector) {
    std::lock_guard<std::mutex> g(m.chipset());
    m.lapic(cpu).accept(vector, hw::TriggerMode::Edge);
  }
};

TEST_F(VectorRelease, StaleEdgeAfterDisconnectDoesNotRunTheNextOwnersIsr) {
  const SystemInterrupt a = allocate_line(core, LineRequest::gsi(4, "a"), 5, RouteTarget::apic(0));
  Counter ca;
  KINTERRUPT* oa = nullptr;
  ASSERT_EQ(connect(core, &oa, a, ca), STATUS_SUCCESS);
  ASSERT_EQ(ReleaseSystemInterrupt(core, a.Vector), STATUS_SUCCESS);  // the connection keeps it
  m.pulse(4);  // accepted into cpu 0's IRR before the disconnect masks the line
  ASSERT_TRUE(m.lapic(0).irr().test(a.IdtVector));
  IoDisconnectInterrupt(oa);  // the last reference
  EXPECT_TRUE(rte::Mask::test(m.entry(4)));
  EXPECT_EQ(core.cpu(0).table[a.IdtVector].load(), nullptr);

  // Another driver connects a source of the same run level on the same CPU before cpu 0
  // has taken the stale interrupt: it must not get the vector.
  const SystemInterrupt b = allocate_line(core, LineRequest::gsi(5, "b"), 5, RouteTarget::apic(0));
  Counter cb;
  KINTERRUPT* ob = nullptr;
  ASSERT_EQ(connect(core, &ob, b, cb), STATUS_SUCCESS);
  EXPECT_NE(b.IdtVector, a.IdtVector);
  EXPECT_TRUE(core.vectors.in_use(0, a.IdtVector));
  EXPECT_NE(dump(core).find(" released, freed by this cpu's next cleanup pass"), std::string::npos);

  EXPECT_EQ(m.step(0), a.IdtVector);  // the stale interrupt: nobody's ISR
  EXPECT_EQ(cb.calls, 0);
  EXPECT_EQ(ca.calls, 0);
  EXPECT_EQ(unexpected(0), 1u);
  EXPECT_TRUE(core.vectors.in_use(0, a.IdtVector));

  EXPECT_EQ(m.step(0), kMoveCleanupVector);  // the release's cleanup IPI frees it
  EXPECT_FALSE(core.vectors.in_use(0, a.IdtVector));
  EXPECT_EQ(m.run_until_idle(), 0u);

  // Now it is reusable, and the new owner gets its own interrupts.
  SystemInterrupt c;
  ASSERT_EQ(AllocateMessageInterrupt(core, "c", 5, RouteTarget::apic(0), &c), STATUS_SUCCESS);
  EXPECT_EQ(c.IdtVector, a.IdtVector);
  Counter cc;
  KINTERRUPT* oc = nullptr;
  ASSERT_EQ(connect(core, &oc, c, cc), STATUS_SUCCESS);
  message_in_flight(0, c.IdtVector);
  EXPECT_EQ(m.step(0), c.IdtVector);
  EXPECT_EQ(cc.calls, 1);
  EXPECT_EQ(cb.calls, 0);
  EXPECT_EQ(unexpected(0), 1u);
  IoDisconnectInterrupt(oc);
  IoDisconnectInterrupt(ob);
  ASSERT_EQ(ReleaseSystemInterrupt(core, c.Vector), STATUS_SUCCESS);
  ASSERT_EQ(ReleaseSystemInterrupt(core, b.Vector), STATUS_SUCCESS);
  m.run_until_idle();
  EXPECT_EQ(core.vectors.device_vectors_in_use(0), 0u);
}

TEST_F(VectorRelease, MessageSentBeforeTheReleaseIsCountedUnexpected) {
  SystemInterrupt a;
  ASSERT_EQ(AllocateMessageInterrupt(core, "a", 7, RouteTarget::apic(1), &a), STATUS_SUCCESS);
  Counter ca;
  KINTERRUPT* oa = nullptr;
  ASSERT_EQ(connect(core, &oa, a, ca), STATUS_SUCCESS);
  message_in_flight(1, a.IdtVector);
  IoDisconnectInterrupt(oa);
  ASSERT_EQ(ReleaseSystemInterrupt(core, a.Vector), STATUS_SUCCESS);  // the last reference

  SystemInterrupt b;
  ASSERT_EQ(AllocateMessageInterrupt(core, "b", 7, RouteTarget::apic(1), &b), STATUS_SUCCESS);
  EXPECT_NE(b.IdtVector, a.IdtVector);
  Counter cb;
  KINTERRUPT* ob = nullptr;
  ASSERT_EQ(connect(core, &ob, b, cb), STATUS_SUCCESS);
  EXPECT_EQ(m.step(0), -1);  // the cleanup IPI went to the vector's CPU only
  EXPECT_EQ(m.step(1), a.IdtVector);
  EXPECT_EQ(cb.calls, 0);
  EXPECT_EQ(unexpected(1), 1u);
  EXPECT_EQ(m.step(1), kMoveCleanupVector);
  EXPECT_FALSE(core.vectors.in_use(1, a.IdtVector));
  IoDisconnectInterrupt(ob);
  ASSERT_EQ(ReleaseSystemInterrupt(core, b.Vector), STATUS_SUCCESS);
  m.run_until_idle();
  EXPECT_EQ(core.vectors.device_vectors_in_use(1), 0u);
}

// The cleanup pass runs before the stale interrupt (as if the CPU took them out of
// order): the vector stays taken and the CPU asks itself again.
TEST_F(VectorRelease, CleanupRetriesWhileTheReleasedVectorIsPending) {
  SystemInterrupt a;
  ASSERT_EQ(AllocateMessageInterrupt(core, "a", 5, RouteTarget::apic(0), &a), STATUS_SUCCESS);
  message_in_flight(0, a.IdtVector);
  ASSERT_EQ(ReleaseSystemInterrupt(core, a.Vector), STATUS_SUCCESS);
  KiInterruptDispatch(core, 0, kMoveCleanupVector);
  EXPECT_TRUE(core.vectors.in_use(0, a.IdtVector));
  EXPECT_TRUE(m.lapic(0).irr().test(kMoveCleanupVector));  // asked itself again
  EXPECT_EQ(m.step(0), a.IdtVector);  // the stale interrupt: unexpected
  EXPECT_EQ(unexpected(0), 1u);
  EXPECT_TRUE(core.vectors.in_use(0, a.IdtVector));
  EXPECT_EQ(m.step(0), kMoveCleanupVector);
  EXPECT_FALSE(core.vectors.in_use(0, a.IdtVector));
  EXPECT_EQ(m.run_until_idle(), 0u);
}

// A source that never had anything pending is freed by the first cleanup pass.
TEST_F(VectorRelease, QuietSourceIsFreedByTheFirstCleanupPass) {
  const SystemInterrupt a = allocate_line(core, LineRequest::gsi(4), 9, RouteTarget::apic(1));
  ASSERT_EQ(ReleaseSystemInterrupt(core, a.Vector), STATUS_SUCCESS);
  EXPECT_TRUE(core.vectors.in_use(1, a.IdtVector));
  EXPECT_EQ(m.step(1), kMoveCleanupVector);
  EXPECT_FALSE(core.vectors.in_use(1, a.IdtVector));
  EXPECT_EQ(m.run_until_idle(), 0u);
  EXPECT_EQ(unexpected(1), 0u);
}

}  // namespace
}  // namespace irqshape::kern::testing
