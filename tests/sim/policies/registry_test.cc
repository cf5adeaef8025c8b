#include "sim/policies/registry.h"

#include <gtest/gtest.h>

#include <vector>

namespace irqshape::sim {
namespace {

TEST(PolicySpec, ParsesNamesParametersAndFiles) {
  auto s = parse_policy_spec("static:rx-frames=8,rx-usecs=50");
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->name, "static");
  EXPECT_EQ(s->params.at("rx-frames"), "8");
  EXPECT_EQ(s->params.at("rx-usecs"), "50");
  EXPECT_EQ(s->to_string(), "static:rx-frames=8,rx-usecs=50");
  auto f = parse_policy_spec("configs/rules.toml");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->name, "isu");
  EXPECT_EQ(f->config_file, "configs/rules.toml");
  EXPECT_EQ(parse_policy_spec("none")->params.size(), 0u);
}

TEST(PolicySpec, RejectsMalformedParameters) {
  for (const char* bad : {"", "static:", "static:rx-frames", "static:=3", "static:a=1,,b=2", "static:a=1,a=2"}) {
    EXPECT_FALSE(parse_policy_spec(bad)) << bad;
  }
  EXPECT_NE(parse_policy_spec("static:a=1,a=2").message().find("given twice"), std::string::npos);
}

TEST(PolicyRegistry, UnknownNamesAndParametersAreErrors) {
  auto p = make_policy(*parse_policy_spec("warp-drive"));
  ASSERT_FALSE(p);
  EXPECT_NE(p.message().find("unknown policy \"warp-drive\""), std::string::npos);
  auto q = make_policy(*parse_policy_spec("none:speed=3"));
  ASSERT_FALSE(q);
  EXPECT_NE(q.message().find("unknown parameter \"speed\""), std::string::npos);
}

struct Collect final : InterruptSink {
  void deliver(const Interrupt& i) override { got.push_back(i); }
  std::vector<Interrupt> got;
};

TEST(NonePolicy, OneInterruptPerEventAtTheEventsTime) {
  auto p = make_policy(*parse_policy_spec("none"));
  ASSERT_TRUE(p);
  SourceInfo src;
  src.id = 2;
  src.message.vector = 0x51;
  (*p)->add_source(src);
  Collect out;
  for (Nanos t : {100u, 100u, 250u}) (*p)->on_event(DeviceEvent{.time = t, .source = 2}, out);
  ASSERT_EQ(out.got.size(), 3u);
  for (const Interrupt& i : out.got) {
    EXPECT_EQ(i.events, 1u);
    EXPECT_EQ(i.message.vector, 0x51);
  }
  EXPECT_EQ(out.got[2].time, 250u);
  EXPECT_EQ((*p)->next_deadline(), kNoDeadline);
}

}  // namespace
}  // namespace irqshape::sim
