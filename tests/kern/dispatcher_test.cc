// The dispatcher, driven by hand: chains in both modes, spurious accounting and storm
// masking, EOIs, payload, system vectors.
#include <gtest/gtest.h>

#include <array>

#include "test_support.h"

namespace irqshape::kern::testing {
namespace {

class DispatcherTest : public ::testing::Test {
 protected:
  HostedMachine m;
  InterruptCore& core = m.core();
};

TEST_F(DispatcherTest, LevelChainStopsAtTheFirstClaim) {
  m.set_wiring(16, hw::Polarity::ActiveLow);  // PCI INTx
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(16), 5, RouteTarget::apic(0));
  Counter a{0, true}, b{0, true};
  KINTERRUPT *oa = nullptr, *ob = nullptr;
  ASSERT_EQ(connect(core, &oa, si, a, LevelSensitive, true), STATUS_SUCCESS);
  ASSERT_EQ(connect(core, &ob, si, b, LevelSensitive, true), STATUS_SUCCESS);
  m.set_line(16, true);
  ASSERT_EQ(m.step(0), si.IdtVector);
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 0);
  // a's device is quiet now; the line (still asserted: b) fires again after the EOI.
  a.claim = false;
  ASSERT_EQ(m.step(0), si.IdtVector);
  EXPECT_EQ(a.calls, 2);
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(oa->DispatchCount.load(), 2u);
  EXPECT_EQ(oa->ServiceCount.load(), 1u);
  EXPECT_EQ(ob->ServiceCount.load(), 1u);
  m.set_line(16, false);
  m.run_until_idle();
  IoDisconnectInterrupt(oa);
  IoDisconnectInterrupt(ob);
}

// Claims its first `pending` calls, then nothing.
struct Pending {
  int pending = 0;
  int calls = 0;
};
bool pending_isr(KINTERRUPT*, void* context) {
  auto* p = static_cast<Pending*>(context);
  ++p->calls;
  return p->pending > 0 && p->pending-- > 0;
}

TEST_F(DispatcherTest, LatchedChainRepeatsUntilAPassClaimsNothing) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(0));
  Pending a{2}, b{1};
  KINTERRUPT *oa = nullptr, *ob = nullptr;
  ASSERT_EQ(IoConnectInterrupt(core, &oa, pending_isr, &a, nullptr, si.Vector, 5, 5, Latched, true, ~0ull), STATUS_SUCCESS);
  ASSERT_EQ(IoConnectInterrupt(core, &ob, pending_isr, &b, nullptr, si.Vector, 5, 5, Latched, true, ~0ull), STATUS_SUCCESS);
  m.pulse(4);
  ASSERT_EQ(m.step(0), si.IdtVector);
  EXPECT_EQ(a.calls, 3);  // pass 1: a, b claim; pass 2: a claims; pass 3: nobody
  EXPECT_EQ(b.calls, 3);
  EXPECT_EQ(a.pending + b.pending, 0);
  SourceInterruptCounters sc;
  ASSERT_EQ(QuerySourceInterruptCounters(core, si.Vector, &sc), STATUS_SUCCESS);
  EXPECT_EQ(sc.total, 1u);
  EXPECT_EQ(sc.unhandled, 0u);
  IoDisconnectInterrupt(ob);
  a.calls = 0;
  a.pending = 5;
  m.pulse(4);
  ASSERT_EQ(m.step(0), si.IdtVector);
  EXPECT_EQ(a.calls, 1);  // a lone latched object is called once
  IoDisconnectInterrupt(oa);
}

TEST_F(DispatcherTest, UnclaimedInterruptsAreCountedAsSpurious) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(1));
  Counter c{0, false};
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  for (int i = 0; i < 3; ++i) {
    m.pulse(4);
    m.run_until_idle();
  }
  SourceInterruptCounters sc;
  ASSERT_EQ(QuerySourceInterruptCounters(core, si.Vector, &sc), STATUS_SUCCESS);
  EXPECT_EQ(sc.total, 3u);
  EXPECT_EQ(sc.unhandled, 3u);
  EXPECT_FALSE(sc.storm_masked);
  IoDisconnectInterrupt(obj);
}

// Dispatches `n` interrupts of the source straight into the dispatcher on cpu 0.
void dispatch_n(HostedMachine& m, const SystemInterrupt& si, int n);

TEST_F(DispatcherTest, SourceCountersNumberTheirParametersWithoutTheCore) {
  SourceInterruptCounters sc;
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(1));
  EXPECT_EQ(QuerySourceInterruptCounters(core, si.Vector, nullptr), STATUS_INVALID_PARAMETER_2);
  EXPECT_EQ(QuerySourceInterruptCounters(core, SystemVector{si.Vector.index, si.Vector.generation + 1}, &sc), STATUS_INVALID_PARAMETER_1);
}

// An MSI storm is reported but cannot be masked: the counters and the dump say so, and
// the message keeps being delivered (Linux's note_interrupt only disables lines too).
TEST_F(DispatcherTest, AnMsiStormIsReportedNotMasked) {
  SystemInterrupt si;
  ASSERT_EQ(AllocateMessageInterrupt(core, "nvme", 5, RouteTarget::apic(0), &si), STATUS_SUCCESS);
  Counter c{0, false};
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  dispatch_n(m, si, 100'000);
  std::array<StormReport, 4> reports;
  ASSERT_EQ(DrainStormReports(core, reports), 1u);
  EXPECT_FALSE(reports[0].masked);
  SourceInterruptCounters sc;
  ASSERT_EQ(QuerySourceInterruptCounters(core, si.Vector, &sc), STATUS_SUCCESS);
  EXPECT_TRUE(sc.storm_reported);
  EXPECT_FALSE(sc.storm_masked);
  const std::string text = dump(core);
  EXPECT_NE(text.find("(spurious storm reported)"), std::string::npos) << text;
  EXPECT_EQ(text.find("masked: spurious storm"), std::string::npos) << text;
  dispatch_n(m, si, 1);
  EXPECT_EQ(c.calls, 100'001) << "the MSI is still delivered";
  IoDisconnectInterrupt(obj);
}


void dispatch_n(HostedMachine& m, const SystemInterrupt& si, int n) {
  for (int i = 0; i < n; ++i) KiInterruptDispatch(m.core(), si.Cpu, si.IdtVector);
}

TEST_F(DispatcherTest, StuckLineIsMaskedAndReportedAfter99900Of100000) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(7, "flaky"), 5, RouteTarget::apic(0));
  Counter c{0, false};
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  dispatch_n(m, si, 99'998);
  c.claim = true;
  dispatch_n(m, si, 1);  // 99,999 unhandled so far is not enough to decide
  c.claim = false;
  EXPECT_FALSE(rte::Mask::test(m.entry(7)));
  dispatch_n(m, si, 1);  // closes the window: 99,999 unhandled > 99,900
  EXPECT_TRUE(rte::Mask::test(m.entry(7)));
  std::array<StormReport, 4> reports;
  ASSERT_EQ(DrainStormReports(core, reports), 1u);
  EXPECT_EQ(DroppedStormReports(core), 0u);
  EXPECT_EQ(reports[0].gsi, 7u);
  EXPECT_EQ(reports[0].source, si.Vector);
  EXPECT_EQ(reports[0].vector, si.IdtVector);
  EXPECT_EQ(reports[0].unhandled, 99'999u);
  EXPECT_TRUE(reports[0].masked);
  EXPECT_STREQ(reports[0].owner, "flaky");
  SourceInterruptCounters sc;
  ASSERT_EQ(QuerySourceInterruptCounters(core, si.Vector, &sc), STATUS_SUCCESS);
  EXPECT_TRUE(sc.storm_reported);
  EXPECT_TRUE(sc.storm_masked);
  EXPECT_NE(dump(core).find("(masked: spurious storm)"), std::string::npos);
  // A storm-masked line stays masked while users leave and come back.
  IoDisconnectInterrupt(obj);
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  EXPECT_TRUE(rte::Mask::test(m.entry(7)));
  IoDisconnectInterrupt(obj);
}

TEST_F(DispatcherTest, ExactlyTheThresholdDoesNotMask) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(7), 5, RouteTarget::apic(0));
  Counter c{0, false};
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  dispatch_n(m, si, 99'900);
  c.claim = true;
  dispatch_n(m, si, 100);
  EXPECT_FALSE(rte::Mask::test(m.entry(7)));
  std::array<StormReport, 1> reports;
  EXPECT_EQ(DrainStormReports(core, reports), 0u);
  IoDisconnectInterrupt(obj);
}

TEST_F(DispatcherTest, ApicSpuriousVectorIsCountedSeparatelyAndNotEoid) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(0));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  m.pulse(4);
  {
    std::lock_guard<std::mutex> g(m.chipset());
    ASSERT_EQ(m.lapic(0).acknowledge(), si.IdtVector);  // in service, handler not yet run
  }
  KiInterruptDispatch(core, 0, kSpuriousVector);
  EXPECT_TRUE(m.lapic(0).isr().test(si.IdtVector));  // a spurious EOI would have retired it
  EXPECT_EQ(KeQueryCpuInterruptCounters(core, 0).apic_spurious, 1u);
  KiInterruptDispatch(core, 0, si.IdtVector);
  EXPECT_TRUE(m.lapic(0).isr().empty());
  KiInterruptDispatch(core, 0, 0x99);  // nothing mapped there
  EXPECT_EQ(KeQueryCpuInterruptCounters(core, 0).unexpected, 1u);
  EXPECT_EQ(KeQueryCpuInterruptCounters(core, 0).dispatched, 3u);
  // ... and the counters say on which vector (the guest's self-test lists them).
  hw::VectorSet only_0x99;
  only_0x99.set(0x99);
  EXPECT_EQ(KeQueryCpuInterruptCounters(core, 0).unexpected_vectors, only_0x99);
  EXPECT_TRUE(KeQueryCpuInterruptCounters(core, 1).unexpected_vectors.empty());
  IoDisconnectInterrupt(obj);
}

struct IrqlProbe {
  HostedMachine* m;
  KIRQL seen = 0;
  bool locked = false;
  std::optional<std::uint64_t> payload = std::nullopt;
};
bool irql_isr(KINTERRUPT* obj, void* context) {
  auto* p = static_cast<IrqlProbe*>(context);
  p->seen = p->m->platform().current_irql();
  p->locked = obj->ActualLock->is_held();
  p->payload = KeGetInterruptPayload(obj);
  return true;
}

TEST_F(DispatcherTest, IsrRunsAtSynchronizeIrqlUnderItsLockAndSeesThePayload) {
  const SystemInterrupt si = allocate_line(core, LineRequest::gsi(4), 5, RouteTarget::apic(1));
  IrqlProbe p{&m};
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(IoConnectInterrupt(core, &obj, irql_isr, &p, nullptr, si.Vector, 5, 7, Latched, false, ~0ull), STATUS_SUCCESS);
  m.pulse(4);
  ASSERT_EQ(m.step(1, 0xC0FFEE), si.IdtVector);
  EXPECT_EQ(p.seen, 7);
  EXPECT_TRUE(p.locked);
  EXPECT_EQ(p.payload, std::optional<std::uint64_t>{0xC0FFEE});
  m.pulse(4);
  ASSERT_EQ(m.step(1), si.IdtVector);
  EXPECT_EQ(p.payload, std::nullopt);
  EXPECT_EQ(m.platform().irql_violations.load(), 0);
  IoDisconnectInterrupt(obj);
}

class LevelEoi : public ::testing::TestWithParam<bool> {};

TEST_P(LevelEoi, LevelLineIsEoidAtTheIoApicToo) {
  HostedMachine m({.directed_eoi = GetParam()});
  m.set_wiring(20, hw::Polarity::ActiveLow);
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(20), 6, RouteTarget::apic(1));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(m.core(), &obj, si, c, LevelSensitive), STATUS_SUCCESS);
  m.set_line(20, true);
  EXPECT_TRUE(rte::RemoteIrr::test(m.entry(20)));
  m.set_line(20, false);  // (the ISR would quiet the device)
  ASSERT_EQ(m.step(1), si.IdtVector);
  EXPECT_FALSE(rte::RemoteIrr::test(m.entry(20)));  // broadcast or directed, it got there
  EXPECT_TRUE(m.lapic(1).isr().empty());
  EXPECT_EQ(c.calls, 1);
  m.set_line(20, true);  // and the line works again
  EXPECT_EQ(m.step(1), si.IdtVector);
  EXPECT_EQ(c.calls, 2);
  m.set_line(20, false);
  IoDisconnectInterrupt(obj);
}
INSTANTIATE_TEST_SUITE_P(DirectedEoi, LevelEoi, ::testing::Bool());

TEST_F(DispatcherTest, MessageInterruptsDispatchWithoutAnIoApic) {
  SystemInterrupt si;
  ASSERT_EQ(AllocateMessageInterrupt(core, "nvme", 9, RouteTarget::apic(1), &si), STATUS_SUCCESS);
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(core, &obj, si, c), STATUS_SUCCESS);
  KiInterruptDispatch(core, 1, si.IdtVector, 42);
  EXPECT_EQ(c.calls, 1);
  KiInterruptDispatch(core, 0, si.IdtVector);  // wrong CPU: not mapped there
  EXPECT_EQ(KeQueryCpuInterruptCounters(core, 0).unexpected, 1u);
  IoDisconnectInterrupt(obj);
  ASSERT_EQ(ReleaseSystemInterrupt(core, si.Vector), STATUS_SUCCESS);
}

}  // namespace
}  // namespace irqshape::kern::testing
