// IoConnectInterrupt / IoDisconnectInterrupt / KeSynchronizeExecution.
#include <gtest/gtest.h>

#include "test_support.h"

namespace irqshape::kern::testing {
namespace {

class ConnectTest : public ::testing::Test {
 protected:
  HostedMachine m{{.apic_ids = {0, 1, 2}}};
  InterruptCore& core = m.core();
  InterruptSource& source(const SystemInterrupt& si) { return core.sources[si.Vector.index]; }
};

TEST_F(ConnectTest, OneObjectPerCpuInMaskAndActiveCpus) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(5), 6, RouteTarget::cpus(1));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c, Latched, false, 0b11011), STATUS_SUCCESS);  // cpus 0, 1 (3, 4 absent)
  ASSERT_NE(obj, nullptr);
  EXPECT_EQ(obj->Connection->count, 2u);
  EXPECT_EQ(obj->Number, 0u);
  EXPECT_EQ(obj->Connection->objects[1].Number, 1u);
  EXPECT_EQ(chain_length(source(si), 0), 1u);
  EXPECT_EQ(chain_length(source(si), 1), 1u);
  EXPECT_EQ(chain_length(source(si), 2), 0u);
  for (unsigned i = 0; i < 2; ++i) {
    const KINTERRUPT& o = obj->Connection->objects[i];
    EXPECT_TRUE(o.Connected.load());
    EXPECT_EQ(o.Irql, 6);
    EXPECT_EQ(o.SynchronizeIrql, 6);
    EXPECT_EQ(o.Mode, Latched);
    EXPECT_EQ(o.Vector, si.Vector);
    EXPECT_EQ(o.ActualLock, &obj->Connection->SpinLock);  // one shared lock
  }
  EXPECT_EQ(m.pool().live.load(), 1);
  IoDisconnectInterrupt(obj);
  EXPECT_EQ(m.pool().live.load(), 0);
  EXPECT_EQ(chain_length(source(si), 0), 0u);
}

TEST_F(ConnectTest, CallerSuppliedLockIsUsed) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(5), 6, RouteTarget::cpus(1));
  KSPIN_LOCK lock;
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c, Latched, false, ~0ull, &lock), STATUS_SUCCESS);
  for (unsigned i = 0; i < obj->Connection->count; ++i) EXPECT_EQ(obj->Connection->objects[i].ActualLock, &lock);
  IoDisconnectInterrupt(obj);
}

TEST_F(ConnectTest, SharingNeedsBothSidesAndTheSameMode) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(16), 6, RouteTarget::cpus(1));
  Counter a, b, c;
  KINTERRUPT *oa = nullptr, *ob = nullptr, *oc = nullptr;
  ASSERT_EQ(connect(core, &oa, si, a, LevelSensitive, true), STATUS_SUCCESS);
  EXPECT_EQ(connect(core, &ob, si, b, LevelSensitive, false), STATUS_INVALID_PARAMETER_9);
  EXPECT_EQ(ob, nullptr);
  EXPECT_EQ(connect(core, &ob, si, b, Latched, true), STATUS_INVALID_PARAMETER_8);
  ASSERT_EQ(connect(core, &ob, si, b, LevelSensitive, true), STATUS_SUCCESS);
  EXPECT_EQ(chain_length(source(si), 0), 2u);
  EXPECT_EQ(source(si).chain[0].load(), oa);  // appended in connection order
  IoDisconnectInterrupt(oa);
  IoDisconnectInterrupt(ob);
  ASSERT_EQ(connect(core, &oa, si, a, LevelSensitive, false), STATUS_SUCCESS);
  EXPECT_EQ(connect(core, &oc, si, c, LevelSensitive, true), STATUS_INVALID_PARAMETER_9);
  IoDisconnectInterrupt(oa);
  EXPECT_EQ(m.pool().live.load(), 0);
}

TEST_F(ConnectTest, FailureOnALaterCpuRollsBackTheEarlierOnes) {
  // Line on cpu 1. An exclusive connection covers cpus 1 and 2; a shared one asking for
  // all three gets cpu 0 linked first, then conflicts on cpu 1.
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(5), 6, RouteTarget::apic(1));
  Counter exclusive, sharer;
  KINTERRUPT *ox = nullptr, *os = nullptr;
  ASSERT_EQ(connect(core, &ox, si, exclusive, Latched, false, 0b110), STATUS_SUCCESS);
  const long allocations = m.pool().allocations.load();
  EXPECT_EQ(connect(core, &os, si, sharer, Latched, true, 0b111), STATUS_INVALID_PARAMETER_9);
  EXPECT_EQ(m.pool().allocations.load(), allocations + 1);  // the block was made ...
  EXPECT_EQ(m.pool().live.load(), 1);                       // ... and freed again
  EXPECT_EQ(chain_length(source(si), 0), 0u);
  EXPECT_EQ(chain_length(source(si), 1), 1u);
  EXPECT_EQ(source(si).connections, 1u);
  m.pulse(5);
  m.run_until_idle();
  EXPECT_EQ(exclusive.calls, 1);
  EXPECT_EQ(sharer.calls, 0);
  IoDisconnectInterrupt(ox);
}

TEST_F(ConnectTest, ParameterChecks) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(5), 6, RouteTarget::apic(1));
  Counter c;
  KINTERRUPT* obj = nullptr;
  auto call = [&](KINTERRUPT** out, KSERVICE_ROUTINE r, SystemVector v, KIRQL irql, KIRQL sync, KINTERRUPT_MODE mode,
                  KAFFINITY mask) { return IoConnectInterrupt(core, out, r, &c, nullptr, v, irql, sync, mode, false, mask); };
  EXPECT_EQ(call(nullptr, counting_isr, si.Vector, 6, 6, Latched, 7), STATUS_INVALID_PARAMETER_1);
  EXPECT_EQ(call(&obj, nullptr, si.Vector, 6, 6, Latched, 7), STATUS_INVALID_PARAMETER_2);
  EXPECT_EQ(call(&obj, counting_isr, SystemVector{}, 6, 6, Latched, 7), STATUS_INVALID_PARAMETER_5);
  EXPECT_EQ(call(&obj, counting_isr, si.Vector, 7, 7, Latched, 7), STATUS_INVALID_PARAMETER_6);
  EXPECT_EQ(call(&obj, counting_isr, si.Vector, 6, 5, Latched, 7), STATUS_INVALID_PARAMETER_7);
  EXPECT_EQ(call(&obj, counting_isr, si.Vector, 6, 6, static_cast<KINTERRUPT_MODE>(9), 7), STATUS_INVALID_PARAMETER_8);
  EXPECT_EQ(call(&obj, counting_isr, si.Vector, 6, 6, Latched, 0b1000), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(call(&obj, counting_isr, si.Vector, 6, 6, Latched, 0b101), STATUS_INVALID_PARAMETER_10);
  m.pool().fail = true;
  EXPECT_EQ(call(&obj, counting_isr, si.Vector, 6, 6, Latched, 7), STATUS_INSUFFICIENT_RESOURCES);
  m.pool().fail = false;
  EXPECT_EQ(obj, nullptr);
  EXPECT_EQ(chain_length(source(si), 1), 0u);
  EXPECT_TRUE(rte::Mask::test(m.entry(5)));
  ASSERT_EQ(call(&obj, counting_isr, si.Vector, 6, 8, Latched, 7), STATUS_SUCCESS);  // sync above irql is fine
  IoDisconnectInterrupt(obj);
}

TEST_F(ConnectTest, LastReferenceFreesTheVectors) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(5), 6, RouteTarget::apic(2));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  EXPECT_FALSE(rte::Mask::test(m.entry(5)));
  ASSERT_EQ(ReleaseSystemInterrupt(core, si.Vector), STATUS_SUCCESS);  // the connection keeps it
  EXPECT_EQ(ReleaseSystemInterrupt(core, si.Vector), STATUS_INVALID_DEVICE_STATE);
  EXPECT_TRUE(core.vectors.in_use(2, si.IdtVector));
  m.pulse(5);
  m.run_until_idle();
  EXPECT_EQ(c.calls, 1);
  IoDisconnectInterrupt(obj);
  EXPECT_TRUE(rte::Mask::test(m.entry(5)));
  EXPECT_EQ(core.cpu(2).table[si.IdtVector].load(), nullptr);
  // Unmapped at once; given back to the allocator by cpu 2's cleanup pass.
  EXPECT_TRUE(core.vectors.in_use(2, si.IdtVector));
  EXPECT_EQ(m.step(2), kMoveCleanupVector);
  EXPECT_FALSE(core.vectors.in_use(2, si.IdtVector));
  SystemInterrupt out;
  EXPECT_EQ(QuerySystemInterrupt(core, si.Vector, &out), STATUS_INVALID_PARAMETER_1);
}

struct SyncProbe {
  HostedMachine* m;
  KINTERRUPT* obj;
  KIRQL irql_seen = 0;
  bool lock_held = false;
};

bool probe(void* context) {
  auto* p = static_cast<SyncProbe*>(context);
  p->irql_seen = p->m->platform().current_irql();
  p->lock_held = p->obj->ActualLock->is_held();
  return true;
}

TEST_F(ConnectTest, SynchronizeExecutionRunsAtSynchronizeIrqlHoldingTheLock) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(5), 6, RouteTarget::apic(1));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(IoConnectInterrupt(core, &obj, counting_isr, &c, nullptr, si.Vector, 6, 9, Latched, false, ~0ull),
            STATUS_SUCCESS);
  SyncProbe p{&m, obj};
  EXPECT_TRUE(KeSynchronizeExecution(obj, probe, &p));
  EXPECT_EQ(p.irql_seen, 9);
  EXPECT_TRUE(p.lock_held);
  EXPECT_FALSE(obj->ActualLock->is_held());
  EXPECT_EQ(m.platform().current_irql(), PASSIVE_LEVEL);
  IoDisconnectInterrupt(obj);
  EXPECT_EQ(m.platform().irql_violations.load(), 0);
}

}  // namespace
}  // namespace irqshape::kern::testing
