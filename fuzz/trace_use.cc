// libFuzzer target: what the commands do with a trace a user hands them, past reading it.
// Input: ftrace text (the trace readers have their own targets for what reading does).
// A trace that reads cleanly is then
//   - turned into a replay scenario, open and closed loop (irqshape replay), which must
//     either be refused with a message or validate, and simulated for at most 20 ms under
//     none and the ISU, which must finish or fail with a message;
//   - mined for rules (irqshape learn, with its default thresholds and with loose ones so
//     that small inputs propose sequences too), and every proposed configuration must be
//     one the driver programs into a unit without an error (what isd-check would say).
// Never a crash, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "isd/config.h"
#include "isd/driver.h"
#include "isd/harness/model_harness.h"
#include "isd/miner.h"
#include "isd/trace_input.h"
#include "sim/machine.h"
#include "sim/policies/registry.h"
#include "sim/replay.h"
#include "trace/reader.h"
#include "trace_fuzz.h"

namespace {

using namespace irqshape;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void replay(const trace::Trace& t, bool closed_loop) {
  sim::ReplayOptions o;
  o.closed_loop = closed_loop;
  o.max_duration = 20'000'000;
  auto conv = sim::scenario_from_trace(t, "fuzz", o);
  if (!conv) {
    check(!conv.message().empty());
    return;
  }
  check(static_cast<bool>(conv->scenario.validate()));
  for (const char* name : {"none", "isu"}) {
    auto policy = sim::make_policy(*sim::parse_policy_spec(name));
    check(static_cast<bool>(policy));
    auto run = sim::simulate(conv->scenario, **policy);
    if (!run) check(!run.message().empty());
  }
}

void learn(std::span<const std::uint8_t> data) {
  auto reader = trace::open_trace(trace::fuzzing::fuzz_input(data.data(), data.size()), trace::Format::ftrace_text);
  check(static_cast<bool>(reader));
  auto in = isd::read_trace_events(**reader, "fuzz");
  check(static_cast<bool>(in));
  isd::MinerOptions loose;
  loose.min_events = loose.min_support = 2;
  loose.min_lift = loose.min_excess = loose.min_z = 0;
  for (const isd::MinerOptions& o : {isd::MinerOptions{}, loose}) {
    const isd::Config rules = isd::propose_rules(isd::mine(in->events, o), in->names);
    isd::harness::ModelHarness model;
    isd::Driver driver(model.window());
    check(static_cast<bool>(driver.apply(rules, in->names)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // a few hundred records already reach every path
  if (!trace::fuzzing::reads_cleanly(data, size, trace::Format::ftrace_text)) return 0;
  auto reader = trace::open_trace(trace::fuzzing::fuzz_input(data, size), trace::Format::ftrace_text);
  check(static_cast<bool>(reader));
  auto t = trace::read_all(**reader);
  check(static_cast<bool>(t));
  replay(*t, false);
  replay(*t, true);
  learn(std::span<const std::uint8_t>(data, size));
  return 0;
}
