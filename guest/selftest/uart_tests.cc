// The 16550's receive interrupt, fed by the harness (tests/guest/run_guest.py, or a
// person typing into ./guest/run.py): the kernel prints
//   UART-RX send=<n> batch=<b>
// and waits for n bytes, which must be the text "irqshape-uart-" followed by the batch
// number as two hex digits. The line is routed to one CPU for the first batch and moved
// with SetSystemInterruptAffinity to another for the second; every receive interrupt
// must arrive on the CPU the line is routed to.
#include "devices/uart.h"
#include "kernel/console.h"
#include "kernel/interrupt_system.h"
#include "selftest/fixture.h"

namespace guest::selftest {

namespace {

constexpr unsigned kBatches = 2;
constexpr unsigned kBatchBytes = 16;
constexpr char kPrefix[] = "irqshape-uart-";
constexpr std::uint64_t kHarnessTimeoutNs = 10'000 * clock::kNsPerMs;
constexpr KIRQL kUartIrql = 5;

struct UartReceiver {
  Probe probe;
  std::uint8_t bytes[kBatches * kBatchBytes] = {};
  std::atomic<unsigned> received{0};
};

bool uart_isr(KINTERRUPT* interrupt, void* context) {
  auto* rx = static_cast<UartReceiver*>(context);
  rx->probe.note(interrupt);
  if (!uart::receive_interrupt_pending()) return false;
  std::uint8_t byte = 0;
  while (uart::read_byte(byte)) {
    const unsigned n = rx->received.load(std::memory_order_relaxed);
    if (n < sizeof(rx->bytes)) rx->bytes[n] = byte;
    rx->received.store(n + 1, std::memory_order_release);
  }
  rx->probe.claim();
  return true;
}

bool batch_matches(const UartReceiver& rx, unsigned batch) {
  static constexpr char kHex[] = "0123456789abcdef";
  char expected[kBatchBytes];
  for (unsigned i = 0; i < sizeof(kPrefix) - 1; ++i) expected[i] = kPrefix[i];
  expected[kBatchBytes - 2] = kHex[(batch >> 4) & 0xF];
  expected[kBatchBytes - 1] = kHex[batch & 0xF];
  return __builtin_memcmp(expected, rx.bytes + batch * kBatchBytes, kBatchBytes) == 0;
}

void run_batch(Fixture& f, UartReceiver& rx, const SystemInterrupt& si, unsigned batch, unsigned cpu) {
  const std::uint64_t before_calls = rx.probe.count();
  const std::uint64_t before_wrong = rx.probe.wrong_cpu;
  const NTSTATUS moved = SetSystemInterruptAffinity(core(), si.Vector, RouteTarget::cpus(affinity_of(cpu)));
  rx.probe.expect_apic(f.apic_of(cpu));
  {
    Console out;
    out.w.str("UART-RX send=").dec(kBatchBytes).str(" batch=").dec(batch).chr('\n');
  }
  const unsigned want = (batch + 1) * kBatchBytes;
  const bool arrived = clock::wait_until([&] { return rx.received.load(std::memory_order_acquire) >= want; }, kHarnessTimeoutNs);
  const bool ok = NT_SUCCESS(moved) && arrived && rx.received == want && batch_matches(rx, batch) &&
                  rx.probe.wrong_cpu == before_wrong;
  report().record("uart.rx", ok,
                  {Field::dec("batch", batch), Field::dec("cpu", cpu), Field::dec("expected_apic", f.apic_of(cpu)),
                   Field::dec("last_apic", rx.probe.last_apic), Field::text("move", status_name(moved)),
                   Field::dec("bytes", rx.received.load() > batch * kBatchBytes ? rx.received.load() - batch * kBatchBytes : 0),
                   Field::dec("match", batch_matches(rx, batch) ? 1 : 0),
                   Field::dec("interrupts", rx.probe.count() - before_calls),
                   Field::dec("wrong_cpu", rx.probe.wrong_cpu - before_wrong)});
}

}  // namespace

unsigned uart_test_lines(unsigned) { return kBatches; }

void uart_tests(Fixture& f) {
  static UartReceiver rx;
  SystemInterrupt si;
  NTSTATUS s = AllocateSystemInterrupt(core(), LineRequest::isa_irq(uart::kCom1IsaIrq, "com1"), kUartIrql,
                                       RouteTarget::cpus(f.all_cpus()), &si);
  KINTERRUPT* obj = nullptr;
  if (NT_SUCCESS(s)) s = connect(&obj, uart_isr, &rx, si, Latched, false, f.all_cpus());
  if (!NT_SUCCESS(s)) {
    report().fail("uart.rx", status_name(s));
    return;
  }
  uart::enable_receive_interrupt(true);
  for (unsigned batch = 0; batch < kBatches; ++batch) run_batch(f, rx, si, batch, (f.cpus - 1 + batch) % f.cpus);
  uart::enable_receive_interrupt(false);
  IoDisconnectInterrupt(obj);
  (void)release_source(si);
}

}  // namespace guest::selftest
