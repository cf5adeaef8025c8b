// OS threads play CPUs (HostedMachine::start_cpus) and devices; the test thread plays a
// driver connecting, disconnecting and moving lines underneath them.
//
// What is asserted:
//  * after IoDisconnectInterrupt returns its ISR is never entered again: the context is
//    freed right away (ASan builds: any later ISR access is a use after free) or marked
//    dead and checked by the ISR (other builds);
//  * every interrupt is accounted for: each edge the device raised was delivered by the
//    I/O APIC or dropped while the line was masked; each delivered message was merged
//    into a pending one or dispatched; each dispatch was claimed by an ISR or counted
//    unhandled; no CPU ever took a vector with no source mapped;
//  * device events are never lost while a line moves (handled == fired);
//  * a released vector is not given to a new source while an interrupt for it may
//    still be pending on its CPU.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "test_support.h"

namespace irqshape::kern::testing {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kFreeContexts = true;
#else
constexpr bool kFreeContexts = false;
#endif

std::atomic<long> g_isr_after_disconnect{0};

// Makes "IoDisconnectInterrupt starts while the ISR runs" happen often whatever the
// machine's load: the ISR announces itself and lingers until the test thread has begun
// to disconnect (bounded, so nothing hangs if the test thread is not looking).
struct Handshake {
  std::atomic<bool> running{false};
  std::atomic<bool> disconnecting{false};

  void isr_enter() {
    running.store(true);
    for (int i = 0; i < 200 && !disconnecting.load(); ++i) std::this_thread::yield();
    for (int i = 0; i < 3; ++i) std::this_thread::yield();  // let the disconnect reach its drain
  }
  void isr_exit() { running.store(false); }
  // Test thread: waits (bounded) for the ISR to be running; true if it is.
  bool catch_isr() {
    for (int i = 0; i < 200 && !running.load(); ++i) std::this_thread::yield();
    disconnecting.store(true);
    return running.load();
  }
};

struct Context {
  std::atomic<bool> dead{false};
  Handshake handshake;
  long calls = 0;  // guarded by the interrupt lock
};

bool context_isr(KINTERRUPT*, void* context) {
  auto* c = static_cast<Context*>(context);
  if (c->dead.load(std::memory_order_relaxed)) g_isr_after_disconnect.fetch_add(1);
  c->handshake.isr_enter();
  if (c->dead.load(std::memory_order_relaxed)) g_isr_after_disconnect.fetch_add(1);
  ++c->calls;
  c->handshake.isr_exit();
  return true;
}

long g_disconnect_overlaps = 0;

class Device {
 public:
  Device(HostedMachine& m, std::uint32_t gsi) : m_(m), gsi_(gsi) {}
  ~Device() { stop(); }
  void start(std::atomic<long>* pending = nullptr) {
    pending_ = pending;
    thread_ = std::thread([this] {
      while (!stop_.load(std::memory_order_relaxed)) fire_once();
    });
  }
  void fire_once() {
    if (pending_ != nullptr) pending_->fetch_add(1);
    m_.pulse(gsi_);
    fired_.fetch_add(1, std::memory_order_relaxed);
    if (fired_.load(std::memory_order_relaxed) % 4 == 0) std::this_thread::yield();
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long fired() const { return fired_.load(); }

 private:
  HostedMachine& m_;
  std::uint32_t gsi_;
  std::atomic<long>* pending_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<long> fired_{0};
  std::thread thread_;
};

std::uint64_t merged(HostedMachine& m) {
  std::lock_guard<std::mutex> g(m.chipset());
  std::uint64_t n = 0;
  for (unsigned cpu = 0; cpu < m.cpus(); ++cpu) n += m.lapic(cpu).merged_count();
  return n;
}

void expect_no_unexpected_vectors(HostedMachine& m) {
  for (unsigned cpu = 0; cpu < m.cpus(); ++cpu) EXPECT_EQ(KeQueryCpuInterruptCounters(m.core(), cpu).unexpected, 0u);
}

// Runs `cycles` connect / fire / disconnect cycles on one edge line while a device
// thread fires it continuously; returns the contexts' total ISR calls.
long connect_fire_disconnect(HostedMachine& m, const SystemInterrupt& si, Device& dev, int cycles) {
  std::vector<std::unique_ptr<Context>> kept;
  long calls = 0;
  for (int i = 0; i < cycles; ++i) {
    auto ctx = std::make_unique<Context>();
    KINTERRUPT* obj = nullptr;
    const NTSTATUS s = IoConnectInterrupt(m.core(), &obj, context_isr, ctx.get(), nullptr, si.Vector, si.Irql,
                                          si.Irql, Latched, false, si.Affinity);
    if (s != STATUS_SUCCESS) {
      ADD_FAILURE() << "connect: " << status_name(s);
      break;
    }
    dev.fire_once();
    if (i % 2 == 0) {
      if (ctx->handshake.catch_isr()) ++g_disconnect_overlaps;
    } else {
      ctx->handshake.disconnecting.store(true);  // odd cycles: no waiting, a plain race
    }
    IoDisconnectInterrupt(obj);
    EXPECT_FALSE(ctx->handshake.running.load());
    // From here the ISR must never run again with this context.
    {
      // The only lock the ISR ran under is gone with the block; read the count after
      // the drain (IoDisconnectInterrupt's wait orders it after every ISR call).
      calls += ctx->calls;
    }
    ctx->dead.store(true);
    if (kFreeContexts) {
      ctx.reset();
    } else {
      kept.push_back(std::move(ctx));
    }
  }
  return calls;
}

// The test thread fires the line in every cycle, right before disconnecting, so the
// CPU thread (polling, on the other core) is often inside the ISR when the disconnect
// starts and the drain has to wait for it.
TEST(Concurrency, ConnectFireDisconnectRace) {
  constexpr int kCycles = 60'000;
  HostedMachine m;
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(4), 5, RouteTarget::cpus(3));
  m.start_cpus();
  Device dev(m, 4);
  const auto t0 = std::chrono::steady_clock::now();
  const long calls = connect_fire_disconnect(m, si, dev, kCycles);
  dev.stop();
  m.quiesce();
  m.stop_cpus();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  EXPECT_EQ(g_isr_after_disconnect.load(), 0);
  SourceInterruptCounters sc;
  ASSERT_EQ(QuerySourceInterruptCounters(m.core(), si.Vector, &sc), STATUS_SUCCESS);
  const hw::IoApic::PinCounters pc = m.pin_counters(4);
  EXPECT_EQ(static_cast<std::uint64_t>(dev.fired()), pc.delivered + pc.masked_edges + pc.refused);
  EXPECT_EQ(pc.refused, 0u);
  EXPECT_EQ(pc.delivered, sc.total + merged(m));
  EXPECT_EQ(sc.total, static_cast<std::uint64_t>(calls) + sc.unhandled);
  expect_no_unexpected_vectors(m);
  EXPECT_EQ(m.pool().live.load(), 0);
  EXPECT_EQ(m.platform().irql_violations.load(), 0);
  std::printf(
      "[ stats    ] %d cycles in %.2f s; fired %ld, delivered %llu, masked %llu, handled %ld, unhandled %llu, "
      "disconnects that found the ISR running %ld\n",
      kCycles, secs, dev.fired(), static_cast<unsigned long long>(pc.delivered),
      static_cast<unsigned long long>(pc.masked_edges), calls, static_cast<unsigned long long>(sc.unhandled),
      g_disconnect_overlaps);
  ASSERT_EQ(ReleaseSystemInterrupt(m.core(), si.Vector), STATUS_SUCCESS);
}

// A device with an event counter: the ISR takes all pending events at once, like a
// driver reading and clearing a status register.
struct Function {
  std::atomic<long>* pending;
  long handled = 0;  // guarded by the interrupt lock
  Handshake* handshake = nullptr;
  std::atomic<bool> dead{false};
};

bool function_isr(KINTERRUPT*, void* context) {
  auto* f = static_cast<Function*>(context);
  if (f->dead.load(std::memory_order_relaxed)) g_isr_after_disconnect.fetch_add(1);
  if (f->handshake != nullptr) f->handshake->isr_enter();
  const long n = f->pending->exchange(0);
  f->handled += n;
  if (f->handshake != nullptr) f->handshake->isr_exit();
  return n > 0;
}

TEST(Concurrency, SharedChainChangesUnderFire) {
  constexpr int kCycles = 40'000;
  HostedMachine m;
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(5), 6, RouteTarget::cpus(3));
  std::atomic<long> pending_a{0}, pending_b{0};
  Function a{&pending_a};
  KINTERRUPT* oa = nullptr;
  ASSERT_EQ(IoConnectInterrupt(m.core(), &oa, function_isr, &a, nullptr, si.Vector, 6, 6, Latched, true, si.Affinity),
            STATUS_SUCCESS);
  m.start_cpus();
  std::atomic<bool> stop{false};
  std::atomic<long> fired{0};
  std::thread device([&] {
    while (!stop.load()) {
      pending_a.fetch_add(1);
      pending_b.fetch_add(1);
      m.pulse(5);
      fired.fetch_add(1);
      std::this_thread::yield();
    }
  });
  std::vector<std::unique_ptr<Function>> kept;
  long overlaps = 0, b_handled = 0;
  for (int i = 0; i < kCycles; ++i) {
    auto b = std::make_unique<Function>();
    Handshake handshake;
    b->pending = &pending_b;
    b->handshake = &handshake;
    KINTERRUPT* ob = nullptr;
    ASSERT_EQ(IoConnectInterrupt(m.core(), &ob, function_isr, b.get(), nullptr, si.Vector, 6, 6, Latched, true,
                                 si.Affinity),
              STATUS_SUCCESS);
    if (i % 2 == 0) {
      pending_a.fetch_add(1);
      pending_b.fetch_add(1);
      m.pulse(5);
      fired.fetch_add(1);
      if (handshake.catch_isr()) ++overlaps;
    } else {
      handshake.disconnecting.store(true);
    }
    IoDisconnectInterrupt(ob);
    b_handled += b->handled;
    b->dead.store(true);
    if (kFreeContexts) b.reset(); else kept.push_back(std::move(b));
  }
  stop = true;
  device.join();
  m.quiesce();
  m.stop_cpus();
  EXPECT_EQ(g_isr_after_disconnect.load(), 0);
  // a never left: every event raised for it was handled.
  EXPECT_EQ(a.handled, fired.load());
  std::printf("[ stats    ] %d cycles; fired %ld, handled by the churning sharer %ld, disconnects that found its "
              "ISR running %ld\n", kCycles, fired.load(), b_handled, overlaps);
  EXPECT_EQ(pending_a.load(), 0);
  expect_no_unexpected_vectors(m);
  IoDisconnectInterrupt(oa);
  EXPECT_EQ(m.pool().live.load(), 0);
  ASSERT_EQ(ReleaseSystemInterrupt(m.core(), si.Vector), STATUS_SUCCESS);
}

// Moves the line back and forth until `moves` moves have completed. A move that does
// not finish within seconds is a lost completion: fail rather than hang.
void keep_moving(HostedMachine& m, SystemVector v, int moves) {
  auto last_progress = std::chrono::steady_clock::now();
  for (int done = 0; done < moves;) {
    ASSERT_LT(std::chrono::steady_clock::now() - last_progress, std::chrono::seconds(20)) << "move " << done << " stuck";
    const NTSTATUS s = SetSystemInterruptAffinity(m.core(), v, RouteTarget::apic(static_cast<std::uint32_t>(done % 2 == 0)));
    if (s == STATUS_SUCCESS || s == STATUS_PENDING) {
      ++done;
      last_progress = std::chrono::steady_clock::now();
    } else {
      ASSERT_EQ(s, STATUS_DEVICE_BUSY);
      std::this_thread::yield();
    }
  }
}

TEST(Concurrency, EdgeLineMovesWhileFiring) {
  HostedMachine m;
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(4), 5, RouteTarget::apic(0));
  std::atomic<long> pending{0};
  Function f{&pending};
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(IoConnectInterrupt(m.core(), &obj, function_isr, &f, nullptr, si.Vector, 5, 5, Latched, false, 3),
            STATUS_SUCCESS);
  m.start_cpus();
  Device dev(m, 4);
  dev.start(&pending);
  keep_moving(m, si.Vector, 2'000);
  dev.stop();
  m.quiesce();
  while (SetSystemInterruptAffinity(m.core(), si.Vector, RouteTarget::apic(0)) == STATUS_DEVICE_BUSY) {
    std::this_thread::yield();
  }
  m.quiesce();
  m.quiesce();
  m.stop_cpus();
  EXPECT_EQ(f.handled, dev.fired());
  expect_no_unexpected_vectors(m);
  SourceInterruptCounters sc;
  ASSERT_EQ(QuerySourceInterruptCounters(m.core(), si.Vector, &sc), STATUS_SUCCESS);
  const hw::IoApic::PinCounters pc = m.pin_counters(4);
  EXPECT_EQ(pc.delivered, sc.total + merged(m));
  // Moved without masking (bridged vectors): the I/O APIC sent every edge it got.
  EXPECT_EQ(pc.masked_edges, 0u);
  EXPECT_EQ(pc.delivered, static_cast<std::uint64_t>(dev.fired()));
  std::printf("[ stats    ] fired %ld, delivered %llu, masked during rewrites %llu, merged %llu\n", dev.fired(),
              static_cast<unsigned long long>(pc.delivered), static_cast<unsigned long long>(pc.masked_edges),
              static_cast<unsigned long long>(merged(m)));
  IoDisconnectInterrupt(obj);
}

// A level device: asserts its line while it has events; the ISR deasserts first, then
// takes the events, so an event raised in between re-asserts and is never lost.
struct LevelDevice {
  HostedMachine* m;
  std::uint32_t gsi;
  std::atomic<long> pending{0};
  long handled = 0;
};

bool level_isr(KINTERRUPT*, void* context) {
  auto* d = static_cast<LevelDevice*>(context);
  d->m->set_line(d->gsi, false);
  const long n = d->pending.exchange(0);
  d->handled += n;
  return n > 0;
}

// GSI 16, level-triggered and active low, routed to CPU 0 and connected to level_isr
// (d must be on that line); obj stays null if the connect fails.
SystemInterrupt connect_level_device(HostedMachine& m, LevelDevice& d, KINTERRUPT*& obj) {
  m.set_wiring(d.gsi, hw::Polarity::ActiveLow);
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(d.gsi), 7, RouteTarget::apic(0));
  if (IoConnectInterrupt(m.core(), &obj, level_isr, &d, nullptr, si.Vector, 7, 7, LevelSensitive, false, 3) !=
      STATUS_SUCCESS)
    obj = nullptr;
  return si;
}

// The device: one more pending event and the line raised, again and again until stop.
std::thread keep_firing(LevelDevice& d, std::atomic<bool>& stop, std::atomic<long>& fired) {
  return std::thread([&d, &stop, &fired] {
    while (!stop.load()) {
      d.pending.fetch_add(1);
      d.m->set_line(d.gsi, true);
      fired.fetch_add(1);
      std::this_thread::yield();
    }
  });
}

TEST(Concurrency, LevelLineMovesWhileFiring) {
  HostedMachine m;
  LevelDevice d{&m, 16};
  KINTERRUPT* obj = nullptr;
  const SystemInterrupt si = connect_level_device(m, d, obj);
  ASSERT_NE(obj, nullptr);
  m.start_cpus();
  std::atomic<bool> stop{false};
  std::atomic<long> fired{0};
  std::thread device = keep_firing(d, stop, fired);
  keep_moving(m, si.Vector, 2'000);
  stop = true;
  device.join();
  m.quiesce();
  m.stop_cpus();
  EXPECT_EQ(d.handled, fired.load());
  EXPECT_EQ(d.pending.load(), 0);
  EXPECT_FALSE(rte::RemoteIrr::test(m.entry(16)));
  expect_no_unexpected_vectors(m);
  IoDisconnectInterrupt(obj);
}

// As above, with EOIs that reach the I/O APIC late (another thread lets them land). A
// move that starts while an EOI is in flight must still finish by itself: after the
// device stops, every event is handled without any further control call.
TEST(Concurrency, LevelLineMovesWhileFiringWithEoisInFlight) {
  HostedMachine m({.async_eoi = true});
  LevelDevice d{&m, 16};
  KINTERRUPT* obj = nullptr;
  const SystemInterrupt si = connect_level_device(m, d, obj);
  ASSERT_NE(obj, nullptr);
  m.start_cpus();
  std::atomic<bool> stop{false}, stop_eois{false};
  std::atomic<long> fired{0};
  std::thread eois([&] {
    while (!stop_eois.load()) {
      m.deliver_eois();
      std::this_thread::yield();
    }
  });
  std::thread device = keep_firing(d, stop, fired);
  keep_moving(m, si.Vector, 2'000);
  stop = true;
  device.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (d.pending.load() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  EXPECT_EQ(d.pending.load(), 0) << "events left unhandled: a move left the line masked";
  while (m.core().sources[si.Vector.index].move.load() != MoveState::Idle &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  EXPECT_EQ(m.core().sources[si.Vector.index].move.load(), MoveState::Idle);
  m.quiesce();
  stop_eois = true;
  eois.join();
  m.deliver_eois();
  m.quiesce();
  m.stop_cpus();
  EXPECT_EQ(d.handled, fired.load());
  EXPECT_FALSE(rte::RemoteIrr::test(m.entry(16)));
  expect_no_unexpected_vectors(m);
  IoDisconnectInterrupt(obj);
}

// Takes a source of level 5 on cpu 0, retrying while every vector of the class there
// still waits for cpu 0's cleanup pass (the CPU thread frees them).
SystemInterrupt allocate_retrying(HostedMachine& m, bool line) {
  for (long tries = 0;; ++tries) {
    SystemInterrupt si;
    const NTSTATUS s = line ? AllocateSystemInterrupt(m.core(), LineRequest::gsi(4), 5, RouteTarget::apic(0), &si)
                            : AllocateMessageInterrupt(m.core(), "idle", 5, RouteTarget::apic(0), &si);
    if (s == STATUS_SUCCESS) return si;
    if (s != STATUS_INSUFFICIENT_RESOURCES || tries > 10'000'000) {
      ADD_FAILURE() << "allocate: " << status_name(s);
      return si;
    }
    std::this_thread::yield();
  }
}

bool never_isr(KINTERRUPT*, void* context) {
  static_cast<std::atomic<long>*>(context)->fetch_add(1);
  return true;
}

// A line is released while its device fires, and a message source nobody sends to is
// allocated on the same CPU and class right away: if it got the released vector while
// an edge of the line still waited in cpu 0's IRR, its ISR would run. It never must,
// and every released vector is freed by cpu 0's cleanup pass in the end.
TEST(Concurrency, ReleasedVectorIsNotReusedWhileFiring) {
  constexpr int kCycles = 20'000;
  HostedMachine m;
  m.start_cpus();
  Device dev(m, 4);
  dev.start();
  std::atomic<long> wrong{0};
  long calls = 0;
  for (int i = 0; i < kCycles && !::testing::Test::HasFailure(); ++i) {
    const SystemInterrupt a = allocate_retrying(m, true);
    auto ctx = std::make_unique<Context>();
    ctx->handshake.disconnecting.store(true);  // no lingering in the ISR
    KINTERRUPT* oa = nullptr;
    ASSERT_EQ(IoConnectInterrupt(m.core(), &oa, context_isr, ctx.get(), nullptr, a.Vector, 5, 5, Latched, false, 3),
              STATUS_SUCCESS);
    ASSERT_EQ(ReleaseSystemInterrupt(m.core(), a.Vector), STATUS_SUCCESS);  // the connection keeps it
    for (int k = 0; k < 4; ++k) dev.fire_once();
    IoDisconnectInterrupt(oa);  // the last reference: masks the line, retires the vector
    calls += ctx->calls;
    ctx->dead.store(true);
    const SystemInterrupt b = allocate_retrying(m, false);
    KINTERRUPT* ob = nullptr;
    ASSERT_EQ(IoConnectInterrupt(m.core(), &ob, never_isr, &wrong, nullptr, b.Vector, 5, 5, Latched, false, 3),
              STATUS_SUCCESS);
    std::this_thread::yield();
    IoDisconnectInterrupt(ob);
    ASSERT_EQ(ReleaseSystemInterrupt(m.core(), b.Vector), STATUS_SUCCESS);
  }
  dev.stop();
  m.quiesce();
  m.stop_cpus();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(g_isr_after_disconnect.load(), 0);
  EXPECT_GT(calls, 0);
  EXPECT_EQ(m.core().vectors.device_vectors_in_use(0), 0u);
  EXPECT_EQ(m.core().vectors.device_vectors_in_use(1), 0u);
  EXPECT_EQ(m.pool().live.load(), 0);
  EXPECT_EQ(m.platform().irql_violations.load(), 0);
  std::printf("[ stats    ] %d cycles; fired %ld, handled %ld, unexpected on cpu 0 %llu\n", kCycles, dev.fired(),
              calls, static_cast<unsigned long long>(KeQueryCpuInterruptCounters(m.core(), 0).unexpected));
}

struct Shared {
  long value = 0;  // written by the ISR and by the synchronize routine: the lock orders them
};

bool bump_isr(KINTERRUPT*, void* context) {
  ++static_cast<Shared*>(context)->value;
  return true;
}
bool bump_sync(void* context) {
  ++static_cast<Shared*>(context)->value;
  return true;
}

TEST(Concurrency, SynchronizeExecutionExcludesTheIsr) {
  HostedMachine m;
  const SystemInterrupt si = allocate_line(m.core(), LineRequest::gsi(4), 5, RouteTarget::apic(1));
  Shared shared;
  KINTERRUPT* obj = nullptr;
  ASSERT_EQ(IoConnectInterrupt(m.core(), &obj, bump_isr, &shared, nullptr, si.Vector, 5, 5, Latched, false, 3),
            STATUS_SUCCESS);
  m.start_cpus();
  Device dev(m, 4);
  dev.start();
  constexpr int kSyncs = 20'000;
  for (int i = 0; i < kSyncs; ++i) KeSynchronizeExecution(obj, bump_sync, &shared);
  dev.stop();
  m.quiesce();
  m.stop_cpus();
  SourceInterruptCounters sc;
  ASSERT_EQ(QuerySourceInterruptCounters(m.core(), si.Vector, &sc), STATUS_SUCCESS);
  EXPECT_EQ(shared.value, static_cast<long>(kSyncs + sc.total));
  IoDisconnectInterrupt(obj);
}

}  // namespace
}  // namespace irqshape::kern::testing
