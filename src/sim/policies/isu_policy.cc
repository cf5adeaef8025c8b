#include "sim/policies/isu_policy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "isu/isu.h"

namespace irqshape::sim {

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class ProgramOnce final : public IsuPolicy::Software {
 public:
  explicit ProgramOnce(IsuPolicy::Programmer program) : program_(std::move(program)) {}
  Status program(hw::RegisterWindow& unit, const std::vector<SourceInfo>& sources) override {
    return program_(unit, sources);
  }

 private:
  IsuPolicy::Programmer program_;
};

}  // namespace

IsuPolicy::IsuPolicy(std::unique_ptr<Software> software, std::string description)
    : description_(std::move(description)), unit_(std::make_unique<isu::Isu>(forward_)),
      software_(std::move(software)) {}

IsuPolicy::IsuPolicy(Programmer program, std::string description)
    : IsuPolicy(std::make_unique<ProgramOnce>(std::move(program)), std::move(description)) {}

IsuPolicy::~IsuPolicy() = default;

std::string IsuPolicy::describe() const {
  if (!start_error_.empty()) return fmt::format("{} - NOT APPLIED, unit passes interrupts through: {}", description_,
                                                start_error_);
  if (!tick_error_.empty()) return fmt::format("{} - periodic driver work STOPPED: {}", description_, tick_error_);
  return description_;
}

void IsuPolicy::add_source(const SourceInfo& source) {
  if (sources_.size() <= source.id) {
    sources_.resize(std::size_t{source.id} + 1);
    announced_.resize(std::size_t{source.id} + 1, false);
  }
  sources_[source.id] = source;
  announced_[source.id] = true;
}

Status IsuPolicy::start() {
  if (started_) {
    if (!start_error_.empty()) return make_error("{}", start_error_);
    return {};
  }
  started_ = true;
  std::vector<SourceInfo> announced;
  for (std::size_t id = 0; id < sources_.size(); ++id)
    if (announced_[id]) announced.push_back(sources_[id]);
  Status s = software_->program(*unit_, announced);
  if (!s) {
    start_error_ = s.message();
    return s;
  }
  period_ = software_->period();
  next_tick_ = period_ != 0 ? period_ : kNoDeadline;
  return s;
}

void IsuPolicy::ensure_started() {
  if (!started_) (void)start();  // an error stays in describe()
}

std::uint64_t IsuPolicy::dropped_so_far(std::uint32_t source) const {
  return source < isu::regs::kSources ? unit_->telemetry(source).dropped : 0;
}

// Runs inside receive()/advance(): the unit has just emitted `vi`.
void IsuPolicy::translate(const isu::VirtualInterrupt& vi) {
  const std::uint32_t source = vi.message.source;
  Interrupt i;
  i.time = vi.time;
  i.source = source;
  i.events = vi.count;
  i.message = vi.message;
  if (source < sources_.size()) i.message.source = sources_[source].message.source;
  if (vi.context_slot != isu::kNoContext) {
    i.payload = vi.context_slot;
    i.has_payload = true;
  }
  // The unit emits only inside a routed call: programming happens before any event is
  // held, and nothing else drives it.
  if (out_ != nullptr) out_->deliver(i);
}

// The software's periodic work, when a period boundary is at or before `now`: the unit's
// deadlines up to `now` first (as a timer call would), then one tick for the first
// boundary passed. Later boundaries passed meanwhile found the unit idle, with nothing
// delivered since the first: their ticks would see the same registers, and decide
// nothing (no events in their period).
void IsuPolicy::tick_if_due(Nanos now) {
  if (next_tick_ > now) return;
  unit_->advance(now);
  const Nanos boundary = next_tick_;
  next_tick_ = now / period_ < kNoDeadline / period_ - 1 ? (now / period_ + 1) * period_ : kNoDeadline;
  if (Status s = software_->tick(boundary); !s) {
    tick_error_ = fmt::format("at {} ns: {}", boundary, s.message());
    period_ = 0;
    next_tick_ = kNoDeadline;
  }
}

void IsuPolicy::on_event(const DeviceEvent& e, InterruptSink& out) {
  ensure_started();
  Route route(*this, out);
  tick_if_due(e.time);
  hw::InterruptMessage m = e.source < sources_.size() ? sources_[e.source].message : hw::InterruptMessage{};
  m.source = e.source;  // the ISU source id
  // The storm guard drops the arriving event, and only that one (the unit's DROPPED
  // counter of its source goes up by one): the simulator hears of it at once.
  const std::uint64_t dropped = dropped_so_far(e.source);
  unit_->receive(m, e.time);
  if (dropped_so_far(e.source) != dropped) out.drop(e);
}

void IsuPolicy::on_timer(Nanos now, InterruptSink& out) {
  ensure_started();
  Route route(*this, out);
  unit_->advance(now);
  tick_if_due(now);
}

// The software's next tick only while the unit holds something (see the header).
Nanos IsuPolicy::next_deadline() const {
  const Nanos unit = unit_->next_deadline();
  return unit == kNoDeadline ? kNoDeadline : std::min(unit, next_tick_);
}

// Deadlines up to `now` first, then disabling the unit delivers every held batch stamped
// `now` (datasheet 5.9); the unit is enabled again as it was.
void IsuPolicy::flush(Nanos now, InterruptSink& out) {
  ensure_started();
  Route route(*this, out);
  unit_->advance(now);
  const std::uint32_t ctrl = unit_->read32(isu::regs::CTRL);
  if (isu::regs::ctrl::Enable::test(ctrl)) {
    unit_->write32(isu::regs::CTRL, ctrl & ~isu::regs::ctrl::Enable::mask);
    unit_->write32(isu::regs::CTRL, ctrl);
  }
  next_tick_ = kNoDeadline;  // the end of the run: the driver's periodic work ends too
}

std::string IsuPolicy::telemetry_json() const {
  std::string s = fmt::format("{{\"enabled\":{},\"sources\":[", unit_->enabled());
  bool first = true;
  const std::size_t n = std::min<std::size_t>(sources_.size(), isu::regs::kSources);
  for (std::size_t id = 0; id < n; ++id) {
    const isu::SourceTelemetry& t = unit_->telemetry(static_cast<unsigned>(id));
    if (t.in == 0 && sources_[id].name.empty()) continue;
    s += fmt::format(
        "{}{{\"source\":{},\"name\":{},\"in\":{},\"out\":{},\"events\":{},\"coalesced\":{},\"deferred\":{},"
        "\"dropped\":{},\"raised\":{},\"lowered\":{},\"patterns\":{},\"hold_sum_ns\":{},\"hold_max_ns\":{},"
        "\"hold_histogram\":[{}]}}",
        first ? "" : ",", id, json_string(sources_[id].name), t.in, t.out, t.events, t.coalesced, t.deferred,
        t.dropped, t.raised, t.lowered, t.patterns, t.hold_sum, t.hold_max, fmt::join(t.hold, ","));
    first = false;
  }
  s += "],\"rules\":[";
  first = true;
  for (unsigned r = 0; r < isu::regs::kRules; ++r) {
    if (unit_->rule_matches(r) == 0) continue;
    s += fmt::format("{}{{\"rule\":{},\"matches\":{}}}", first ? "" : ",", r, unit_->rule_matches(r));
    first = false;
  }
  s += "],\"patterns\":[";
  first = true;
  for (unsigned p = 0; p < isu::regs::kPatterns; ++p) {
    if (unit_->pattern_matches(p) == 0) continue;
    s += fmt::format("{}{{\"pattern\":{},\"matches\":{}}}", first ? "" : ",", p, unit_->pattern_matches(p));
    first = false;
  }
  s += "]";
  if (const std::string more = software_->telemetry_members(); !more.empty()) s += "," + more;
  return s + "}";
}

}  // namespace irqshape::sim
