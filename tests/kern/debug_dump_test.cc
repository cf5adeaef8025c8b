#include <gtest/gtest.h>

#include "test_support.h"

namespace irqshape::kern::testing {
namespace {

TEST(DebugDump, ListsEveryDeviceVectorWithItsOwner) {
  HostedMachine m({.apic_ids = {0, 0x12}});
  const SystemInterrupt com = allocate_line(m.core(), LineRequest::isa_irq(4, "com1"), 3, RouteTarget::apic(0));
  const SystemInterrupt nic = allocate_line(m.core(), LineRequest::gsi(16, "e1000"), 7, RouteTarget::apic(0x12));
  SystemInterrupt nvme;
  ASSERT_EQ(AllocateMessageInterrupt(m.core(), "nvme", 9, RouteTarget::apic(0x12), &nvme), STATUS_SUCCESS);
  Counter c;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(connect(m.core(), &obj, com, c), STATUS_SUCCESS);
  const std::string text = dump(m.core());
  EXPECT_EQ(text,
            "interrupt core: 2 cpus, 1 io-apics, 3 sources\n"
            "system vectors on every cpu: 0x00-0x2f 0xd0-0xff (move cleanup 0x20, spurious 0xff)\n"
            "cpu 0 apic 0x0: 1 device vectors\n"
            "  0x30 irql 3 gsi 4 edge high owner \"com1\" connections 1\n"
            "cpu 1 apic 0x12: 2 device vectors\n"
            "  0x70 irql 7 gsi 16 level low owner \"e1000\" connections 0\n"
            "  0x90 irql 9 msi owner \"nvme\" connections 0\n");
  EXPECT_EQ(nic.IdtVector, 0x70);
  ASSERT_EQ(SetSystemInterruptAffinity(m.core(), com.Vector, RouteTarget::apic(0x12)), STATUS_SUCCESS);
  EXPECT_NE(dump(m.core()).find("  0x30 irql 3 gsi 4 edge high owner \"com1\" connections 1 (old vector, move in "
                                "progress)\n"),
            std::string::npos);
  IoDisconnectInterrupt(obj);
}

TEST(DebugDump, TruncatesIntoASmallBuffer) {
  HostedMachine m;
  char small[32];
  BufferSink sink(small);
  DumpInterruptAllocation(m.core(), sink);
  EXPECT_TRUE(sink.truncated());
  EXPECT_EQ(sink.size(), 31u);
  EXPECT_EQ(std::string(small), "interrupt core: 2 cpus, 1 io-ap");
}

}  // namespace
}  // namespace irqshape::kern::testing
