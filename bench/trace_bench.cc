// Reader throughput in events (records) per second, from memory so the numbers are the
// parsers' own. Targets (issue "Real interrupt traces"): at least 1 million events/s
// from text, 10 million from the native format.
//   build/release/bench/trace_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "trace/input.h"
#include "trace/native.h"
#include "trace/reader.h"

namespace irqshape::trace {
namespace {

constexpr int kEvents = 200'000;

// A block random-read pattern as the kernel prints it: issue, irq entry, irq exit,
// completion; four events per request.
std::string make_text(bool perf) {
  std::string s;
  s.reserve(kEvents * 110);
  if (!perf) s += "# tracer: nop\n#\n";
  for (int i = 0; i < kEvents; ++i) {
    const unsigned long long ts = 1'000'000'000'000ull + static_cast<unsigned long long>(i) * 7'919;
    const unsigned long long secs = ts / 1'000'000'000, us = ts % 1'000'000'000 / 1000;
    const unsigned long long sector = (static_cast<unsigned long long>(i) * 2654435761ull) % (1ull << 31) * 8;
    const char* task = perf ? "             fio  1234" : "             fio-1234   ";
    const char* idle = perf ? "         swapper     0" : "          <idle>-0     ";
    const char* sys = perf ? "block:" : "";
    const char* irq = perf ? "irq:" : "";
    switch (i % 4) {
      case 0:
        s += fmt::format("{} [000] {}.{:06}: {}block_rq_issue: 254,0 RS 4096 () {} + 8 be,0,4 [fio]\n", task, secs, us,
                         sys, sector);
        break;
      case 1:
        s += fmt::format("{} [001] {}.{:06}: {}irq_handler_entry: irq=36 name=virtio1-req.0\n", idle, secs, us, irq);
        break;
      case 2:
        s += fmt::format("{} [001] {}.{:06}: {}irq_handler_exit: irq=36 ret=handled\n", idle, secs, us, irq);
        break;
      default:
        s += fmt::format("{} [001] {}.{:06}: {}block_rq_complete: 254,0 RS () {} + 8 be,0,4 [0]\n", idle, secs, us,
                         sys, sector);
    }
  }
  return s;
}

std::size_t read_everything(std::span<const char> bytes, Format format) {
  auto r = open_trace(memory_input(bytes, "bench"), format);
  if (!r) throw std::runtime_error(r.message());
  Record rec;
  std::size_t n = 0;
  for (;;) {
    auto more = (*r)->next(rec);
    if (!more) throw std::runtime_error(more.message());
    if (!*more) break;
    benchmark::DoNotOptimize(rec);
    ++n;
  }
  return n;
}

void run(benchmark::State& state, const std::string& bytes, Format format) {
  std::size_t records = 0;
  for (auto _ : state) records += read_everything(std::span<const char>(bytes), format);
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes.size()) * state.iterations());
}

void BM_FtraceText(benchmark::State& state) {
  static const std::string text = make_text(false);
  run(state, text, Format::ftrace_text);
}
BENCHMARK(BM_FtraceText)->Unit(benchmark::kMillisecond);

void BM_PerfScript(benchmark::State& state) {
  static const std::string text = make_text(true);
  run(state, text, Format::perf_script);
}
BENCHMARK(BM_PerfScript)->Unit(benchmark::kMillisecond);

std::string make_native() {
  static const std::string text = make_text(false);
  std::vector<std::uint8_t> out;
  auto reader = open_trace(memory_input(std::span<const char>(text), "bench"), Format::ftrace_text);
  auto writer = NativeWriter::to_memory(out);
  if (!reader || !copy_to_native(**reader, *writer)) throw std::runtime_error("cannot encode");
  return std::string(out.begin(), out.end());
}

void BM_Native(benchmark::State& state) {
  static const std::string native = make_native();
  run(state, native, Format::native);
  state.counters["bytes_per_record"] = static_cast<double>(native.size()) / kEvents;
}
BENCHMARK(BM_Native)->Unit(benchmark::kMillisecond);

void BM_NativeWrite(benchmark::State& state) {
  static const std::string text = make_text(false);
  auto reader = open_trace(memory_input(std::span<const char>(text), "bench"), Format::ftrace_text);
  auto trace = read_all(**reader);
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    auto w = NativeWriter::to_memory(out);
    for (const auto& s : trace->catalog.sources) (void)w->define_source(s);
    for (const auto& d : trace->catalog.devices) (void)w->define_device(d);
    for (const auto& r : trace->records) (void)w->write(r);
    (void)w->finish();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(trace->records.size()) * state.iterations());
}
BENCHMARK(BM_NativeWrite)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace irqshape::trace
