// The unit's pending-deadline list against an obviously correct reference (an ordered set
// of (deadline, source)): random insertions in and out of order, moves earlier and later,
// ties, removals and clears.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <utility>

#include "isu/deadline_list.h"

namespace irqshape::isu {
namespace {

using Reference = std::set<std::pair<std::uint64_t, unsigned>>;

void expect_same(const DeadlineList& list, const Reference& ref, unsigned step) {
  ASSERT_EQ(list.empty(), ref.empty()) << "step " << step;
  if (ref.empty()) {
    EXPECT_EQ(list.earliest(), kNever);
    EXPECT_FALSE(list.due(kNever)) << "an empty list is never due";
    return;
  }
  EXPECT_EQ(list.earliest(), ref.begin()->first) << "step " << step;
  EXPECT_EQ(list.earliest_source(), ref.begin()->second) << "step " << step;
  EXPECT_TRUE(list.due(ref.begin()->first));
  EXPECT_EQ(list.due(ref.begin()->first - 1), ref.begin()->first == 0);
}

TEST(DeadlineList, StartsEmpty) {
  const DeadlineList list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.earliest(), kNever);
  EXPECT_FALSE(list.due(kNever));
  for (unsigned s = 0; s < DeadlineList::kCapacity; ++s) EXPECT_FALSE(list.contains(s));
}

TEST(DeadlineList, TiesGoInSourceOrderWhateverTheInsertionOrder) {
  DeadlineList list;
  for (unsigned s : {7u, 3u, 200u, 0u, 255u}) list.set(s, 1000);
  list.set(9, 999);
  const unsigned expected[] = {9, 0, 3, 7, 200, 255};
  for (unsigned s : expected) {
    ASSERT_EQ(list.earliest_source(), s);
    list.remove(s);
    EXPECT_FALSE(list.contains(s));
  }
  EXPECT_TRUE(list.empty());
}

TEST(DeadlineList, MatchesAnOrderedSetUnderRandomOperations) {
  std::mt19937_64 rng(7);
  for (unsigned round = 0; round < 20; ++round) {
    DeadlineList list;
    Reference ref;
    std::array<std::uint64_t, DeadlineList::kCapacity> at{};
    std::uint64_t now = 0;
    // Small source sets make ties and moves frequent; large ones fill the list.
    const unsigned sources = round % 2 == 0 ? 8 : DeadlineList::kCapacity;
    for (unsigned step = 0; step < 20'000; ++step) {
      const unsigned s = static_cast<unsigned>(rng() % sources);
      const unsigned op = static_cast<unsigned>(rng() % 10);
      if (op < 5) {  // mostly in order (now + a fixed hold), sometimes not
        now += rng() % 50;
        const std::uint64_t d = op < 3 ? now + 1000 : now + rng() % 5000;
        if (list.contains(s)) ref.erase({at[s], s});
        list.set(s, d);
        ref.insert({d, s});
        at[s] = d;
      } else if (op < 8) {
        list.remove(s);
        ref.erase({at[s], s});
        EXPECT_FALSE(list.contains(s));
      } else if (op < 9 && !ref.empty()) {  // fire the earliest, as the unit does
        const auto [d, first] = *ref.begin();
        ASSERT_EQ(list.earliest_source(), first);
        list.remove(first);
        ref.erase(ref.begin());
      } else if (rng() % 100 == 0) {
        list.clear();
        ref.clear();
      }
      for (unsigned i = 0; i < sources; i += sources / 8) EXPECT_EQ(list.contains(i), ref.count({at[i], i}) == 1);
      expect_same(list, ref, step);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace irqshape::isu
