// Small helpers shared by the kern tests.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "hosted_machine.h"
#include "hw/ioapic_regs.h"

namespace irqshape::kern {

inline std::ostream& operator<<(std::ostream& os, NTSTATUS s) { return os << status_name(s); }

namespace testing {

namespace rte = hw::ioapic::rte;

inline SystemInterrupt allocate_line(InterruptCore& core, LineRequest request, KIRQL irql, RouteTarget target) {
  SystemInterrupt si;
  const NTSTATUS s = AllocateSystemInterrupt(core, request, irql, target, &si);
  EXPECT_EQ(s, STATUS_SUCCESS);
  return si;
}

inline std::string dump(InterruptCore& core) {
  char buffer[8192];
  BufferSink sink(buffer);
  DumpInterruptAllocation(core, sink);
  return buffer;
}

// An ISR context: counts calls, claims according to `claim`.
struct Counter {
  int calls = 0;
  bool claim = true;
};

inline bool counting_isr(KINTERRUPT*, void* context) {
  auto* c = static_cast<Counter*>(context);
  ++c->calls;
  return c->claim;
}

inline NTSTATUS connect(InterruptCore& core, KINTERRUPT** out, const SystemInterrupt& si, Counter& c,
                        KINTERRUPT_MODE mode = Latched, bool share = false, KAFFINITY mask = ~0ull,
                        KSPIN_LOCK* lock = nullptr) {
  return IoConnectInterrupt(core, out, counting_isr, &c, lock, si.Vector, si.Irql, si.Irql, mode, share, mask);
}

// Records the IOWIN writes to one I/O APIC as (register, value).
class RecordingWindow final : public hw::RegisterWindow {
 public:
  explicit RecordingWindow(hw::RegisterWindow& inner) : inner_(inner) {}
  std::uint32_t read32(std::uint32_t offset) override { return inner_.read32(offset); }
  void write32(std::uint32_t offset, std::uint32_t value) override {
    if (offset == hw::ioapic::kIoRegSel) selected_ = static_cast<std::uint8_t>(value);
    if (offset == hw::ioapic::kIoWin) writes.push_back({selected_, value});
    inner_.write32(offset, value);
  }
  std::vector<std::pair<std::uint8_t, std::uint32_t>> writes;

 private:
  hw::RegisterWindow& inner_;
  std::uint8_t selected_ = 0;
};

inline unsigned chain_length(const InterruptSource& src, unsigned cpu) {
  unsigned n = 0;
  for (KINTERRUPT* o = src.chain[cpu].load(); o; o = o->Next.load()) ++n;
  return n;
}

}  // namespace testing
}  // namespace irqshape::kern
