#include "sim/policies/registry.h"

#include <gtest/gtest.h>

#include <vector>

#include "policy_test_support.h"

namespace irqshape::sim {
namespace {

using testing::Collect;

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
  // A policy's parameters whose text ends in ".toml" are parameters, not a file (found
  // by fuzz/policy_spec: the normalized spec must parse back to itself).
  auto p = parse_policy_spec("vic:max-delay-us=50.toml");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "vic");
  EXPECT_TRUE(p->config_file.empty());
  EXPECT_EQ(p->params.at("max-delay-us"), "50.toml");
  EXPECT_EQ(parse_policy_spec("./vic:x.toml")->config_file, "./vic:x.toml");
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
  // Found by fuzz/policy_spec: a name that is not a word, whose last parameter ends in
  // .toml, was parsed as parameters, but written back (keys sorted) it read as a file.
  auto f = parse_policy_spec("v\x97:b=50.toml,a=all");
  ASSERT_FALSE(f);
  EXPECT_NE(f.message().find("is not a policy name"), std::string::npos) << f.message();
  auto g = parse_policy_spec("warp-drive:b=50.toml,a=all");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->to_string(), "warp-drive:a=all,b=50.toml");
  EXPECT_EQ(parse_policy_spec(g->to_string())->params, g->params);
  EXPECT_EQ(parse_policy_spec("./v\x97:b=50.toml")->config_file, "./v\x97:b=50.toml");
  auto q = make_policy(*parse_policy_spec("none:speed=3"));
  ASSERT_FALSE(q);
  EXPECT_NE(q.message().find("unknown parameter \"speed\""), std::string::npos);
}

TEST(PolicyRegistry, NamesInReportOrder) {
  EXPECT_EQ(policy_names(), (std::vector<std::string>{"none", "static", "dim", "cinterrupts", "vic", "isu"}));
  for (const std::string& name : policy_names()) {
    auto p = make_policy(*parse_policy_spec(name));
    ASSERT_TRUE(p) << name << ": " << p.message();
    EXPECT_EQ((*p)->name(), name);
  }
}

// Every problem names the policy and the parameter.
TEST(PolicyRegistry, ParameterErrorsNameThePolicyAndTheKey) {
  struct Case {
    const char* spec;
    const char* says;
  };
  const Case cases[] = {
      {"static:rx-frames=abc", "policy \"static\": parameter \"rx-frames\": \"abc\" is not a non-negative integer"},
      {"static:rx-usecs=-5", "policy \"static\": parameter \"rx-usecs\": \"-5\" is not"},
      {"static:nvme-thr=256", "policy \"static\": parameter \"nvme-thr\": 256 is out of range 0..255"},
      {"static:nvme-time=1.5", "parameter \"nvme-time\": \"1.5\" is not"},
      {"static:classes=disk", "policy \"static\": parameter \"classes\": \"disk\" is not"},
      {"static:rx_frames=4", "policy \"static\": unknown parameter \"rx_frames\" (known: rx-frames, rx-usecs"},
      {"dim:mode=fast", "policy \"dim\": parameter \"mode\": \"fast\" is not one of eqe, cqe"},
      {"dim:default-bytes=0", "policy \"dim\": parameter \"default-bytes\": 0 is out of range"},
      {"dim:usec=8", "policy \"dim\": unknown parameter \"usec\""},
      {"cinterrupts:thr=99999999999999999999", "policy \"cinterrupts\": parameter \"thr\": \"99999999999999999999\""},
      {"cinterrupts:urgent-ooo=maybe", "policy \"cinterrupts\": parameter \"urgent-ooo\": \"maybe\" is not a boolean"},
      {"cinterrupts:percentile=0", "policy \"cinterrupts\": parameter \"percentile\": 0 is out of range 1..100"},
      {"vic:cif-threshold=0", "policy \"vic\": parameter \"cif-threshold\": 0 is out of range"},
      {"vic:epoch-ms=x", "policy \"vic\": parameter \"epoch-ms\": \"x\" is not"},
      {"vic:cif=4", "policy \"vic\": unknown parameter \"cif\" (known: cif-threshold"},
      {"isu:rules=4", "policy \"isu\": unknown parameter \"rules\" (known: max-added-p99, adapt-period)"},
      {"isu:max-added-p99=0us",
       "policy \"isu\": parameter \"max-added-p99\": 0ns is outside 1us..4.294967295s (a coalescing time the unit can hold"},
      {"isu:max-added-p99=0", "policy \"isu\": parameter \"max-added-p99\": \"0\" has no unit (write ns, us, ms or s)"},
      {"isu:max-added-p99=5s", "policy \"isu\": parameter \"max-added-p99\": 5s is outside 1us..4.294967295s"},
      {"isu:max-added-p99=fast", "policy \"isu\": parameter \"max-added-p99\": \"fast\" is not a duration"},
      {"isu:max-added-p99=-50us", "policy \"isu\": parameter \"max-added-p99\": \"-50us\""},
      {"isu:max-added-p99=50us,adapt-period=1ns", "policy \"isu\": parameter \"adapt-period\": 1ns is outside 100us..60s"},
      {"isu:max-added-p99=50us,adapt-period=1h", "policy \"isu\": parameter \"adapt-period\": \"1h\": unknown unit \"h\""},
      {"isu:adapt-period=10ms",
       "policy \"isu\": parameter \"adapt-period\": needs max-added-p99 (the latency budget to adapt to)"},
      {"isu:max-added-p99=50us,max-added-p999=40us", "policy \"isu\": unknown parameter \"max-added-p999\" (known: "
                                                     "max-added-p99, adapt-period)"},
      {"none:x=1", "policy \"none\": unknown parameter \"x\" (it takes none)"},
  };
  for (const Case& c : cases) {
    auto spec = parse_policy_spec(c.spec);
    ASSERT_TRUE(spec) << c.spec << ": " << spec.message();
    auto p = make_policy(*spec);
    ASSERT_FALSE(p) << c.spec;
    EXPECT_NE(p.message().find(c.says), std::string::npos) << c.spec << " said: " << p.message();
  }
}

TEST(PolicyRegistry, ParametersAreAccepted) {
  for (const char* spec : {"static:rx-frames=8,rx-usecs=50,nvme-thr=31,nvme-time=1,classes=net+block",
                           "dim:mode=cqe,default-bytes=64,classes=all", "cinterrupts:thr=16,delta-us=15,adaptive=off",
                           "vic:cif-threshold=8,iops-threshold=5000,epoch-ms=100,max-skip=4,max-delay-us=200",
                           "static:classes=none", "isu:max-added-p99=50us", "isu:max-added-p99=4.294967295s,adapt-period=60s",
                           "isu:max-added-p99=1us,adapt-period=100us"}) {
    auto p = make_policy(*parse_policy_spec(spec));
    EXPECT_TRUE(p) << spec << ": " << p.message();
    if (p) {
      EXPECT_FALSE((*p)->describe().empty());
    }
  }
}


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
