#include "kern/source_override.h"

#include <gtest/gtest.h>

namespace irqshape::kern {
namespace {

using hw::Polarity;
using hw::TriggerMode;

ResolvedLine resolve(const SourceOverrideTable& t, const LineRequest& r) {
  ResolvedLine out;
  EXPECT_EQ(t.resolve(r, out), STATUS_SUCCESS);
  return out;
}

TEST(SourceOverride, IsaDefaultsAndPciDefaults) {
  SourceOverrideTable t;
  EXPECT_EQ(resolve(t, LineRequest::isa_irq(4)), (ResolvedLine{4, TriggerMode::Edge, Polarity::ActiveHigh}));
  EXPECT_EQ(resolve(t, LineRequest::gsi(4)), (ResolvedLine{4, TriggerMode::Edge, Polarity::ActiveHigh}));
  EXPECT_EQ(resolve(t, LineRequest::gsi(16)), (ResolvedLine{16, TriggerMode::Level, Polarity::ActiveLow}));
  ResolvedLine out;
  EXPECT_EQ(t.resolve(LineRequest::isa_irq(16), out), STATUS_INVALID_PARAMETER_1);
}

TEST(SourceOverride, OverridesMoveIrqsAndSetFlags) {
  SourceOverrideTable t;
  ASSERT_EQ(t.add({0, 2, std::nullopt, std::nullopt}), STATUS_SUCCESS);         // timer: IRQ0 -> GSI2
  ASSERT_EQ(t.add({9, 9, Polarity::ActiveLow, TriggerMode::Level}), STATUS_SUCCESS);  // SCI
  EXPECT_EQ(resolve(t, LineRequest::isa_irq(0)), (ResolvedLine{2, TriggerMode::Edge, Polarity::ActiveHigh}));
  EXPECT_EQ(resolve(t, LineRequest::isa_irq(9)), (ResolvedLine{9, TriggerMode::Level, Polarity::ActiveLow}));
  EXPECT_EQ(resolve(t, LineRequest::gsi(9)), (ResolvedLine{9, TriggerMode::Level, Polarity::ActiveLow}));
  // GSI 0 is no longer ISA IRQ 0 (that moved to GSI 2): it is treated as a bus line.
  EXPECT_EQ(resolve(t, LineRequest::gsi(0)).trigger, TriggerMode::Level);
  EXPECT_EQ(t.add({16, 2, std::nullopt, std::nullopt}), STATUS_INVALID_PARAMETER_1);
}

TEST(SourceOverride, CallerSettingsWin) {
  SourceOverrideTable t;
  ASSERT_EQ(t.add({9, 9, Polarity::ActiveLow, TriggerMode::Level}), STATUS_SUCCESS);
  LineRequest r = LineRequest::isa_irq(9);
  r.trigger = TriggerMode::Edge;
  EXPECT_EQ(resolve(t, r), (ResolvedLine{9, TriggerMode::Edge, Polarity::ActiveLow}));
  LineRequest p = LineRequest::gsi(20);
  p.polarity = Polarity::ActiveHigh;
  EXPECT_EQ(resolve(t, p), (ResolvedLine{20, TriggerMode::Level, Polarity::ActiveHigh}));
}

}  // namespace
}  // namespace irqshape::kern
