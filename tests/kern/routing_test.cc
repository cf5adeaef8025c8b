// Routing: what lands in the I/O APIC redirection entries (read back from the model),
// overrides, several I/O APICs, x2APIC destinations, MSI composition, exhaustion.
#include <gtest/gtest.h>

#include <vector>

#include "test_support.h"

namespace irqshape::kern::testing {
namespace {

using hw::Polarity;
using hw::TriggerMode;

TEST(Routing, AllocateProgramsAMaskedFixedPhysicalEntry) {
  HostedMachine m({.apic_ids = {0, 5}});
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(4, "com1"), 5, RouteTarget::apic(5));
  EXPECT_EQ(si.Cpu, 1u);
  EXPECT_EQ(irql_of_vector(si.IdtVector), 5);
  const std::uint64_t e = m.entry(4);
  EXPECT_EQ(rte::Vector::get(e), si.IdtVector);
  EXPECT_EQ(rte::Destination::get(e), 5u);
  EXPECT_EQ(rte::DeliveryMode::get(e), 0u);     // fixed
  EXPECT_FALSE(rte::DestinationMode::test(e));  // physical
  EXPECT_FALSE(rte::TriggerMode::test(e));      // ISA: edge
  EXPECT_FALSE(rte::Polarity::test(e));         // ISA: active high
  EXPECT_TRUE(rte::Mask::test(e));              // nobody connected yet
  m.pulse(4);
  EXPECT_EQ(m.pin_counters(4).masked_edges, 1u);
}

TEST(Routing, PciLineIsLevelActiveLowAndUnmasksOnConnect) {
  HostedMachine m;
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(16, "nic"), 7, RouteTarget::cpus(~0ull));
  std::uint64_t e = m.entry(16);
  EXPECT_TRUE(rte::TriggerMode::test(e));
  EXPECT_TRUE(rte::Polarity::test(e));
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(m.core(), &obj, si, c, LevelSensitive), STATUS_SUCCESS);
  e = m.entry(16);
  EXPECT_FALSE(rte::Mask::test(e));
  EXPECT_EQ(rte::Vector::get(e), si.IdtVector);
  IoDisconnectInterrupt(obj);
  EXPECT_TRUE(rte::Mask::test(m.entry(16)));
  ASSERT_EQ(ReleaseSystemInterrupt(m.core(), si.Vector), STATUS_SUCCESS);
}

TEST(Routing, InterruptSourceOverrideAppliesToIsaRequests) {
  HostedMachine m;
  ASSERT_EQ(HalRegisterSourceOverride(m.core(), {0, 2, std::nullopt, std::nullopt}), STATUS_SUCCESS);
  ASSERT_EQ(HalRegisterSourceOverride(m.core(), {9, 9, Polarity::ActiveLow, TriggerMode::Level}), STATUS_SUCCESS);
  const SystemInterrupt timer = allocate_line(m.core(), LineRequest::isa_irq(0, "pit"), 12, RouteTarget::cpus(1));
  EXPECT_EQ(timer.Gsi, 2u);
  EXPECT_EQ(rte::Vector::get(m.entry(2)), timer.IdtVector);
  EXPECT_EQ(rte::Vector::get(m.entry(0)), 0u);  // untouched, still reset
  const SystemInterrupt sci = allocate_line(m.core(), LineRequest::isa_irq(9, "acpi"), 9, RouteTarget::cpus(1));
  EXPECT_EQ(sci.Trigger, TriggerMode::Level);
  EXPECT_TRUE(rte::TriggerMode::test(m.entry(9)));
  EXPECT_TRUE(rte::Polarity::test(m.entry(9)));
}

TEST(Routing, SeveralIoApicsByGsiBase) {
  HostedMachine m({.ioapic_gsi_bases = {0, 24}});
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(30), 4, RouteTarget::cpus(2));
  EXPECT_EQ(rte::Vector::get(m.ioapic(1).entry(6)), si.IdtVector);
  EXPECT_EQ(rte::Destination::get(m.ioapic(1).entry(6)), 1u);
  SystemInterrupt out;
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(48), 4, RouteTarget::cpus(1), &out), STATUS_NOT_FOUND);
  hw::RegisterWindow& again = m.ioapic_window(1);
  EXPECT_EQ(HalRegisterIoApic(m.core(), again, 30), STATUS_INVALID_PARAMETER_2);  // overlapping range
}

TEST(Routing, RegistrationMasksEveryEntry) {
  HostedMachine m({.initialize = false});
  {
    std::lock_guard<std::mutex> g(m.chipset());
    m.ioapic().write32(hw::ioapic::kIoRegSel, hw::ioapic::redirection_low(3));
    m.ioapic().write32(hw::ioapic::kIoWin, 0x41);  // firmware left pin 3 unmasked
  }
  ASSERT_EQ(HalRegisterIoApic(m.core(), m.ioapic_window(), 0), STATUS_SUCCESS);
  for (unsigned pin = 0; pin < 24; ++pin) EXPECT_TRUE(rte::Mask::test(m.ioapic().entry(pin))) << pin;
}

// An I/O APIC window whose version register claims `version` (a chip or firmware bug,
// or nothing decoding the address); every other access reaches the model.
class ClaimingWindow final : public hw::RegisterWindow {
 public:
  ClaimingWindow(hw::RegisterWindow& inner, std::uint32_t version) : inner_(inner), version_(version) {}
  std::uint32_t read32(std::uint32_t offset) override {
    if (offset == hw::ioapic::kIoWin && selected_ == hw::ioapic::kRegVersion) return version_;
    return inner_.read32(offset);
  }
  void write32(std::uint32_t offset, std::uint32_t value) override {
    if (offset == hw::ioapic::kIoRegSel) selected_ = static_cast<std::uint8_t>(value);
    inner_.write32(offset, value);
  }

 private:
  hw::RegisterWindow& inner_;
  std::uint32_t version_;
  std::uint8_t selected_ = 0;
};

// IOREGSEL reaches 120 entries: a chip claiming 240 is used with 120. Without the cap,
// masking "pin 120" at registration wrote the ID register, and GSI 130 was programmed
// into pin 2 (0x10 + 2 * 130 wraps to 0x14).
TEST(Routing, IoApicClaimingMoreEntriesThanIoRegSelReachesIsClamped) {
  HostedMachine m({.ioapic_pins = 120, .initialize = false});
  m.ioapic_window().write32(hw::ioapic::kIoRegSel, hw::ioapic::kRegId);
  m.ioapic_window().write32(hw::ioapic::kIoWin, 5u << 24);
  ClaimingWindow claims240(m.ioapic_window(), hw::ioapic::MaxRedirectionEntry::make(239) | 0x20);
  ASSERT_EQ(HalRegisterIoApic(m.core(), claims240, 0), STATUS_SUCCESS);
  for (unsigned cpu = 0; cpu < m.cpus(); ++cpu) ASSERT_EQ(HalInitializeProcessor(m.core(), cpu), STATUS_SUCCESS);
  EXPECT_EQ(m.core().ioapics.info(0).pins, 120u);
  EXPECT_EQ(m.core().ioapics.info(0).reported_pins, 240u);
  m.ioapic_window().write32(hw::ioapic::kIoRegSel, hw::ioapic::kRegId);
  EXPECT_EQ(m.ioapic_window().read32(hw::ioapic::kIoWin), 5u << 24);  // not overwritten

  SystemInterrupt out;
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(130), 5, RouteTarget::cpus(1), &out), STATUS_NOT_FOUND);
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(120), 5, RouteTarget::cpus(1), &out), STATUS_NOT_FOUND);
  EXPECT_EQ(m.entry(2), rte::kResetValue);
  const SystemInterrupt last = allocate_line(m.core(), LineRequest::gsi(119), 5, RouteTarget::cpus(1));
  EXPECT_EQ(rte::Vector::get(m.entry(119)), last.IdtVector);
  EXPECT_NE(dump(m.core()).find("io-apic 0: version register claims 240 entries, IOREGSEL reaches 120: gsi 0-119 "
                                "used\n"),
            std::string::npos);
  // A second I/O APIC may start right after the entries actually used.
  HostedMachine other;
  EXPECT_EQ(HalRegisterIoApic(m.core(), other.ioapic_window(), 120), STATUS_SUCCESS);
}

// A window nothing decodes reads all ones: "MRE 255" must not register 256 pins.
TEST(Routing, IoApicWhoseVersionReadsAllOnesIsRefused) {
  HostedMachine m({.initialize = false});
  ClaimingWindow absent(m.ioapic_window(), 0xFFFF'FFFFu);
  EXPECT_EQ(HalRegisterIoApic(m.core(), absent, 0), STATUS_DEVICE_DOES_NOT_EXIST);
  EXPECT_EQ(m.core().ioapics.count(), 0u);
  ASSERT_EQ(HalRegisterIoApic(m.core(), m.ioapic_window(), 0), STATUS_SUCCESS);
  EXPECT_EQ(m.core().ioapics.info(0).pins, 24u);
  EXPECT_EQ(m.core().ioapics.info(0).reported_pins, 24u);
}

TEST(Routing, EntryIsMaskedThenHighThenLow) {
  HostedMachine m({.apic_ids = {0, 3}, .initialize = false});
  RecordingWindow rec(m.ioapic_window());
  ASSERT_EQ(HalRegisterIoApic(m.core(), rec, 0), STATUS_SUCCESS);
  rec.writes.clear();
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(5), 6, RouteTarget::apic(3));
  ASSERT_EQ(rec.writes.size(), 3u);
  EXPECT_EQ(rec.writes[0].first, hw::ioapic::redirection_low(5));
  EXPECT_TRUE(rec.writes[0].second & rte::Mask::mask);
  EXPECT_EQ(rec.writes[1].first, hw::ioapic::redirection_high(5));
  EXPECT_EQ(rec.writes[1].second, 3u << 24);
  EXPECT_EQ(rec.writes[2].first, hw::ioapic::redirection_low(5));
  EXPECT_EQ(rec.writes[2].second & 0xFF, si.IdtVector);
}

TEST(Routing, X2ApicIdAbove255NeedsTheExtendedDestinationId) {
  HostedMachine plain({.apic_ids = {0, 300}, .mode = hw::LocalApic::Mode::X2Apic});
  SystemInterrupt out;
  EXPECT_EQ(AllocateSystemInterrupt(plain.core(), LineRequest::gsi(4), 5, RouteTarget::apic(300), &out),
            STATUS_NOT_SUPPORTED);
  EXPECT_EQ(AllocateSystemInterrupt(plain.core(), LineRequest::gsi(4), 5, RouteTarget::cpus(2), &out),
            STATUS_NOT_SUPPORTED);
  // An affinity set is cut down to the CPUs an entry can name.
  ASSERT_EQ(AllocateSystemInterrupt(plain.core(), LineRequest::gsi(4), 5, RouteTarget::cpus(3), &out), STATUS_SUCCESS);
  EXPECT_EQ(out.Cpu, 0u);
  EXPECT_EQ(out.Affinity, 1u);

  HostedMachine ext({.apic_ids = {0, 300}, .mode = hw::LocalApic::Mode::X2Apic, .extended_destination_id = true});
  const SystemInterrupt si = allocate_line(ext.core(), LineRequest::gsi(4), 5, RouteTarget::apic(300));
  const std::uint64_t e = ext.entry(4);
  EXPECT_EQ(rte::Destination::get(e), 300u & 0xFF);
  EXPECT_EQ(rte::ExtendedDestination::get(e), 300u >> 8);
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(ext.core(), &obj, si, c), STATUS_SUCCESS);
  ext.pulse(4);
  EXPECT_EQ(ext.step(1), si.IdtVector);  // reached the CPU with APIC id 300
  EXPECT_EQ(c.calls, 1);
  EXPECT_TRUE(ext.lapic(1).isr().empty());  // EOI'd through the x2APIC EOI MSR
  IoDisconnectInterrupt(obj);
}

TEST(Routing, TargetErrors) {
  HostedMachine m;
  SystemInterrupt out;
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(4), 5, RouteTarget::apic(9), &out), STATUS_NOT_FOUND);
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(4), 5, RouteTarget::cpus(0b100), &out),
            STATUS_INVALID_PARAMETER_3);
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(4), 2, RouteTarget::cpus(1), &out),
            STATUS_INVALID_PARAMETER_2);
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(4), 13, RouteTarget::cpus(1), &out),
            STATUS_INVALID_PARAMETER_2);
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::isa_irq(20), 5, RouteTarget::cpus(1), &out),
            STATUS_INVALID_PARAMETER_1);
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(4), 5, RouteTarget::cpus(1), nullptr),
            STATUS_INVALID_PARAMETER_4);
}

// A record whose generation reaches its last value is retired, not reused: its last
// handle can never reach a new owner, however many times sources were recycled. (The
// generation is set by hand to stand for four billion allocate/release rounds.)
TEST(Routing, ARecordIsRetiredBeforeItsGenerationComesRound) {
  HostedMachine m;
  SystemInterrupt si;
  ASSERT_EQ(AllocateMessageInterrupt(m.core(), "q", 8, RouteTarget::cpus(1), &si), STATUS_SUCCESS);
  const std::uint16_t record = si.Vector.index;
  ASSERT_EQ(ReleaseSystemInterrupt(m.core(), si.Vector), STATUS_SUCCESS);
  m.run_until_idle();
  m.core().sources[record].generation = InterruptSource::kRetired - 1;
  ASSERT_EQ(AllocateMessageInterrupt(m.core(), "q", 8, RouteTarget::cpus(1), &si), STATUS_SUCCESS);
  ASSERT_EQ(si.Vector.index, record);
  const SystemVector last = si.Vector;
  ASSERT_EQ(ReleaseSystemInterrupt(m.core(), last), STATUS_SUCCESS);
  m.run_until_idle();
  SystemInterrupt next;
  ASSERT_EQ(AllocateMessageInterrupt(m.core(), "r", 8, RouteTarget::cpus(1), &next), STATUS_SUCCESS);
  EXPECT_NE(next.Vector.index, record) << "the record was reused after its last generation";
  EXPECT_EQ(ReleaseSystemInterrupt(m.core(), last), STATUS_INVALID_PARAMETER_1);
  EXPECT_EQ(QuerySystemInterrupt(m.core(), SystemVector{record, InterruptSource::kRetired}, &si),
            STATUS_INVALID_PARAMETER_1);
  EXPECT_EQ(ReleaseSystemInterrupt(m.core(), next.Vector), STATUS_SUCCESS);
}

TEST(Routing, SecondAllocationOfALineSharesIt) {
  HostedMachine m;
  const SystemInterrupt a = allocate_line(m.core(), LineRequest::gsi(17, "a"), 6, RouteTarget::cpus(3));
  const SystemInterrupt b = allocate_line(m.core(), LineRequest::gsi(17, "b"), 6, RouteTarget::cpus(2));
  EXPECT_EQ(a.Vector, b.Vector);
  EXPECT_EQ(a.IdtVector, b.IdtVector);
  SystemInterrupt out;
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(17), 7, RouteTarget::cpus(3), &out),
            STATUS_INVALID_PARAMETER_2);
  LineRequest edge = LineRequest::gsi(17);
  edge.trigger = TriggerMode::Edge;
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), edge, 6, RouteTarget::cpus(3), &out), STATUS_INVALID_PARAMETER_1);
  ASSERT_EQ(ReleaseSystemInterrupt(m.core(), a.Vector), STATUS_SUCCESS);
  EXPECT_TRUE(m.core().vectors.in_use(a.Cpu, a.IdtVector));
  ASSERT_EQ(ReleaseSystemInterrupt(m.core(), b.Vector), STATUS_SUCCESS);
  EXPECT_TRUE(m.core().vectors.in_use(a.Cpu, a.IdtVector));  // until its CPU's cleanup pass
  EXPECT_EQ(m.step(a.Cpu), kMoveCleanupVector);
  EXPECT_FALSE(m.core().vectors.in_use(a.Cpu, a.IdtVector));
  EXPECT_EQ(ReleaseSystemInterrupt(m.core(), a.Vector), STATUS_INVALID_PARAMETER_1);  // stale handle
  EXPECT_EQ(QuerySystemInterrupt(m.core(), a.Vector, &out), STATUS_INVALID_PARAMETER_1);
}

TEST(Routing, ExhaustionLeavesNothingHalfAllocated) {
  HostedMachine m;  // two CPUs: 32 vectors in class 8
  std::vector<SystemInterrupt> msi;
  for (int i = 0; i < 32; ++i) {
    SystemInterrupt si;
    ASSERT_EQ(AllocateMessageInterrupt(m.core(), "q", 8, RouteTarget::cpus(~0ull), &si), STATUS_SUCCESS) << i;
    msi.push_back(si);
  }
  const std::string before = dump(m.core());
  SystemInterrupt out;
  EXPECT_EQ(AllocateMessageInterrupt(m.core(), "q", 8, RouteTarget::cpus(~0ull), &out), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(AllocateSystemInterrupt(m.core(), LineRequest::gsi(20), 8, RouteTarget::cpus(~0ull), &out),
            STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(dump(m.core()), before);
  EXPECT_TRUE(rte::Mask::test(m.entry(20)));
  EXPECT_EQ(rte::Vector::get(m.entry(20)), 0u);  // the entry was never touched
  // Spread evenly: the most-free rule alternates CPUs.
  EXPECT_EQ(m.core().vectors.free_in_class(0, 8), 0u);
  EXPECT_EQ(m.core().vectors.free_in_class(1, 8), 0u);
  ASSERT_EQ(ReleaseSystemInterrupt(m.core(), msi[3].Vector), STATUS_SUCCESS);
  // The released vector is free once its CPU's cleanup pass has run, not before.
  EXPECT_EQ(AllocateMessageInterrupt(m.core(), "q", 8, RouteTarget::cpus(~0ull), &out), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(m.step(msi[3].Cpu), kMoveCleanupVector);
  EXPECT_EQ(AllocateMessageInterrupt(m.core(), "q", 8, RouteTarget::cpus(~0ull), &out), STATUS_SUCCESS);
  EXPECT_EQ(out.IdtVector, msi[3].IdtVector);
}

TEST(Routing, MsiMessageComposedFromTheAllocation) {
  HostedMachine m({.apic_ids = {0, 7}});
  SystemInterrupt si;
  ASSERT_EQ(AllocateMessageInterrupt(m.core(), "nvme", 9, RouteTarget::apic(7), &si), STATUS_SUCCESS);
  hw::msi::Message msg;
  ASSERT_EQ(ComposeMsiMessage(m.core(), si.Vector, &msg), STATUS_SUCCESS);
  const auto decoded = hw::msi::decode(msg, hw::msi::DestinationFormat::XApic8);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->destination, 7u);
  EXPECT_EQ(decoded->vector, si.IdtVector);
  EXPECT_EQ(decoded->delivery_mode, hw::DeliveryMode::Fixed);
  EXPECT_EQ(decoded->trigger_mode, TriggerMode::Edge);

  HostedMachine x2({.apic_ids = {0, 70000}, .mode = hw::LocalApic::Mode::X2Apic,
                    .msi_format = hw::msi::DestinationFormat::X2Apic32});
  ASSERT_EQ(AllocateMessageInterrupt(x2.core(), "nvme", 9, RouteTarget::apic(70000), &si), STATUS_SUCCESS);
  ASSERT_EQ(ComposeMsiMessage(x2.core(), si.Vector, &msg), STATUS_SUCCESS);
  EXPECT_EQ(hw::msi::decode(msg, hw::msi::DestinationFormat::X2Apic32)->destination, 70000u);
  SystemInterrupt line = allocate_line(x2.core(), LineRequest::gsi(3), 4, RouteTarget::cpus(1));
  EXPECT_EQ(ComposeMsiMessage(x2.core(), line.Vector, &msg), STATUS_INVALID_PARAMETER_1);
}

TEST(Routing, StaleRemoteIrrIsClearedWhenALineIsAllocated) {
  for (std::uint8_t version : {hw::ioapic::kVersionIoxApic, hw::ioapic::kVersion82093AA}) {
    HostedMachine m({.ioapic_version = version});
    {
      // A previous owner left pin 18 level, asserted, remote IRR set.
      std::lock_guard<std::mutex> g(m.chipset());
      m.ioapic().write32(hw::ioapic::kIoRegSel, hw::ioapic::redirection_low(18));
      m.ioapic().write32(hw::ioapic::kIoWin, 0x8051);  // level, vector 0x51, unmasked, dest 0
      m.ioapic().set_line(18, true);
      m.lapic(0).acknowledge();  // taken, never EOI'd
      m.ioapic().set_line(18, false);
    }
    ASSERT_TRUE(rte::RemoteIrr::test(m.entry(18)));
    allocate_line(m.core(), LineRequest::gsi(18), 5, RouteTarget::cpus(1));
    EXPECT_FALSE(rte::RemoteIrr::test(m.entry(18))) << "version " << int{version};
  }
}

TEST(Routing, ProcessorInitProgramsSpuriousVectorAndDirectedEoi) {
  HostedMachine plain;
  EXPECT_EQ(plain.lapic(1).read32(hw::lapic::kSvr), 0x1FFu);
  HostedMachine directed({.directed_eoi = true});
  EXPECT_EQ(directed.lapic(1).read32(hw::lapic::kSvr), 0x11FFu);
  HostedMachine old({.ioapic_version = hw::ioapic::kVersion82093AA, .directed_eoi = true});
  EXPECT_EQ(old.lapic(0).read32(hw::lapic::kSvr), 0x1FFu);  // no EOI register: keep broadcasts
  HostedMachine x2({.mode = hw::LocalApic::Mode::X2Apic});
  std::uint64_t svr = 0;
  ASSERT_TRUE(x2.lapic(1).read_msr(hw::lapic::x2apic_msr(hw::lapic::kSvr), svr));
  EXPECT_EQ(svr, 0x1FFu);
  EXPECT_EQ(HalInitializeProcessor(plain.core(), 2), STATUS_INVALID_PARAMETER_1);
}

}  // namespace
}  // namespace irqshape::kern::testing
