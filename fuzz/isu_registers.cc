// Fuzzes the ISU through everything a driver and a controller can do to it: register
// reads and writes at any offset with any value, interrupts with any fields, time
// moving in any direction. Checks the unit's invariants after every step.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "isu/isu.h"

namespace {

using namespace irqshape;

struct CheckingSink final : isu::VirtualInterruptSink {
  void inject(const isu::VirtualInterrupt& vi) override {
    if (vi.time < last_time || vi.count == 0 || vi.first_time > vi.last_time) std::abort();
    last_time = vi.time;
  }
  std::uint64_t last_time = 0;
};

class Input {
 public:
  Input(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool empty() const { return i_ >= n_; }
  template <typename T>
  T take() {
    T v{};
    for (std::size_t b = 0; b < sizeof(T) && i_ < n_; ++b) v = static_cast<T>(v | (T(d_[i_++]) << (8 * b)));
    return v;
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_, i_ = 0;
};

// Offsets are biased towards real registers so the fuzzer reaches deep state quickly.
std::uint32_t offset(Input& in) {
  const std::uint16_t raw = in.take<std::uint16_t>();
  if (raw & 0x8000) return raw & 0x0FFF;  // anywhere, aligned or not
  const auto& regs = isu::regs::kRegisters;
  return regs[raw % std::size(regs)].offset;
}

void check_source(const isu::Isu& unit, unsigned s) {
  const isu::SourceTelemetry& t = unit.telemetry(s);
  if (t.in != t.events + t.dropped + unit.pending(s)) std::abort();  // nothing lost
  // Every held event has a deadline: its source's is armed (2^64 - 1 is one too).
  if (unit.pending(s) != 0 && !unit.deadline_armed(s)) std::abort();
}

void check_all(const isu::Isu& unit) {
  for (unsigned s = 0; s < isu::regs::kSources; ++s) check_source(unit, s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CheckingSink sink;
  auto unit = std::make_unique<isu::Isu>(sink);
  Input in(data, size);
  std::uint64_t now = 0;
  unsigned steps = 0;
  while (!in.empty()) {
    switch (in.take<std::uint8_t>() % 6) {
      case 0: {
        const std::uint32_t off = offset(in);  // sequenced: argument order is unspecified
        unit->write32(off, in.take<std::uint32_t>());
        break;
      }
      case 1: (void)unit->read32(offset(in)); break;
      case 2: {
        hw::InterruptMessage m;
        m.source = in.take<std::uint16_t>() % 300;  // some beyond the 256 sources
        m.vector = in.take<std::uint8_t>();
        m.destination = in.take<std::uint8_t>() % 80;
        const std::uint8_t bits = in.take<std::uint8_t>();
        m.trigger_mode = static_cast<hw::TriggerMode>(bits & 1);
        m.destination_mode = static_cast<hw::DestinationMode>((bits >> 1) & 1);
        m.delivery_mode = static_cast<hw::DeliveryMode>((bits >> 2) & 7);
        now += in.take<std::uint16_t>();
        unit->receive(m, (bits & 0x80) ? now / 2 : now);  // sometimes time runs backwards
        if (m.source < isu::regs::kSources) check_source(*unit, m.source);
        break;
      }
      case 3: now += std::uint64_t{in.take<std::uint32_t>()} * 16; unit->advance(now); break;
      case 4: unit->write32(isu::regs::COMMIT, in.take<std::uint8_t>()); break;
      default:  // the end of the clock: sums of a time and a window must not wrap
        now = std::max(now, ~std::uint64_t{0} - in.take<std::uint32_t>());
        unit->advance(now);
        break;
    }
    if (++steps % 64 == 0) check_all(*unit);
  }
  check_all(*unit);
  unit->advance(~std::uint64_t{0});
  for (unsigned s = 0; s < isu::regs::kSources; ++s)
    if (unit->pending(s) != 0) std::abort();
  return 0;
}
