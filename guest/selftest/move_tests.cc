// An affinity change moves a live line without losing an interrupt.
//
//   move.edge.pit   an AP fires PIT one-shots (mode 0: exactly one edge each) and waits
//                   for each to be handled, while the BSP moves the edge line around all
//                   CPUs; sent must equal handled (a lost edge is a timeout).
//   move.level.edu  the same with an edu's INTx, a level line: moves that find remote IRR
//                   set return STATUS_PENDING and the old CPU finishes them (its
//                   dispatcher after the EOI, or its cleanup pass once the EOI landed).
//   move.rtc        the RTC's periodic interrupt moved CPU to CPU; after every move, once
//                   an interrupt has arrived on the new CPU, every later one arrives
//                   there too (none on another CPU) until the next move. With one CPU
//                   the "move" is to the same CPU: the call must succeed and the
//                   interrupts go on there (moves_to=same-cpu in the line).
// After the concurrent phase, a settled check: every interrupt on the final CPU.
// A stuck line fails its move.* line within seconds, not at run.py's timeout: a sender
// gives up after kMaxLost lost events, and the mover stops waiting for the sender at
// kMoverDeadlineNs (reason=sender-not-done). CPU 1 then still runs the sender: nothing
// is posted to it again (smp/cpu_work.h), the next move test fails at once
// (previous-sender-still-running) and the later groups run without it.
#include "devices/pit.h"
#include "devices/rtc.h"
#include "kernel/fault_injection.h"
#include "kernel/interrupt_system.h"
#include "selftest/fixture.h"
#include "smp/cpu_work.h"

namespace guest::selftest {

namespace {

// The sender fires a burst of kEvents back to back, then goes on with a short pause
// between events (so that on a loaded host the mover's vCPU gets to run) until the mover
// has completed kMovesPerCpu moves per CPU, or kSendWindowNs has passed. Every run thus
// moves the line several times per CPU while it fires.
constexpr unsigned kEvents = 150;
constexpr unsigned kMaxEvents = 20'000;
constexpr unsigned kMovesPerCpu = 4;
constexpr std::uint64_t kSenderGapNs = 50 * clock::kNsPerUs;
constexpr std::uint64_t kSendWindowNs = 10'000 * clock::kNsPerMs;
constexpr std::uint64_t kEventTimeoutNs = kWaitNs;  // generous: a loaded host may stall a vCPU
constexpr std::uint64_t kMoveIntervalNs = 300 * clock::kNsPerUs;
constexpr unsigned kMaxLost = 3;  // then the line is stuck: stop sending
// The sender's longest run: the window, plus kMaxLost event timeouts, plus slack.
constexpr std::uint64_t kMoverDeadlineNs = kSendWindowNs + kMaxLost * kEventTimeoutNs + 2'000 * clock::kNsPerMs;
constexpr std::uint64_t kSenderTimeoutNs = 2'000 * clock::kNsPerMs;  // after the mover's deadline
constexpr std::uint16_t kOneShotTicks = 60;  // ~50 us of the 1.193 MHz input clock
constexpr unsigned kSettledEvents = 4;
constexpr unsigned kBusyRetries = 200;
constexpr KIRQL kPitIrql = 12, kEduIrql = 6, kRtcIrql = 11;

// A device that can be made to raise exactly one interrupt.
struct Sender {
  EduTarget* target = nullptr;
  void (*fire)(const Sender&) = nullptr;
  std::atomic<unsigned> sent{0};
  std::atomic<unsigned> lost{0};
  std::atomic<bool> done{false};
  std::atomic<bool> enough_moves{false};
};

void fire_pit(const Sender&) { pit::fire_once(kOneShotTicks); }

// The PIT has no status register: every call is its interrupt.
bool pit_isr(KINTERRUPT* interrupt, void* context) { return probe_isr(interrupt, &static_cast<EduTarget*>(context)->probe); }
KSERVICE_ROUTINE isr_for(const EduTarget& target) { return target.device != nullptr ? edu_isr : pit_isr; }
void fire_edu(const Sender& s) { s.target->device->raise(1); }

bool line_stuck(const Sender& s) { return s.lost.load(std::memory_order_relaxed) >= kMaxLost; }

// One event at a time: fire, wait until some ISR claimed it. Stops once the line is
// stuck (kMaxLost events lost), so a dead line costs kMaxLost timeouts, not n.
void send_events(Sender& s, unsigned n) {
  for (unsigned i = 0; i < n && !line_stuck(s); ++i) {
    const std::uint64_t before = s.target->probe.claims();
    s.fire(s);
    s.sent.fetch_add(1, std::memory_order_relaxed);
    if (!wait_claims(s.target->probe, before + 1, kEventTimeoutNs)) s.lost.fetch_add(1, std::memory_order_relaxed);
  }
}

void sender_work(void* argument) {
  auto* s = static_cast<Sender*>(argument);
  const std::uint64_t deadline = clock::now_ns() + kSendWindowNs;
  send_events(*s, kEvents);
  for (unsigned n = kEvents; n < kMaxEvents && !s->enough_moves.load(std::memory_order_acquire); ++n) {
    if (clock::now_ns() >= deadline || line_stuck(*s)) break;
    clock::sleep_ns(kSenderGapNs);
    send_events(*s, 1);
  }
  fault::move_sender_finished();  // irqshape.fault=move_sender_hangs: never returns
  s->done.store(true, std::memory_order_release);
}

struct MoveTally {
  unsigned success = 0, pending = 0, busy = 0, other = 0;
  unsigned final_cpu = 0;
  bool sender_not_done = false;  // the sender had not finished by kMoverDeadlineNs
  bool sender_cpu_busy = false;  // CPU 1 still ran earlier work: no sender was posted
};

void tally(MoveTally& t, NTSTATUS s) {
  if (s == STATUS_SUCCESS) ++t.success;
  else if (s == STATUS_PENDING) ++t.pending;
  else if (s == STATUS_DEVICE_BUSY) ++t.busy;
  else ++t.other;
}

// BSP: moves the line round-robin until the sender is done.
MoveTally move_while_sending(Fixture& f, const SystemInterrupt& si, Sender& sender) {
  MoveTally t;
  unsigned next = 0;
  if (f.cpus == 1) {
    send_events(sender, kEvents);
    return t;
  }
  std::uint32_t ticket = 0;
  if (!smp::post_work(1, sender_work, &sender, ticket)) {
    t.sender_cpu_busy = true;
    return t;
  }
  const std::uint64_t deadline = clock::now_ns() + kMoverDeadlineNs;
  while (!sender.done.load(std::memory_order_acquire)) {
    if (clock::now_ns() >= deadline) {
      t.sender_not_done = true;
      sender.enough_moves.store(true, std::memory_order_release);  // ask it to stop
      break;
    }
    next = (next + 1) % f.cpus;
    tally(t, SetSystemInterruptAffinity(core(), si.Vector, RouteTarget::cpus(affinity_of(next))));
    if (t.success + t.pending >= kMovesPerCpu * f.cpus) sender.enough_moves.store(true, std::memory_order_release);
    clock::sleep_ns(kMoveIntervalNs);
  }
  if (!smp::wait_for_work(1, ticket, kSenderTimeoutNs)) t.sender_not_done = true;
  return t;
}

// After the storm: put the line on `cpu` for good (retrying while the last move's
// cleanup runs) and check that interrupts now arrive there and only there.
bool settle_on(Fixture& f, const SystemInterrupt& si, Sender& sender, unsigned cpu) {
  NTSTATUS s = STATUS_DEVICE_BUSY;
  for (unsigned i = 0; i < kBusyRetries && (s == STATUS_DEVICE_BUSY || s == STATUS_PENDING); ++i) {
    s = SetSystemInterruptAffinity(core(), si.Vector, RouteTarget::cpus(affinity_of(cpu)));
    if (s == STATUS_DEVICE_BUSY || s == STATUS_PENDING) clock::sleep_ns(kMoveIntervalNs);
  }
  SystemInterrupt now;
  if (!NT_SUCCESS(QuerySystemInterrupt(core(), si.Vector, &now)) || now.Cpu != cpu) return false;
  const std::uint64_t wrong_before = sender.target->probe.wrong_cpu;
  sender.target->probe.expect_apic(f.apic_of(cpu));
  send_events(sender, kSettledEvents);
  sender.target->probe.expect_apic(kAnyApic);
  return sender.target->probe.wrong_cpu == wrong_before && !line_stuck(sender);
}

void record_move(const char* name, Fixture& f, const SystemInterrupt& si, Sender& sender, const MoveTally& t,
                 bool settled) {
  const Probe& p = sender.target->probe;
  unsigned cpus_used = 0;
  for (unsigned c = 0; c < f.cpus; ++c) cpus_used += p.on_cpu[c] != 0 ? 1 : 0;
  const unsigned sent = sender.sent.load();
  const bool ok = sender.lost == 0 && p.claims() == sent && sent >= kEvents + kSettledEvents && settled &&
                  t.other == 0 && !t.sender_not_done && !t.sender_cpu_busy &&
                  (f.cpus == 1 || t.success + t.pending >= kMovesPerCpu * f.cpus);
  const char* reason = t.sender_not_done   ? "sender-not-done"
                       : t.sender_cpu_busy ? "sender-cpu-busy"
                       : line_stuck(sender) ? "line-stuck"
                                            : "none";
  report().record(name, ok,
                  {Field::text("reason", reason), Field::dec("gsi", si.Gsi), Field::dec("sent", sent), Field::dec("handled", p.claims()),
                   Field::dec("lost", sender.lost), Field::dec("moves", t.success), Field::dec("pending", t.pending),
                   Field::dec("busy", t.busy), Field::dec("errors", t.other), Field::dec("cpus_used", cpus_used),
                   Field::dec("settled", settled ? 1 : 0)});
}

void move_line(Fixture& f, const char* name, const LineRequest& request, KIRQL irql, KINTERRUPT_MODE mode,
               EduTarget& target, void (*fire)(const Sender&)) {
  static Sender sender;
  static bool sender_busy = false;  // a previous sender never finished: it may still use `sender`
  if (sender_busy) {
    report().fail(name, "previous-sender-still-running");
    return;
  }
  sender.target = &target;
  sender.fire = fire;
  sender.sent = 0;
  sender.lost = 0;
  sender.done = false;
  sender.enough_moves = false;
  target.probe.reset();
  SystemInterrupt si;
  NTSTATUS s = AllocateSystemInterrupt(core(), request, irql, RouteTarget::cpus(affinity_of(0)), &si);
  KINTERRUPT* obj = nullptr;
  if (NT_SUCCESS(s)) s = connect(&obj, isr_for(target), &target, si, mode, true, f.all_cpus());
  if (!NT_SUCCESS(s)) {
    report().fail(name, status_name(s));
    return;
  }
  const MoveTally t = move_while_sending(f, si, sender);
  sender_busy = t.sender_not_done;
  const bool settled = !t.sender_not_done && settle_on(f, si, sender, f.cpus - 1);  // not beside a live sender
  IoDisconnectInterrupt(obj);
  (void)release_source(si);
  record_move(name, f, si, sender, t, settled);
}

// The RTC keeps ticking while its line is moved. After each move the first interrupt on
// the new CPU shows the move took effect. A tick the I/O APIC delivered to another CPU
// before that may still wait in that CPU's IRR and be taken later (seen under KVM, where
// a tick reaches the CPU even before register C was read): every other CPU first takes
// what it has pending (smp::flush_interrupts), and from then on until the next move
// every interrupt must arrive on the new CPU.
constexpr unsigned kRtcInterruptsPerCpu = 3;

void move_rtc(Fixture& f) {
  static Probe probe;
  probe.reset();
  SystemInterrupt si;
  NTSTATUS s = AllocateSystemInterrupt(core(), LineRequest::isa_irq(rtc::kIsaIrq, "rtc"), kRtcIrql,
                                       RouteTarget::cpus(affinity_of(0)), &si);
  KINTERRUPT* obj = nullptr;
  if (NT_SUCCESS(s)) s = connect(&obj, rtc_isr, &probe, si, Latched, false, f.all_cpus());
  if (!NT_SUCCESS(s)) {
    report().fail("move.rtc", status_name(s));
    return;
  }
  rtc::start_periodic(rtc::kRate2048Hz);
  const unsigned moves = f.cpus == 1 ? 1 : 2 * f.cpus;
  unsigned arrived = 0, alive = 0, busy = 0, errors = 0;
  for (unsigned m = 0; m < moves; ++m) {
    const unsigned target = (m + 1) % f.cpus;
    probe.expect_apic(kAnyApic);  // until the move has taken effect
    NTSTATUS status = STATUS_DEVICE_BUSY;
    for (unsigned i = 0; i < kBusyRetries && status == STATUS_DEVICE_BUSY; ++i) {
      status = SetSystemInterruptAffinity(core(), si.Vector, RouteTarget::cpus(affinity_of(target)));
      if (status == STATUS_DEVICE_BUSY) ++busy, clock::sleep_ns(kMoveIntervalNs);
    }
    if (!NT_SUCCESS(status)) {
      ++errors;
      continue;
    }
    const std::uint64_t before = probe.on_cpu[target];
    if (!clock::wait_until([&] { return probe.on_cpu[target] > before; }, kWaitNs)) continue;
    ++arrived;
    for (unsigned cpu = 0; cpu < f.cpus; ++cpu) {
      if (cpu != target) (void)smp::flush_interrupts(cpu, kWaitNs);  // a busy CPU is skipped
    }
    probe.expect_apic(f.apic_of(target));  // every later interrupt: there, else wrong_cpu
    const std::uint64_t first = probe.on_cpu[target];
    alive += clock::wait_until([&] { return probe.on_cpu[target] >= first + kRtcInterruptsPerCpu; }, kWaitNs) ? 1 : 0;
  }
  rtc::stop();
  probe.expect_apic(kAnyApic);
  IoDisconnectInterrupt(obj);
  (void)release_source(si);
  report().record("move.rtc", arrived == moves && alive == moves && probe.wrong_cpu == 0 && errors == 0,
                  {Field::text("moves_to", f.cpus == 1 ? "same-cpu" : "other-cpus"), Field::dec("moves", moves),
                   Field::dec("arrived_after_move", arrived), Field::dec("alive_after_move", alive),
                   Field::dec("wrong_cpu_after_arrival", probe.wrong_cpu), Field::dec("busy_retries", busy),
                   Field::dec("errors", errors), Field::dec("interrupts", probe.count())});
}

}  // namespace

unsigned move_test_lines(unsigned) { return 3; }

void move_tests(Fixture& f) {
  static EduTarget pit_target;  // device stays null: the PIT ISR only counts
  move_line(f, "move.edge.pit", LineRequest::isa_irq(pit::kIsaIrq, "pit"), kPitIrql, Latched, pit_target, fire_pit);
  pit::stop();

  static EduTarget edu_target;
  if (f.intx_edu == nullptr) {
    report().fail("move.level.edu", "no-edu-with-known-intx-gsi");
  } else {
    edu_target.device = f.intx_edu;
    move_line(f, "move.level.edu", LineRequest::gsi(static_cast<std::uint32_t>(f.intx_edu->intx_gsi), "edu-intx"),
              kEduIrql, LevelSensitive, edu_target, fire_edu);
  }
  move_rtc(f);
}

}  // namespace guest::selftest
