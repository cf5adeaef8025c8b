// Shortening a source's coalescing time while the unit holds a batch of it. COMMIT_SOURCE
// takes effect from the source's next interrupt (docs/isu-spec.md 5.5), so a batch held
// under the old, longer time would keep its old deadline if nothing else arrived; the
// driver has the unit deliver what it holds first, so that no batch is held longer than
// the new time (the adapter's p99 bound relies on it). The unit's own side of this is
// tested in tests/isu/modulator_test.cc (ShorteningTheTimeWhileABatchIsHeldDeliversAtOnce).
#include <gtest/gtest.h>

#include <vector>

#include "isd/driver.h"
#include "isd/harness/model_harness.h"
#include "isd_test_support.h"

namespace irqshape::isd {
namespace {

namespace regs = isu::regs;
using testing::TamperingWindow;

TEST(DriverUpdate, ShorteningTheCoalescingTimeDeliversWhatIsHeldFirst) {
  harness::ModelHarness model;
  Driver driver(model.window());
  auto c = parse_config("[source.a]\nrx-usecs = 400\n", "a.toml");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(driver.apply(*c, SourceMap::from_names({"a"})).ok());
  model.interrupt({0, 0, 0x40, 0});
  model.interrupt({100'000, 0, 0x40, 0});
  auto live = driver.read_source(0);
  ASSERT_TRUE(live.ok());
  live->set(regs::SRC_COAL_TIME, 40'000);
  ASSERT_TRUE(driver.update_source(*live).ok());
  model.interrupt({200'000, 0, 0x40, 0});
  model.interrupt({300'000, 0, 0x40, 0});
  model.advance(1'000'000);
  const auto delays = model.take_delays(0);
  ASSERT_EQ(delays.size(), 4u);
  for (const std::uint64_t d : delays) EXPECT_LE(d, 400'000u);
  const SourceTelemetry t = driver.read_source_telemetry(0);
  EXPECT_LT(t.hold_sum_ns, 4 * 400'000u);
  EXPECT_TRUE(model.unit().enabled());
}

// The LOAD_SOURCE that reads the old coalescing time is checked like every commit: a
// refusal fails update_source, naming the command, before any shadow is written.
TEST(DriverUpdate, ARefusedLoadOfTheOldSettingsFailsTheUpdate) {
  harness::ModelHarness model;
  TamperingWindow bus(model.window());
  std::uint32_t last_command = 0;
  bool refuse = false;
  bus.on_write = [&](std::uint32_t offset, std::uint32_t& v) {
    if (offset == regs::COMMIT) last_command = v;
  };
  bus.on_read = [&](std::uint32_t offset, std::uint32_t& v) {
    if (offset == regs::COMMIT_STATUS && refuse && last_command == regs::commit::kLoadSource) {
      v = regs::commit::LastCommand::make(regs::commit::kLoadSource) | regs::commit::kBadCommand;
      refuse = false;
    }
    return false;
  };
  Driver driver(bus);
  auto c = parse_config("[source.a]\nrx-usecs = 400\n", "a.toml");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(driver.apply(*c, SourceMap::from_names({"a"})).ok());
  auto live = driver.read_source(0);
  ASSERT_TRUE(live.ok());
  live->set(regs::SRC_COAL_TIME, 40'000);
  refuse = true;
  const std::uint64_t writes = driver.register_writes();
  auto st = driver.update_source(*live);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("command 0x13 refused: COMMIT_STATUS 1 (BAD_COMMAND)"), std::string::npos) << st.message();
  EXPECT_EQ(driver.register_writes() - writes, 2u) << "SRC_SEL and the LOAD_SOURCE only";
  EXPECT_EQ(driver.read_source(0)->value(regs::SRC_COAL_TIME), 400'000u);
}

}  // namespace
}  // namespace irqshape::isd
