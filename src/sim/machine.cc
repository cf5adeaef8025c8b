// The simulated machine. Reading order: the state structs, boot(), the event loop
// (run_loop / handle), the device side (device_event, requests), the policy side
// (report_events, deliver_now), the vCPU side (poke, try_take, frame_done), the end of
// the run (finish, check_conservation).
#include "sim/machine.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "hw/apic_bus.h"
#include "hw/ioapic.h"
#include "hw/ioapic_regs.h"
#include "hw/lapic.h"
#include "hw/msi.h"
#include "kern/interrupts.h"
#include "sim/event_queue.h"
#include "sim/random.h"

namespace irqshape::sim {

namespace {

constexpr std::uint32_t kNone = ~0u;
constexpr std::uint64_t kThinkSalt = 0x7468696E6B000000ull;  // "think": a second stream per source
constexpr unsigned kIoApicPins = 24;

// A DeviceEvent's id names its source and its sequence number within that source, so a
// dropped event can be found again without a lookup table.
constexpr unsigned kEventSeqBits = 40;
constexpr std::uint64_t event_id(std::uint32_t source, std::uint64_t seq) {
  return (std::uint64_t{source} << kEventSeqBits) | seq;
}
constexpr std::uint32_t event_source(std::uint64_t id) { return static_cast<std::uint32_t>(id >> kEventSeqBits); }
constexpr std::uint64_t event_seq(std::uint64_t id) { return id & ((std::uint64_t{1} << kEventSeqBits) - 1); }

enum Kind : std::uint16_t {
  kArrival,            // target source: the next open-loop arrival (an event or a request)
  kFollower,           // target source: an event of a correlated follower
  kServiceDone,        // target source, arg slot: the device finished a request
  kIssue,              // target source, arg slot: a requester issues its next request
  kDeferredInterrupt,  // arg: index into deferred_: an interrupt a policy stamped in the future
  kVcpuArrive,         // target vCPU: a delivered interrupt reaches it (after wake-up / kick / posting)
  kFrameDone,          // target vCPU, arg generation: the ISR frame on top finishes
  kBackground,         // target vCPU: background guest work starts or stops
};

// ---- per-source event bookkeeping ----

struct PendingEvent {
  Nanos time = 0;
  std::uint32_t slot = kNone;   // request slot, for request sources
  std::uint32_t in_flight = 0;  // requests outstanding after this completion
  std::uint32_t bytes = 0;
  bool urgent = false;
  bool dropped = false;         // reported dropped by the policy: served by nobody
};

// Events of one source by sequence number, from the oldest still needed to the newest.
class EventRing {
 public:
  EventRing() : buf_(64) {}
  void push(const PendingEvent& e) {
    if (head_ - tail_ == buf_.size()) grow();
    buf_[head_++ & (buf_.size() - 1)] = e;
  }
  PendingEvent& at(std::uint64_t seq) { return buf_[seq & (buf_.size() - 1)]; }
  void release_before(std::uint64_t seq) { tail_ = std::max(tail_, seq); }

 private:
  void grow() {
    std::vector<PendingEvent> bigger(buf_.size() * 2);
    for (std::uint64_t s = tail_; s < head_; ++s) bigger[s & (bigger.size() - 1)] = buf_[s & (buf_.size() - 1)];
    buf_.swap(bigger);
  }
  std::vector<PendingEvent> buf_;
  std::uint64_t head_ = 0, tail_ = 0;
};

struct RequestSlot {
  Nanos issue = 0;
  Nanos service = 0;
  std::uint64_t k = 0;  // request number in issue order: its service and think times depend on k only
  std::uint32_t bytes = 0;
  bool urgent = false;
};

class Machine;

struct Driver {  // the ServiceContext of a source's interrupt objects
  Machine* machine = nullptr;
  std::uint32_t source = 0;
};

struct SourceState {
  const SourceSpec* spec = nullptr;
  std::uint32_t id = 0;
  std::uint64_t stream = 0;
  Rng rng;
  Driver driver;
  // Wiring, as the guest set it up.
  bool pin = false;
  bool level = false;
  unsigned gsi = 0;
  hw::InterruptMessage message;  // what the device signals (MSI: decoded; pin: the entry's message)
  std::array<kern::SystemVector, 3> handles{};  // primary, raise, lower
  std::array<kern::KINTERRUPT*, 3> objects{};
  std::array<std::uint8_t, 3> vectors{};
  // Open-loop arrivals.
  const Arrivals* arrivals = nullptr;
  std::uint64_t k = 0;
  bool on = false;
  Nanos cursor = 0, phase_end = 0;
  std::vector<std::uint32_t> followers;
  // Requests.
  const Requests* requests = nullptr;
  std::vector<RequestSlot> slots;
  std::vector<std::uint32_t> free_slots;
  std::deque<std::uint32_t> waiting;  // issued, waiting for a device server
  unsigned busy = 0;
  std::uint32_t outstanding = 0;
  std::uint64_t issued = 0;
  std::size_t recorded_next = 0;  // RecordedRequests: next to issue
  bool awaiting_completion = false;
  // Events: [served, credited) carried by delivered interrupts, not yet served by an ISR;
  // [credited, reported) reported to the policy, held by it; [reported, completed) not
  // yet passed by the interrupt controller (a level line waiting for its EOI).
  EventRing ring;
  std::uint64_t completed = 0, reported = 0, credited = 0, served = 0;
  std::uint64_t dropped_unserved = 0;        // dropped entries inside [served, credited)
  std::uint64_t dropped_held = 0;            // dropped entries inside [credited, reported)
  std::uint32_t drops_since_irq = 0;         // for the timeline: drops since its last interrupt
  std::vector<std::uint64_t> open_frames;    // first sequence number of each frame in service
  SourceMetrics m;
};

struct DeferredOp {  // a register write the dispatcher made, applied when the ISR frame ends
  bool ioapic = false;
  std::uint32_t value = 0;
};

struct Frame {  // one interrupt in service on a vCPU
  std::uint8_t vector = 0;
  std::uint32_t source = kNone;
  Nanos start = 0, end = 0, remaining = 0;
  Nanos cost = 0;      // vCPU time this interrupt takes, its exits included
  Nanos exit_ns = 0;   // of which in exits
  std::uint64_t begin = 0;  // ring entries [begin, begin + span) belong to this frame
  std::uint64_t span = 0;
  std::uint32_t count = 0;  // events served (span minus dropped entries)
  std::uint8_t ops = 0;
  std::array<DeferredOp, 4> op{};
};

struct Vcpu {
  std::unique_ptr<hw::LocalApic> lapic;
  std::vector<Frame> frames;
  std::uint32_t gen = 0;
  bool bg_busy = false;
  bool halted = true;
  bool arrival_pending = false;
  Nanos stolen = 0;       // host time taken from the frame in service (kick exits)
  Nanos halted_since = 0;
  kern::KIRQL irql = kern::PASSIVE_LEVEL;
  bool interrupts_enabled = true;
  Rng rng;
  Nanos busy_mean = 0, idle_mean = 0;
  std::array<std::uint64_t, 256> payload{};
  std::bitset<256> has_payload;
  VcpuMetrics m;
};

// ---- the register paths the guest kernel uses, with the EOI intercepted ----

class ApicMsrPort final : public kern::MsrPort {
 public:
  ApicMsrPort(Machine& m, unsigned cpu, hw::LocalApic& lapic) : m_(m), cpu_(cpu), lapic_(lapic) {}
  bool read_msr(std::uint32_t msr, std::uint64_t& value) override { return lapic_.read_msr(msr, value); }
  bool write_msr(std::uint32_t msr, std::uint64_t value) override;

 private:
  Machine& m_;
  unsigned cpu_;
  hw::LocalApic& lapic_;
};

class ApicMmio final : public hw::RegisterWindow {
 public:
  ApicMmio(Machine& m, unsigned cpu, hw::LocalApic& lapic) : m_(m), cpu_(cpu), lapic_(lapic) {}
  std::uint32_t read32(std::uint32_t offset) override { return lapic_.read32(offset); }
  void write32(std::uint32_t offset, std::uint32_t value) override;

 private:
  Machine& m_;
  unsigned cpu_;
  hw::LocalApic& lapic_;
};

class IoApicWindow final : public hw::RegisterWindow {
 public:
  explicit IoApicWindow(Machine& m) : m_(m) {}
  std::uint32_t read32(std::uint32_t offset) override;
  void write32(std::uint32_t offset, std::uint32_t value) override;

 private:
  Machine& m_;
};

class IoApicInput final : public hw::InterruptSink {  // the I/O APIC's output: into the policy
 public:
  explicit IoApicInput(Machine& m) : m_(m) {}
  bool deliver(const hw::InterruptMessage& message) override;

 private:
  Machine& m_;
};

class PolicyOutput final : public InterruptSink {  // the policy's output: onto the APIC bus
 public:
  explicit PolicyOutput(Machine& m) : m_(m) {}
  void deliver(const Interrupt& interrupt) override;
  void drop(const DeviceEvent& event) override;

 private:
  Machine& m_;
};

// ---- the machine ----

class Machine final : public kern::Platform, public kern::PoolAllocator, public hw::DeliveryObserver {
 public:
  Machine(const Scenario& sc, Policy& policy, const RunOptions& options)
      : sc_(sc), policy_(policy), opt_(options), rec_(options.recorder), ioapic_window_(*this), ioapic_input_(*this),
        policy_output_(*this) {}
  ~Machine() {
    for (SourceState& s : src_)
      for (kern::KINTERRUPT* o : s.objects)
        if (o != nullptr) kern::IoDisconnectInterrupt(o);
  }
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  Result<RunResult> run();

  // kern::Platform
  unsigned current_cpu() override { return current_cpu_; }
  kern::KIRQL current_irql() override { return cpu_[current_cpu_].irql; }
  kern::KIRQL raise_irql(kern::KIRQL irql) override {
    const kern::KIRQL old = cpu_[current_cpu_].irql;
    if (irql < old) ++irql_violations_;
    cpu_[current_cpu_].irql = irql;
    return old;
  }
  void lower_irql(kern::KIRQL irql) override {
    if (irql > cpu_[current_cpu_].irql) ++irql_violations_;
    cpu_[current_cpu_].irql = irql;
  }
  bool disable_interrupts() override { return std::exchange(cpu_[current_cpu_].interrupts_enabled, false); }
  void restore_interrupts(bool were_enabled) override { cpu_[current_cpu_].interrupts_enabled = were_enabled; }
  void cpu_relax() override {
    // One thread plays every vCPU and a lock holder always runs to completion, so a spin
    // can never end: the kernel would be deadlocked. Say so instead of hanging.
    std::fputs("irqshape sim: the guest kernel spins on a held lock in a single-threaded machine\n", stderr);
    std::abort();
  }
  kern::LocalApicRegisters& local_apic(unsigned cpu) override { return *apic_regs_[cpu]; }

  // kern::PoolAllocator
  void* allocate(std::size_t size, std::size_t alignment) override {
    return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  }
  void free(void* block, std::size_t) override { std::free(block); }

  // hw::DeliveryObserver
  void accepted(hw::LocalApic& target, const hw::InterruptMessage& m, hw::LocalApic::Accept result) override;

  // Called by the register paths and sinks above.
  bool intercept_lapic_eoi(unsigned cpu);
  bool intercept_ioapic_eoi(std::uint32_t value);
  hw::IoApic& ioapic() { return *ioapic_; }
  bool on_ioapic_message(const hw::InterruptMessage& m);
  void on_policy_interrupt(const Interrupt& i);
  void on_policy_drop(const DeviceEvent& e);
  bool isr(std::uint32_t source);

 private:
  // boot
  Status boot();
  Status boot_source(SourceState& s);
  Status connect(SourceState& s, unsigned which, const kern::SystemInterrupt& si, kern::KINTERRUPT_MODE mode);
  void add_priority_vectors(SourceState& s);
  void schedule_initial();
  // loop
  void run_loop(Nanos limit);
  void handle(const Event& e);
  void refresh_deadline() { deadline_ = policy_.next_deadline(); }
  [[nodiscard]] bool policy_holds_events() const {
    for (const SourceState& s : src_)
      if (s.credited < s.reported) return true;
    return false;
  }
  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  // devices
  Nanos next_arrival(SourceState& s, const Arrivals& a);
  void on_arrival(SourceState& s);
  void device_event(SourceState& s, std::uint32_t slot);
  void schedule_followers(SourceState& leader);
  std::uint32_t alloc_slot(SourceState& s);
  void issue_request(SourceState& s, std::uint32_t slot);
  void issue_recorded(SourceState& s);
  void start_service(SourceState& s, std::uint32_t slot);
  void service_done(SourceState& s, std::uint32_t slot);
  void request_notified(SourceState& s, std::uint32_t slot, bool dropped);
  void record_depth(const SourceState& s);
  // policy side
  void report_events(SourceState& s);
  void deliver_now(const Interrupt& i);
  void skip_dropped(SourceState& s);
  // vCPU side
  void poke(unsigned cpu, std::uint32_t source);
  void try_take(unsigned cpu);
  void frame_done(unsigned cpu, std::uint32_t gen);
  void retire(const Frame& f);
  void enter_halt(unsigned cpu);
  void leave_halt(unsigned cpu);
  void background(unsigned cpu);
  void count_exit(unsigned cpu, std::uint32_t source, ExitReason r, Nanos cost);
  // end
  void finish(RunResult& r);
  void check_conservation(SourceState& s, RunResult& r);
  [[nodiscard]] std::size_t bin(Nanos t) const { return static_cast<std::size_t>(t / bin_ns_); }
  static void bump(std::vector<std::uint32_t>& series, std::size_t i) {
    if (i >= series.size()) series.resize(i + 1, 0);
    ++series[i];
  }

  const Scenario& sc_;
  Policy& policy_;
  RunOptions opt_;
  TraceRecorder* rec_;
  std::string error_;

  Nanos now_ = 0;
  Nanos deadline_ = kNoDeadline;
  Nanos bin_ns_ = 1;
  EventQueue queue_;
  std::uint64_t engine_events_ = 0;

  hw::ApicBus bus_;
  std::unique_ptr<hw::IoApic> ioapic_;
  IoApicWindow ioapic_window_;
  IoApicInput ioapic_input_;
  PolicyOutput policy_output_;
  std::vector<Vcpu> cpu_;
  std::vector<std::unique_ptr<ApicMsrPort>> msr_ports_;
  std::vector<std::unique_ptr<ApicMmio>> mmio_;
  std::vector<std::unique_ptr<kern::X2ApicRegisters>> x2apic_regs_;
  std::vector<std::unique_ptr<kern::XApicRegisters>> xapic_regs_;
  std::vector<kern::LocalApicRegisters*> apic_regs_;
  std::unique_ptr<kern::InterruptCore> core_;
  std::vector<std::uint32_t> apic_ids_;
  unsigned current_cpu_ = 0;
  bool in_dispatch_ = false;
  std::uint64_t irql_violations_ = 0;

  std::vector<SourceState> src_;
  std::array<std::uint32_t, kIoApicPins> gsi_source_{};
  std::uint32_t delivering_ = kNone;
  std::uint64_t delivering_payload_ = 0;
  bool delivering_has_payload_ = false;
  std::vector<Interrupt> deferred_;
  std::vector<std::uint32_t> deferred_free_;
  std::vector<std::string> notes_;
};

bool ApicMsrPort::write_msr(std::uint32_t msr, std::uint64_t value) {
  if (msr == hw::lapic::x2apic_msr(hw::lapic::kEoi) && value == 0 && m_.intercept_lapic_eoi(cpu_)) return true;
  return lapic_.write_msr(msr, value);
}

void ApicMmio::write32(std::uint32_t offset, std::uint32_t value) {
  if (offset == hw::lapic::kEoi && m_.intercept_lapic_eoi(cpu_)) return;
  lapic_.write32(offset, value);
}

std::uint32_t IoApicWindow::read32(std::uint32_t offset) { return m_.ioapic().read32(offset); }

void IoApicWindow::write32(std::uint32_t offset, std::uint32_t value) {
  if (offset == hw::ioapic::kEoi && m_.intercept_ioapic_eoi(value)) return;
  m_.ioapic().write32(offset, value);
}

bool IoApicInput::deliver(const hw::InterruptMessage& message) { return m_.on_ioapic_message(message); }

void PolicyOutput::deliver(const Interrupt& interrupt) { m_.on_policy_interrupt(interrupt); }
void PolicyOutput::drop(const DeviceEvent& event) { m_.on_policy_drop(event); }

bool driver_isr(kern::KINTERRUPT*, void* context) {
  auto* d = static_cast<Driver*>(context);
  return d->machine->isr(d->source);
}

std::string status_text(kern::NTSTATUS s) { return kern::status_name(s); }

// ---------------------------------------------------------------- boot

Status Machine::boot() {
  const unsigned n = sc_.vcpus;
  cpu_.resize(n);
  bus_.set_observer(this);
  const auto mode = sc_.x2apic ? hw::LocalApic::Mode::X2Apic : hw::LocalApic::Mode::XApic;
  for (unsigned c = 0; c < n; ++c) {
    Vcpu& v = cpu_[c];
    v.lapic = std::make_unique<hw::LocalApic>(c, mode);
    bus_.attach(*v.lapic);
    v.frames.reserve(16);
    apic_ids_.push_back(c);
    if (sc_.x2apic) {
      msr_ports_.push_back(std::make_unique<ApicMsrPort>(*this, c, *v.lapic));
      x2apic_regs_.push_back(std::make_unique<kern::X2ApicRegisters>(*msr_ports_.back()));
      apic_regs_.push_back(x2apic_regs_.back().get());
    } else {
      mmio_.push_back(std::make_unique<ApicMmio>(*this, c, *v.lapic));
      xapic_regs_.push_back(std::make_unique<kern::XApicRegisters>(*mmio_.back()));
      apic_regs_.push_back(xapic_regs_.back().get());
    }
  }
  ioapic_ = std::make_unique<hw::IoApic>(hw::IoApic::Config{.id = 0, .pins = kIoApicPins}, ioapic_input_);
  bus_.attach(*ioapic_);
  core_ = std::make_unique<kern::InterruptCore>(
      *this, *this, kern::CoreConfig{.apic_ids = apic_ids_, .directed_eoi = sc_.directed_eoi});
  if (auto st = kern::HalRegisterIoApic(*core_, ioapic_window_, 0); !kern::NT_SUCCESS(st))
    return make_error("guest boot: HalRegisterIoApic: {}", status_text(st));
  // The PC's one universal override: the ISA timer (IRQ 0) is wired to GSI 2.
  kern::HalRegisterSourceOverride(*core_, kern::SourceOverride{.isa_irq = 0, .gsi = 2, .polarity = std::nullopt, .trigger = std::nullopt});
  for (unsigned c = 0; c < n; ++c) {
    current_cpu_ = c;
    kern::HalInitializeProcessor(*core_, c);
  }
  current_cpu_ = 0;
  gsi_source_.fill(kNone);
  src_.resize(sc_.sources.size());
  for (std::uint32_t i = 0; i < src_.size(); ++i) {
    SourceState& s = src_[i];
    s.spec = &sc_.sources[i];
    s.id = i;
    s.driver = Driver{this, i};
    s.stream = stream_seed(sc_.seed, "src:" + s.spec->name);
    s.rng = Rng(s.stream);
    if (Status st = boot_source(s); !st) return st;
  }
  for (SourceState& s : src_) add_priority_vectors(s);
  for (SourceState& s : src_) {
    SourceInfo info;
    info.id = s.id;
    info.name = s.spec->name;
    info.cls = s.spec->cls;
    info.message = s.message;
    info.raise_vector = s.vectors[1];
    info.lower_vector = s.vectors[2];
    policy_.add_source(info);
  }
  if (Status st = policy_.start(); !st) return make_error("policy \"{}\" cannot start: {}", policy_.name(), st.message());
  return {};
}

Status Machine::connect(SourceState& s, unsigned which, const kern::SystemInterrupt& si, kern::KINTERRUPT_MODE mode) {
  kern::KINTERRUPT* obj = nullptr;
  const auto st = kern::IoConnectInterrupt(*core_, &obj, &driver_isr, &s.driver, nullptr, si.Vector, si.Irql, si.Irql,
                                           mode, /*ShareVector=*/true, si.Affinity);
  if (!kern::NT_SUCCESS(st)) return make_error("guest boot: source \"{}\": IoConnectInterrupt: {}", s.spec->name, status_text(st));
  s.handles[which] = si.Vector;
  s.objects[which] = obj;
  s.vectors[which] = si.IdtVector;
  return {};
}

Status Machine::boot_source(SourceState& s) {
  const SourceSpec& spec = *s.spec;
  const auto target = kern::RouteTarget::cpus(kern::affinity_of(spec.cpu));
  kern::SystemInterrupt si;
  if (spec.wiring == Wiring::Msi) {
    auto st = kern::AllocateMessageInterrupt(*core_, spec.name.c_str(), spec.irql, target, &si);
    if (!kern::NT_SUCCESS(st)) return make_error("guest boot: source \"{}\": AllocateMessageInterrupt: {}", spec.name, status_text(st));
    hw::msi::Message msg;
    kern::ComposeMsiMessage(*core_, si.Vector, &msg);
    const auto decoded = hw::msi::decode(msg, core_->msi_format, s.id);
    if (!decoded) return make_error("guest boot: source \"{}\": the kernel composed an undecodable MSI", spec.name);
    s.message = *decoded;
    return connect(s, 0, si, kern::Latched);
  }
  kern::LineRequest req = spec.isa_irq ? kern::LineRequest::isa_irq(static_cast<std::uint8_t>(spec.line), spec.name.c_str())
                                       : kern::LineRequest::gsi(spec.line, spec.name.c_str());
  req.trigger = spec.trigger;
  req.polarity = spec.polarity;
  auto st = kern::AllocateSystemInterrupt(*core_, req, spec.irql, target, &si);
  if (!kern::NT_SUCCESS(st)) return make_error("guest boot: source \"{}\": AllocateSystemInterrupt: {}", spec.name, status_text(st));
  if (si.Gsi >= kIoApicPins || gsi_source_[si.Gsi] != kNone)
    return make_error("guest boot: source \"{}\": GSI {} is already used by another source", spec.name, si.Gsi);
  s.pin = true;
  s.gsi = si.Gsi;
  s.level = si.Trigger == hw::TriggerMode::Level;
  gsi_source_[si.Gsi] = s.id;
  ioapic_->set_wiring(si.Gsi, spec.wire_active_low ? hw::Polarity::ActiveLow : hw::Polarity::ActiveHigh);
  s.message.vector = si.IdtVector;
  s.message.destination = apic_ids_[si.Cpu];
  s.message.trigger_mode = si.Trigger;
  s.message.source = s.id;
  return connect(s, 0, si, s.level ? kern::LevelSensitive : kern::Latched);
}

// The additional vectors a policy may re-prioritize this source's interrupts to (see
// SourceInfo::raise_vector): best effort, a source without them simply cannot be moved.
void Machine::add_priority_vectors(SourceState& s) {
  if (s.level) return;  // a level line's EOI must carry the vector its I/O APIC entry holds
  const int levels[2] = {s.spec->irql + 1, s.spec->irql - 1};
  for (unsigned i = 0; i < 2; ++i) {
    if (!kern::is_device_irql(static_cast<unsigned>(levels[i]))) continue;
    kern::SystemInterrupt si;
    const auto target = kern::RouteTarget::cpus(kern::affinity_of(s.spec->cpu));
    if (!kern::NT_SUCCESS(kern::AllocateMessageInterrupt(*core_, s.spec->name.c_str(),
                                                         static_cast<kern::KIRQL>(levels[i]), target, &si)))
      continue;
    if (!connect(s, i + 1, si, kern::Latched)) kern::ReleaseSystemInterrupt(*core_, si.Vector);
  }
}

void Machine::schedule_initial() {
  bin_ns_ = series_bin_for(sc_.duration_ns);
  queue_.reserve(1024);
  for (SourceState& s : src_) {
    s.m.requests = is_request_source(*s.spec);
    s.m.closed_loop = is_closed_loop(*s.spec);
    if (const auto* a = std::get_if<Arrivals>(&s.spec->workload)) {
      if (const auto* f = std::get_if<Follow>(a)) {
        src_[f->leader].followers.push_back(s.id);
        continue;
      }
      s.arrivals = a;
    } else {
      s.requests = &std::get<Requests>(s.spec->workload);
      if (const auto* o = std::get_if<OpenLoopRequests>(&s.requests->issue)) s.arrivals = &o->arrivals;
      if (const auto* c = std::get_if<ClosedLoop>(&s.requests->issue)) {
        s.slots.resize(c->queue_depth);
        for (std::uint32_t j = 0; j < c->queue_depth; ++j) {
          // Requesters start at spread-out times in the first mean think time.
          const auto t = static_cast<Nanos>(CounterRng(s.stream ^ kThinkSalt ^ 0x5354415254ull, j).uniform(0) *
                                            (c->think.mean_ns + 1.0));
          if (t < sc_.duration_ns) queue_.push(t, kIssue, static_cast<std::uint16_t>(s.id), j);
        }
      }
      if (const auto* r = std::get_if<RecordedRequests>(&s.requests->issue); r != nullptr && !r->requests.empty()) {
        if (r->first_issue_ns < sc_.duration_ns) queue_.push(r->first_issue_ns, kIssue, static_cast<std::uint16_t>(s.id), 0);
      }
    }
    if (s.arrivals != nullptr) {
      if (const auto* o = std::get_if<OnOff>(s.arrivals)) {
        const double on_share = static_cast<double>(o->on_mean_ns) / static_cast<double>(o->on_mean_ns + o->off_mean_ns);
        s.on = s.rng.uniform() <= on_share;
        s.phase_end = Dist::exponential(static_cast<double>(s.on ? o->on_mean_ns : o->off_mean_ns)).sample_ns(s.rng);
      }
      const Nanos t = next_arrival(s, *s.arrivals);
      if (t < sc_.duration_ns) queue_.push(t, kArrival, static_cast<std::uint16_t>(s.id));
    }
  }
  for (unsigned c = 0; c < cpu_.size(); ++c) {
    Vcpu& v = cpu_[c];
    v.rng = Rng(stream_seed(sc_.seed, fmt::format("vcpu:{}", c)));
    const VcpuLoad load = c < sc_.load.size() ? sc_.load[c] : VcpuLoad{};
    v.bg_busy = load.busy_fraction >= 1.0 || (load.busy_fraction > 0 && v.rng.uniform() <= load.busy_fraction);
    v.halted = !v.bg_busy;
    if (load.busy_fraction > 0 && load.busy_fraction < 1) {
      v.busy_mean = load.busy_period_ns;
      v.idle_mean = static_cast<Nanos>(static_cast<double>(load.busy_period_ns) * (1 - load.busy_fraction) / load.busy_fraction);
      const Nanos t = Dist::exponential(static_cast<double>(v.bg_busy ? v.busy_mean : v.idle_mean)).sample_ns(v.rng);
      if (t < sc_.duration_ns) queue_.push(t, kBackground, static_cast<std::uint16_t>(c));
    }
  }
}

// ---------------------------------------------------------------- the loop

Result<RunResult> Machine::run() {
  if (Status st = sc_.validate(); !st) return st.error();
  if (Status st = boot(); !st) return st.error();
  refresh_deadline();
  schedule_initial();
  const Nanos limit = sc_.duration_ns + opt_.drain_limit_ns;
  run_loop(limit);
  if (error_.empty() && deadline_ != kNoDeadline)
    notes_.push_back(fmt::format("the policy still had a deadline {:.3f} ms after the drain limit; flushed at {:.3f} ms",
                                 static_cast<double>(deadline_ - std::min(deadline_, limit)) / 1e6,
                                 static_cast<double>(now_) / 1e6));
  // flush() delivers what the policy holds; the drain after it can make a level line
  // fire again (its EOI), so the policy may hold new events: flush until it holds none.
  for (unsigned round = 0; error_.empty() && round < 64; ++round) {
    policy_.flush(now_, policy_output_);
    refresh_deadline();
    run_loop(std::max(now_, limit) + opt_.drain_limit_ns);
    if (!policy_holds_events()) break;
  }
  if (!error_.empty()) return make_error("policy \"{}\": {}", policy_.name(), error_);
  RunResult r;
  finish(r);
  if (!error_.empty()) return make_error("policy \"{}\": {}", policy_.name(), error_);
  return r;
}

void Machine::run_loop(Nanos limit) {
  unsigned timer_calls_at_now = 0;
  while (error_.empty()) {
    const Nanos te = queue_.next_time();
    if (deadline_ != kNoDeadline && deadline_ <= te) {
      if (deadline_ > limit) return;
      const Nanos t = std::max(now_, deadline_);
      timer_calls_at_now = t == now_ ? timer_calls_at_now + 1 : 0;
      if (timer_calls_at_now > 1000) {
        fail(fmt::format("next_deadline() stays at {} ns after on_timer: the policy does not advance", deadline_));
        return;
      }
      now_ = t;
      ++engine_events_;
      policy_.on_timer(now_, policy_output_);
      refresh_deadline();
      continue;
    }
    if (te == kNoDeadline || te > limit) return;
    const Event e = queue_.pop();
    now_ = e.time;
    ++engine_events_;
    handle(e);
  }
}

void Machine::handle(const Event& e) {
  switch (e.kind) {
    case kArrival: on_arrival(src_[e.target]); break;
    case kFollower: device_event(src_[e.target], kNone); break;
    case kServiceDone: service_done(src_[e.target], e.arg); break;
    case kIssue: {
      SourceState& s = src_[e.target];
      if (std::holds_alternative<RecordedRequests>(s.requests->issue)) issue_recorded(s);
      else issue_request(s, e.arg);
      break;
    }
    case kDeferredInterrupt: {
      const Interrupt i = deferred_[e.arg];
      deferred_free_.push_back(e.arg);
      deliver_now(i);
      break;
    }
    case kVcpuArrive:
      cpu_[e.target].arrival_pending = false;
      try_take(e.target);
      break;
    case kFrameDone: frame_done(e.target, e.arg); break;
    case kBackground: background(e.target); break;
    default: fail(fmt::format("internal: unknown event kind {}", e.kind));
  }
}

// ---------------------------------------------------------------- devices

Nanos Machine::next_arrival(SourceState& s, const Arrivals& a) {
  if (const auto* p = std::get_if<Poisson>(&a)) {
    if (p->changes.empty()) return now_ + Dist::exponential(1e9 / p->rate_per_s).sample_ns(s.rng);
    // Piecewise rate: draw at the rate in force; a gap that crosses the next change is
    // redrawn from the change (memoryless, so the process stays exactly Poisson).
    Nanos from = now_;
    for (;;) {
      double rate = p->rate_per_s;
      Nanos until = kNoDeadline;
      for (const RateChange& c : p->changes) {
        if (c.at_ns > from) {
          until = c.at_ns;
          break;
        }
        rate = c.rate_per_s;
      }
      if (rate > 0) {
        const Nanos t = from + Dist::exponential(1e9 / rate).sample_ns(s.rng);
        if (t < until) return t;
      }
      if (until == kNoDeadline) return kNoDeadline;
      from = until;
    }
  }
  if (const auto* o = std::get_if<OnOff>(&a)) {
    const Dist gap = Dist::exponential(1e9 / o->rate_per_s);
    for (;;) {
      if (s.on) {
        const Nanos t = std::max(s.cursor, now_) + gap.sample_ns(s.rng);
        if (t < s.phase_end) return s.cursor = t;
        s.cursor = s.phase_end;
        s.on = false;
        s.phase_end = s.cursor + Dist::exponential(static_cast<double>(o->off_mean_ns)).sample_ns(s.rng);
      } else {
        s.cursor = s.phase_end;
        s.on = true;
        s.phase_end = s.cursor + Dist::exponential(static_cast<double>(o->on_mean_ns)).sample_ns(s.rng);
      }
    }
  }
  if (const auto* p = std::get_if<Periodic>(&a)) {
    const auto jitter = static_cast<Nanos>(CounterRng(s.stream, s.k).uniform(0) * static_cast<double>(p->jitter_ns));
    const Nanos t = p->phase_ns + s.k * p->period_ns + std::min(jitter, p->jitter_ns == 0 ? 0 : p->jitter_ns - 1);
    ++s.k;
    return std::max(t, now_);
  }
  if (const auto* r = std::get_if<Recorded>(&a)) {
    if (s.k >= r->times.size()) return kNoDeadline;
    return std::max(r->times[s.k++], now_);
  }
  return kNoDeadline;
}

void Machine::on_arrival(SourceState& s) {
  if (s.requests != nullptr) issue_request(s, alloc_slot(s));
  else device_event(s, kNone);
  const Nanos t = next_arrival(s, *s.arrivals);
  if (t < sc_.duration_ns) queue_.push(t, kArrival, static_cast<std::uint16_t>(s.id));
}

void Machine::device_event(SourceState& s, std::uint32_t slot) {
  PendingEvent e;
  e.time = now_;
  e.slot = slot;
  e.in_flight = s.outstanding;
  e.bytes = s.spec->event_bytes;
  if (slot != kNone) {
    e.urgent = s.slots[slot].urgent;
    e.bytes = s.slots[slot].bytes;
  }
  s.ring.push(e);
  ++s.completed;
  ++s.m.events;
  bump(s.m.series_events, bin(now_));
  if (!s.followers.empty()) schedule_followers(s);
  if (!s.pin) {
    report_events(s);  // the device writes its MSI: straight to the policy
  } else if (s.level) {
    ioapic_->set_line(s.gsi, true);  // asserted until the ISR has served everything
  } else {
    ioapic_->pulse(s.gsi);
  }
}

void Machine::schedule_followers(SourceState& leader) {
  const std::uint64_t k = leader.completed - 1;  // the leader's event number
  for (std::uint32_t fi : leader.followers) {
    SourceState& f = src_[fi];
    const Follow& rule = std::get<Follow>(std::get<Arrivals>(f.spec->workload));
    const CounterRng c(f.stream, k);
    if (c.uniform(0) > rule.probability) continue;
    const auto jitter = static_cast<std::int64_t>((2.0 * c.uniform(1) - 1.0) * static_cast<double>(rule.jitter_ns));
    const Nanos t = now_ + static_cast<Nanos>(static_cast<std::int64_t>(rule.delay_ns) + jitter);
    if (t < sc_.duration_ns) queue_.push(t, kFollower, static_cast<std::uint16_t>(fi));
  }
}

std::uint32_t Machine::alloc_slot(SourceState& s) {
  if (!s.free_slots.empty()) {
    const std::uint32_t slot = s.free_slots.back();
    s.free_slots.pop_back();
    return slot;
  }
  s.slots.emplace_back();
  return static_cast<std::uint32_t>(s.slots.size() - 1);
}

void Machine::issue_request(SourceState& s, std::uint32_t slot) {
  RequestSlot& r = s.slots[slot];
  r.k = s.issued++;
  r.issue = now_;
  const CounterRng c(s.stream, r.k);
  r.service = s.requests->service.sample_ns(c, 0);
  r.urgent = c.uniform(4) < s.requests->urgent_fraction;
  r.bytes = s.requests->bytes;
  ++s.outstanding;
  ++s.m.requests_issued;
  record_depth(s);
  if (s.requests->servers == 0 || s.busy < s.requests->servers) start_service(s, slot);
  else s.waiting.push_back(slot);
}

// Trace-driven closed loop: request n is issued think_ns after the completion it answers
// (after_completion) or after request n-1's issue; see trace/views.h.
void Machine::issue_recorded(SourceState& s) {
  const auto& rr = std::get<RecordedRequests>(s.requests->issue);
  const std::size_t n = s.recorded_next++;
  const RecordedRequest& q = rr.requests[n];
  const std::uint32_t slot = alloc_slot(s);
  RequestSlot& r = s.slots[slot];
  r.k = s.issued++;
  r.issue = now_;
  r.service = q.service_ns;
  r.urgent = q.urgent;
  r.bytes = q.bytes;
  ++s.outstanding;
  ++s.m.requests_issued;
  record_depth(s);
  if (s.requests->servers == 0 || s.busy < s.requests->servers) start_service(s, slot);
  else s.waiting.push_back(slot);
  if (s.recorded_next >= rr.requests.size()) return;
  const RecordedRequest& next = rr.requests[s.recorded_next];
  if (next.after_completion) {
    s.awaiting_completion = true;
  } else if (now_ + next.think_ns < sc_.duration_ns) {
    queue_.push(now_ + next.think_ns, kIssue, static_cast<std::uint16_t>(s.id));
  }
}

void Machine::start_service(SourceState& s, std::uint32_t slot) {
  if (s.requests->servers != 0) ++s.busy;
  queue_.push(now_ + s.slots[slot].service, kServiceDone, static_cast<std::uint16_t>(s.id), slot);
}

void Machine::service_done(SourceState& s, std::uint32_t slot) {
  if (s.requests->servers != 0) {
    --s.busy;
    if (!s.waiting.empty()) {
      const std::uint32_t next = s.waiting.front();
      s.waiting.pop_front();
      start_service(s, next);
    }
  }
  --s.outstanding;
  record_depth(s);
  device_event(s, slot);
}

// The requester learns of its completion (the ISR that served it has finished).
void Machine::request_notified(SourceState& s, std::uint32_t slot, bool dropped) {
  const RequestSlot& r = s.slots[slot];
  // A dropped completion is not throughput: its requester learns of it as of a timeout
  // (and, closed loop, issues its next request), but nothing was served.
  if (!dropped) s.m.request_latency.record(now_ - r.issue);
  if (now_ <= sc_.duration_ns) ++(dropped ? s.m.requests_dropped : s.m.requests_completed);
  if (const auto* c = std::get_if<ClosedLoop>(&s.requests->issue)) {
    const Nanos think = c->think.sample_ns(CounterRng(s.stream ^ kThinkSalt, r.k), 0);
    if (now_ + think < sc_.duration_ns) queue_.push(now_ + think, kIssue, static_cast<std::uint16_t>(s.id), slot);
    return;
  }
  s.free_slots.push_back(slot);
  if (s.awaiting_completion) {
    s.awaiting_completion = false;
    const auto& rr = std::get<RecordedRequests>(s.requests->issue);
    const Nanos t = now_ + rr.requests[s.recorded_next].think_ns;
    if (t < sc_.duration_ns) queue_.push(t, kIssue, static_cast<std::uint16_t>(s.id));
  }
}

void Machine::record_depth(const SourceState& s) {
  if (rec_ != nullptr && rec_->want(now_)) rec_->depth({now_, s.id, s.outstanding});
}

// ---------------------------------------------------------------- policy side

bool Machine::on_ioapic_message(const hw::InterruptMessage& m) {
  const std::uint32_t id = m.source < kIoApicPins ? gsi_source_[m.source] : kNone;
  if (id == kNone) {
    fail(fmt::format("the I/O APIC sent a message for GSI {}, which no source uses", m.source));
    return true;
  }
  SourceState& s = src_[id];
  if (m.vector != s.message.vector || m.destination != s.message.destination || m.trigger_mode != s.message.trigger_mode) {
    fail(fmt::format("source \"{}\": the I/O APIC sent vector {:#x} to APIC {} but the kernel reported {:#x} to {}",
                     s.spec->name, m.vector, m.destination, s.message.vector, s.message.destination));
    return true;
  }
  report_events(s);
  return true;  // the policy always takes the message (it may hold the events)
}

void Machine::report_events(SourceState& s) {
  while (s.reported < s.completed) {
    const PendingEvent& e = s.ring.at(s.reported);
    DeviceEvent de;
    de.time = now_;
    de.source = s.id;
    de.id = event_id(s.id, s.reported);
    de.urgent = e.urgent;
    de.in_flight = e.in_flight;
    de.bytes = e.bytes;
    ++s.reported;
    policy_.on_event(de, policy_output_);
  }
  refresh_deadline();
}

void Machine::on_policy_interrupt(const Interrupt& i) {
  if (i.time < now_) {
    fail(fmt::format("interrupt for source {} stamped {} ns, before the current time {} ns", i.source, i.time, now_));
    return;
  }
  if (i.time == now_) {
    deliver_now(i);
    return;
  }
  std::uint32_t idx;
  if (!deferred_free_.empty()) {
    idx = deferred_free_.back();
    deferred_free_.pop_back();
    deferred_[idx] = i;
  } else {
    idx = static_cast<std::uint32_t>(deferred_.size());
    deferred_.push_back(i);
  }
  queue_.push(i.time, kDeferredInterrupt, 0, idx);
}

// The policy dropped one event it holds: whichever it is (a storm guard drops the newest
// while older ones wait in a batch), it is marked so that no interrupt carries it.
void Machine::on_policy_drop(const DeviceEvent& d) {
  const std::uint32_t source = event_source(d.id);
  const std::uint64_t seq = event_seq(d.id);
  if (source >= src_.size() || source != d.source) {
    fail(fmt::format("the policy dropped event {:#x} of source {}, which the simulator never gave it", d.id, d.source));
    return;
  }
  SourceState& s = src_[source];
  if (seq < s.credited || seq >= s.reported || s.ring.at(seq).dropped) {
    fail(fmt::format("source \"{}\": the policy dropped event {} of the source, which it was not holding (already "
                     "carried, dropped, or never given)",
                     s.spec->name, seq));
    return;
  }
  if (s.level) {  // its line waits for the EOI of an interrupt that will never come
    fail(fmt::format("source \"{}\": the policy dropped an event of a level-triggered line, which then waits for an "
                     "EOI no ISR will write",
                     s.spec->name));
    return;
  }
  PendingEvent& e = s.ring.at(seq);
  e.dropped = true;
  ++s.dropped_held;
  ++s.drops_since_irq;
  ++s.m.dropped;
  if (e.slot != kNone) request_notified(s, e.slot, true);  // as if the requester timed out and retried
  skip_dropped(s);
}

// Moves `credited` past dropped events at its front: they join [served, credited) as
// entries every ISR skips.
void Machine::skip_dropped(SourceState& s) {
  while (s.credited < s.reported && s.ring.at(s.credited).dropped) {
    ++s.credited;
    --s.dropped_held;
    ++s.dropped_unserved;
  }
}

void Machine::deliver_now(const Interrupt& i) {
  if (i.source >= src_.size()) {
    fail(fmt::format("interrupt for source {}, but the scenario has {} sources", i.source, src_.size()));
    return;
  }
  SourceState& s = src_[i.source];
  const std::uint64_t waiting = s.reported - s.credited - s.dropped_held;
  if (i.events == 0 || i.events > waiting) {
    fail(fmt::format("source \"{}\": an interrupt carries {} events, but {} were given to the policy and neither "
                     "carried nor dropped",
                     s.spec->name, i.events, waiting));
    return;
  }
  const Nanos window_start = s.ring.at(s.credited).time;  // (skip_dropped keeps a live event there)
  for (std::uint32_t left = i.events; left > 0; --left) {
    ++s.credited;
    skip_dropped(s);
  }
  ++s.m.interrupts;
  s.m.events_carried += i.events;
  bump(s.m.series_interrupts, bin(now_));
  if (rec_ != nullptr && rec_->want(now_))
    rec_->irq({now_, window_start, s.id, i.events, s.drops_since_irq, i.message.vector});
  s.drops_since_irq = 0;
  delivering_ = s.id;
  delivering_has_payload_ = i.has_payload;
  delivering_payload_ = i.payload;
  const bool taken = bus_.deliver(i.message);
  delivering_ = kNone;
  if (!taken)
    fail(fmt::format("source \"{}\": interrupt on vector {:#x} to destination {} reached no vCPU", s.spec->name,
                     i.message.vector, i.message.destination));
}

// ---------------------------------------------------------------- vCPUs

void Machine::accepted(hw::LocalApic& target, const hw::InterruptMessage& m, hw::LocalApic::Accept result) {
  const unsigned cpu = target.id();
  if (cpu >= cpu_.size()) return;
  Vcpu& v = cpu_[cpu];
  if (delivering_ != kNone) {
    if (result == hw::LocalApic::Accept::Merged) ++src_[delivering_].m.irr_merged;
    v.has_payload.set(m.vector, delivering_has_payload_);
    v.payload[m.vector] = delivering_payload_;
  }
  poke(cpu, delivering_);
}

void Machine::count_exit(unsigned cpu, std::uint32_t source, ExitReason r, Nanos cost) {
  cpu_[cpu].m.exits.add(r);
  if (source != kNone) {
    src_[source].m.exits.add(r);
    src_[source].m.exit_ns += cost;
  }
  if (rec_ != nullptr && rec_->want(now_)) rec_->exit({now_, cost, source, static_cast<std::uint16_t>(cpu), r});
}

// A vector was accepted into the vCPU's IRR: get the vCPU to take it, by the path's rules.
void Machine::poke(unsigned cpu, std::uint32_t source) {
  Vcpu& v = cpu_[cpu];
  if (v.arrival_pending) return;
  if (v.lapic->pending_vector() < 0) return;  // blocked by PPR: taken when the frame in service ends
  const Costs& c = sc_.costs;
  Nanos delay;
  if (v.halted && c.hlt_exits) {
    delay = c.wakeup_ns;
    ++v.m.wakeups;
    if (source != kNone) ++src_[source].m.wakeups;
  } else if (c.path == DeliveryPath::Posted) {
    delay = c.posted_delivery_ns;
  } else {
    delay = c.kick_exit_ns;
    count_exit(cpu, source, ExitReason::Kick, c.kick_exit_ns);
    if (!v.frames.empty()) v.stolen += c.kick_exit_ns;
  }
  v.arrival_pending = true;
  queue_.push(now_ + delay, kVcpuArrive, static_cast<std::uint16_t>(cpu));
}

void Machine::try_take(unsigned cpu) {
  Vcpu& v = cpu_[cpu];
  const int vec = v.lapic->pending_vector();
  if (vec < 0) return;
  if (v.halted) leave_halt(cpu);
  if (!v.frames.empty()) {
    Frame& top = v.frames.back();
    top.remaining = top.end - now_ + v.stolen;
    ++v.gen;  // its kFrameDone is stale now
    ++v.m.preemptions;
  }
  v.stolen = 0;
  v.lapic->acknowledge();
  Frame f;
  f.vector = static_cast<std::uint8_t>(vec);
  f.start = now_;
  f.cost = sc_.costs.guest_dispatch_ns;
  v.frames.push_back(f);
  std::optional<std::uint64_t> payload;
  if (v.has_payload.test(f.vector)) payload = v.payload[f.vector];
  v.has_payload.reset(f.vector);
  current_cpu_ = cpu;
  in_dispatch_ = true;
  kern::KiInterruptDispatch(*core_, cpu, f.vector, payload);  // runs the ISR, writes the EOIs
  in_dispatch_ = false;
  Frame& done = v.frames.back();
  done.end = now_ + done.cost;
  queue_.push(done.end, kFrameDone, static_cast<std::uint16_t>(cpu), ++v.gen);
}

// The ISR of `source`, called by kern::KiInterruptDispatch on the current vCPU: serves
// every event the delivered interrupts carried (IRR merging included).
bool Machine::isr(std::uint32_t source) {
  SourceState& s = src_[source];
  Frame& f = cpu_[current_cpu_].frames.back();
  const std::uint64_t span = s.credited - s.served;
  const auto count = static_cast<std::uint32_t>(span - s.dropped_unserved);
  if (f.source == kNone) {  // (a chain calls one ISR per connection; ours have one)
    f.source = source;
    f.begin = s.served;
    f.span = span;
    f.count = count;
    s.open_frames.push_back(s.served);
  }
  s.served = s.credited;
  s.dropped_unserved = 0;
  s.m.served += count;
  ++s.m.isr_calls;
  if (count == 0) ++s.m.isr_empty;
  f.cost += s.spec->isr_base_ns + s.spec->isr_per_event_ns * count;
  // The device drops its level line once its completion queue is empty.
  if (s.level && s.served == s.completed) ioapic_->set_line(s.gsi, false);
  return count > 0;
}

bool Machine::intercept_lapic_eoi(unsigned cpu) {
  if (!in_dispatch_ || cpu != current_cpu_) return false;
  Vcpu& v = cpu_[cpu];
  Frame& f = v.frames.back();
  if (f.ops < f.op.size()) f.op[f.ops++] = DeferredOp{false, 0};
  // Exit-based: every EOI write exits. Posted: the EOI of an edge vector is virtualized;
  // a level vector is in the EOI-exit bitmap because the I/O APIC must see its EOI.
  if (sc_.costs.path == DeliveryPath::ExitBased || v.lapic->tmr().test(f.vector)) {
    f.cost += sc_.costs.eoi_exit_ns;
    f.exit_ns += sc_.costs.eoi_exit_ns;
    count_exit(cpu, f.source, ExitReason::Eoi, sc_.costs.eoi_exit_ns);
  }
  return true;
}

bool Machine::intercept_ioapic_eoi(std::uint32_t value) {
  if (!in_dispatch_) return false;
  Frame& f = cpu_[current_cpu_].frames.back();
  if (f.ops < f.op.size()) f.op[f.ops++] = DeferredOp{true, value};
  f.cost += sc_.costs.eoi_exit_ns;  // an MMIO write to the emulated I/O APIC exits on both paths
  f.exit_ns += sc_.costs.eoi_exit_ns;
  count_exit(current_cpu_, f.source, ExitReason::IoApicEoi, sc_.costs.eoi_exit_ns);
  return true;
}

void Machine::frame_done(unsigned cpu, std::uint32_t gen) {
  Vcpu& v = cpu_[cpu];
  if (gen != v.gen || v.frames.empty()) return;
  const Frame f = v.frames.back();
  v.frames.pop_back();
  // The EOIs the dispatcher wrote happen now, at the end of the handler: this may let the
  // I/O APIC re-deliver a level line and the policy deliver again.
  for (unsigned i = 0; i < f.ops; ++i) {
    if (f.op[i].ioapic) ioapic_->write32(hw::ioapic::kEoi, f.op[i].value);
    else if (sc_.x2apic) v.lapic->write_msr(hw::lapic::x2apic_msr(hw::lapic::kEoi), 0);
    else v.lapic->write32(hw::lapic::kEoi, 0);
  }
  retire(f);
  v.m.irq_ns += f.cost;
  if (rec_ != nullptr) rec_->isr({f.start, now_, f.source, f.count, static_cast<std::uint16_t>(cpu), f.vector});
  if (!v.frames.empty()) {
    Frame& top = v.frames.back();
    top.end = now_ + top.remaining;
    queue_.push(top.end, kFrameDone, static_cast<std::uint16_t>(cpu), ++v.gen);
  }
  try_take(cpu);  // a pending vector the EOI unblocked is taken at once (posted and exit-based alike)
  if (v.frames.empty() && !v.bg_busy && !v.halted) enter_halt(cpu);
}

void Machine::retire(const Frame& f) {
  if (f.source == kNone) return;
  SourceState& s = src_[f.source];
  s.m.irq_ns += f.cost;
  auto it = std::find(s.open_frames.begin(), s.open_frames.end(), f.begin);
  if (it != s.open_frames.end()) s.open_frames.erase(it);
  for (std::uint64_t seq = f.begin; seq < f.begin + f.span; ++seq) {
    const PendingEvent& e = s.ring.at(seq);
    if (e.dropped) continue;
    s.m.latency.record(now_ - e.time);
    if (e.slot != kNone) request_notified(s, e.slot, false);
  }
  std::uint64_t keep = s.served;
  for (std::uint64_t b : s.open_frames) keep = std::min(keep, b);
  s.ring.release_before(keep);
}

void Machine::enter_halt(unsigned cpu) {
  Vcpu& v = cpu_[cpu];
  v.halted = true;
  v.halted_since = now_;
  if (sc_.costs.hlt_exits) count_exit(cpu, kNone, ExitReason::Hlt, 0);
}

void Machine::leave_halt(unsigned cpu) {
  Vcpu& v = cpu_[cpu];
  v.halted = false;
  v.m.halted_ns += now_ - v.halted_since;
  if (rec_ != nullptr) rec_->idle({v.halted_since, now_, static_cast<std::uint16_t>(cpu)});
}

void Machine::background(unsigned cpu) {
  Vcpu& v = cpu_[cpu];
  v.bg_busy = !v.bg_busy;
  const Nanos t = now_ + Dist::exponential(static_cast<double>(v.bg_busy ? v.busy_mean : v.idle_mean)).sample_ns(v.rng);
  if (t < sc_.duration_ns) queue_.push(t, kBackground, static_cast<std::uint16_t>(cpu));
  if (v.bg_busy && v.halted) {
    leave_halt(cpu);  // woken by the guest's own scheduler (not modelled as an interrupt)
    try_take(cpu);
  } else if (!v.bg_busy && v.frames.empty() && !v.halted) {
    enter_halt(cpu);
  }
}

// ---------------------------------------------------------------- end of run

void Machine::check_conservation(SourceState& s, RunResult& r) {
  const std::string& name = s.spec->name;
  if (s.reported < s.completed) {
    const bool masked = s.pin && hw::ioapic::rte::Mask::test(ioapic_->entry(s.gsi));
    if (!masked) {
      fail(fmt::format("source \"{}\": {} device events never reached the policy (the interrupt controller held "
                       "them)",
                       name, s.completed - s.reported));
      return;
    }
    s.m.lost = s.completed - s.reported;
    r.notes.push_back(fmt::format("source \"{}\": {} events lost at the I/O APIC (the line is masked)", name, s.m.lost));
  }
  // Dropped events have no latency: without a word, a policy that drops would look both
  // cheaper and faster than one that serves everything.
  if (s.m.dropped > 0) {
    r.notes.push_back(fmt::format("source \"{}\": the policy dropped {} of its {} events; no ISR served them, so the "
                                  "latency figures leave them out{}",
                                  name, s.m.dropped, s.m.events,
                                  s.m.requests ? " (their requests count as dropped, not completed)" : ""));
  }
  if (s.credited < s.reported) {
    fail(fmt::format("source \"{}\": the policy still held {} events after flush()", name,
                     s.reported - s.credited - s.dropped_held));
    return;
  }
  if (s.credited - s.served != s.dropped_unserved || !s.open_frames.empty()) {
    fail(fmt::format("source \"{}\": {} events carried by delivered interrupts were never served by an ISR (was an "
                     "interrupt delivered on a vector no driver connected?)",
                     name, s.credited - s.served - s.dropped_unserved));
    return;
  }
  if (s.m.events_carried + s.m.dropped + s.m.lost != s.m.events || s.m.served != s.m.events_carried ||
      s.m.latency.count() != s.m.served) {
    fail(fmt::format("source \"{}\": conservation broken: {} events, {} carried, {} dropped, {} lost, {} served, {} "
                     "latencies",
                     name, s.m.events, s.m.events_carried, s.m.dropped, s.m.lost, s.m.served, s.m.latency.count()));
  }
}

void Machine::finish(RunResult& r) {
  r.policy = std::string(policy_.name());
  r.description = policy_.describe();
  r.duration_ns = sc_.duration_ns;
  r.end_ns = std::max(now_, sc_.duration_ns);
  r.series_bin_ns = bin_ns_;
  r.engine_events = engine_events_;
  r.kern_irql_violations = irql_violations_;
  r.notes = notes_;
  const std::size_t bins = bin(r.end_ns) + 1;
  for (SourceState& s : src_) {
    check_conservation(s, r);
    s.m.series_interrupts.resize(std::max(bins, s.m.series_interrupts.size()), 0);
    s.m.series_events.resize(std::max(bins, s.m.series_events.size()), 0);
    for (unsigned w = 0; w < 3; ++w) {
      if (s.objects[w] == nullptr) continue;
      s.m.kern_isr_calls += s.objects[w]->DispatchCount.load(std::memory_order_relaxed);
      kern::SourceInterruptCounters kc;
      if (kern::NT_SUCCESS(kern::QuerySourceInterruptCounters(*core_, s.handles[w], &kc))) s.m.kern_dispatches += kc.total;
    }
    r.source_names.push_back(s.spec->name);
    r.sources.push_back(std::move(s.m));
  }
  for (const SourceMetrics& m : r.sources) r.total.merge(m);
  for (unsigned c = 0; c < cpu_.size(); ++c) {
    Vcpu& v = cpu_[c];
    if (v.halted) leave_halt(c);
    const auto kc = kern::KeQueryCpuInterruptCounters(*core_, c);
    v.m.unexpected = kc.unexpected;
    v.m.dispatches = kc.dispatched;
    r.total.exits.add(ExitReason::Hlt, v.m.exits[ExitReason::Hlt]);
    r.vcpus.push_back(v.m);
  }
  r.telemetry_json = policy_.telemetry_json();
}

}  // namespace

Result<RunResult> simulate(const Scenario& scenario, Policy& policy, const RunOptions& options) {
  Machine m(scenario, policy, options);
  return m.run();
}

}  // namespace irqshape::sim
