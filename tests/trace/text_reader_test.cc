#include "trace/text_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace irqshape::trace {
namespace {

using testing::error_of;
using testing::read_string;

// The raw /sys/kernel/tracing/trace format, as this machine printed it.
const char* kFtraceTrace = R"(# tracer: nop
#
# entries-in-buffer/entries-written: 8/8   #P:2
#
#                                _-----=> irqs-off/BH-disabled
#                               / _----=> need-resched
#                              | / _---=> hardirq/softirq
#                              || / _--=> preempt-depth
#                              ||| / _-=> migrate-disable
#                              |||| /     delay
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
              dd-4621    [000] .....   669.817326: block_rq_issue: 254,0 RA 16384 () 12654392 + 32 be,0,4 [bash]
          <idle>-0       [001] d.h1.   669.818029: irq_handler_entry: irq=36 name=virtio1-req.0
          <idle>-0       [001] d.h1.   669.818037: irq_handler_exit: irq=36 ret=handled
          <idle>-0       [001] ..s1.   669.818042: block_rq_complete: 254,0 RA () 12654392 + 32 be,0,4 [0]
 kworker/u4:2-events_unbound-77 [000] d.h1.   669.900000: irq_handler_entry: irq=42 name=virtio3-tx
 kworker/u4:2-events_unbound-77 [000] dNh1.   669.900008: irq_handler_exit: irq=42 ret=unhandled
          <idle>-0       [001] ..s1.   669.950000: napi_poll: napi poll on napi struct 00000000c39e0a62 for device eth0 work 3 budget 64
          <idle>-0       [001] ..s1.   669.950100: sched_switch: prev_comm=swapper/1 prev_pid=0
)";

TEST(FtraceText, ReadsTheKernelTraceFile) {
  auto t = read_string(kFtraceTrace);
  EXPECT_EQ(t.meta.format, Format::ftrace_text);
  ASSERT_EQ(t.records.size(), 7u);
  EXPECT_EQ(t.skipped_events, 1u);

  const Record& issue = t.records[0];
  EXPECT_EQ(issue.type, RecordType::block_issue);
  EXPECT_EQ(issue.ts, 669'817'326'000u);
  EXPECT_EQ(issue.cpu, 0);
  EXPECT_EQ(issue.sector, 12654392u);
  EXPECT_EQ(issue.nr_sectors, 32u);
  EXPECT_EQ(issue.bytes, 16384u);
  EXPECT_TRUE(issue.flags.is_read());
  EXPECT_TRUE(issue.flags.has(BlockFlags::kReadahead));
  EXPECT_EQ(t.catalog.devices.at(issue.id).name, "254,0");
  EXPECT_EQ(t.catalog.devices.at(issue.id).major, 254u);

  const Record& entry = t.records[1];
  EXPECT_EQ(entry.type, RecordType::irq_entry);
  EXPECT_EQ(entry.cpu, 1);
  EXPECT_EQ(t.catalog.sources.at(entry.id), (Source{36, "virtio1-req.0", SourceKind::block}));
  EXPECT_EQ(t.records[2].type, RecordType::irq_exit);
  EXPECT_EQ(t.records[2].id, entry.id);
  EXPECT_TRUE(t.records[2].handled);

  const Record& done = t.records[3];
  EXPECT_EQ(done.type, RecordType::block_complete);
  EXPECT_EQ(done.bytes, 32u * 512);
  EXPECT_EQ(done.error, 0);

  // A task name with dashes and a slash.
  EXPECT_EQ(t.catalog.sources.at(t.records[4].id).name, "virtio3-tx");
  EXPECT_FALSE(t.records[5].handled);

  const Record& napi = t.records[6];
  EXPECT_EQ(napi.type, RecordType::napi_poll);
  EXPECT_EQ(napi.work, 3);
  EXPECT_EQ(napi.budget, 64);
  EXPECT_EQ(t.catalog.devices.at(napi.id), (Device{DeviceKind::net, 0, 0, "eth0"}));
}

TEST(FtraceText, ReadsTraceCmdReport) {
  const char* report = R"(cpus=2
              dd-4621  [000]   669.817326088: block_rq_issue:       254,0 RA 16384 () 12654392 + 32 0x2,0,4 [bash]
          <idle>-0     [001]   669.818029053: irq_handler_entry:    irq=36 name=virtio1-req.0
          <idle>-0     [001]   669.818036788: irq_handler_exit:     irq=36 ret=handled
          <idle>-0     [001]   669.818041678: block_rq_complete:    254,0 RA () 12654392 + 32 0x2,0,4 [0]
CPU:1 [12 EVENTS DROPPED]
          <idle>-0     [001]   669.918041678: block_rq_requeue:     254,0 WS () 77 + 8 0x2,0,4 [0]
)";
  auto t = read_string(report);
  EXPECT_EQ(t.meta.format, Format::ftrace_text);
  ASSERT_EQ(t.records.size(), 6u);
  EXPECT_EQ(t.records[1].ts, 669'818'029'053u);
  EXPECT_EQ(t.records[4].type, RecordType::lost_events);
  EXPECT_EQ(t.records[4].cpu, 1);
  EXPECT_EQ(t.records[4].lost, 12u);
  EXPECT_EQ(t.records[4].ts, 669'918'041'678u);  // the time of its CPU's next event
  EXPECT_EQ(t.records[5].type, RecordType::block_requeue);
  EXPECT_EQ(t.records[5].sector, 77u);
}

// `trace-cmd report -l` (its latency layout) of the same events as a plain report: the
// CPU number before the flags column instead of "[cpu]", comm cut to 8 characters, the
// trace clock's times. Lines from trace-cmd 3.1.6 on a real capture.
TEST(FtraceText, ReadsTraceCmdReportLatencyLayout) {
  const char* plain = R"(cpus=2
walkext:               dd-17846 [001] 74711.858385078: block_rq_issue:       254,0 WS 4096 () 350645944 + 8 0x2,0,4 [dd]
walkext:          cc1plus-17609 [001] 74711.858598406: irq_handler_entry:    irq=36 name=virtio1-req.0
walkext:          cc1plus-17609 [001] 74711.858604511: irq_handler_exit:     irq=36 ret=handled
walkext:          cc1plus-17609 [001] 74711.858606012: block_rq_complete:    254,0 WS () 350645944 + 8 0x2,0,4 [0]
walkext:   kworker/u4:2-e-77    [000] 74711.858700000: napi_poll:            napi poll on napi struct 0 for device eth0 work 2 budget 64
)";
  const char* latency = R"(cpus=2
walkext:       dd-17846   1.N... 74711.858385078: block_rq_issue:       254,0 WS 4096 () 350645944 + 8 0x2,0,4 [dd]
walkext:  cc1plus-17609   1d.h.. 74711.858598406: irq_handler_entry:    irq=36 name=virtio1-req.0
walkext:  cc1plus-17609   1d.h1. 74711.858604511: irq_handler_exit:     irq=36 ret=handled
walkext:  cc1plus-17609   1..s.. 74711.858606012: block_rq_complete:    254,0 WS () 350645944 + 8 0x2,0,4 [0]
walkext: kworker/-77      0..s2. 74711.858700000: napi_poll:            napi poll on napi struct 0 for device eth0 work 2 budget 64
)";
  auto want = read_string(plain);
  ASSERT_EQ(want.records.size(), 5u);
  auto t = read_string(latency);
  EXPECT_EQ(t.meta.format, Format::ftrace_text);
  EXPECT_EQ(t.records, want.records);
  EXPECT_EQ(t.catalog, want.catalog);
  EXPECT_EQ(t.records[4].cpu, 0);
  // Three-digit CPUs fill the column ("%3d"); a task name may hold "-<digits> ".
  auto wide = read_string("  a-1 b-22    117d.h.. 5.000001: irq_handler_entry: irq=1 name=q\n");
  ASSERT_EQ(wide.records.size(), 1u);
  EXPECT_EQ(wide.records[0].cpu, 117);
}

// The kernel's own latency-format (options/latency-format) counts microseconds from the
// buffer's last reset, not the trace clock: refused, saying so, with its header or without
// (trace_pipe). Lines as this kernel (6.18) printed them.
TEST(FtraceText, RefusesTheKernelsLatencyFormat) {
  const std::string header = R"(# tracer: nop
#
# nop latency trace v1.1.5 on 6.18.44-fc-v1272
# --------------------------------------------------------------------
)";
  const std::string lines = "    bash-24420     1d.h.. 18344us*: irq_handler_entry: irq=36 name=virtio1-req.0\n"
                            " cc1plus-24414     1d.h.. 28396us : irq_handler_entry: irq=36 name=virtio1-req.0\n";
  const std::string why(kKernelLatencyFormat);
  EXPECT_EQ(error_of(header + lines, "t.txt"), "t.txt: line 3: " + why);
  EXPECT_EQ(error_of(header + lines, "t.txt", Format::ftrace_text), "t.txt: line 3: " + why);
  EXPECT_EQ(error_of(lines, "t.txt"), "t.txt: line 1: " + why);
  EXPECT_EQ(error_of(lines.substr(lines.find('\n') + 1), "t.txt"), "t.txt: line 1: " + why);
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.0: irq_handler_entry: irq=1 name=a\n" + lines, "t.txt"),
            "t.txt: line 2: " + why);
  EXPECT_NE(why.find("echo 0 > /sys/kernel/tracing/options/latency-format"), std::string::npos);
}

TEST(FtraceText, OlderKernelsWithoutIoPriority) {
  auto t = read_string(
      "  fio-1 [003] 10.000001: block_rq_issue: 8,16 WS 4096 () 2048 + 8 [fio]\n"
      "  <idle>-0 [003] 10.000101: block_rq_complete: 8,16 WS () 2048 + 8 [-5]\n"
      "CPU:3 [LOST 2930 EVENTS]\n");
  ASSERT_EQ(t.records.size(), 3u);
  EXPECT_EQ(t.catalog.devices.at(t.records[0].id).name, "8,16");
  EXPECT_EQ(t.records[1].error, -5);
  EXPECT_EQ(t.records[2].lost, 2930u);
  EXPECT_EQ(t.records[2].ts, t.records[1].ts);  // the last line: it keeps the time before it
}

// The kernel (and trace-cmd report) print a marker right before the first event its CPU
// recorded after the loss. The marker takes the time of its CPU's next record the model
// keeps (trace/lost_markers.h), and comes right before it; with none, the latest time.
TEST(FtraceText, LostMarkersTakeTheTimeOfTheirCpusNextRecord) {
  auto t = read_string(
      "  <idle>-0 [000] 1.000000: irq_handler_entry: irq=11 name=eth1\n"
      "CPU:1 [LOST 3 EVENTS]\n"
      "  <idle>-0 [001] 1.000500: sched_switch: prev_comm=a prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=b next_pid=2 next_prio=120\n"
      "CPU:0 [LOST 4 EVENTS]\n"
      "  <idle>-0 [001] 1.000700: irq_handler_entry: irq=12 name=eth2\n"
      "CPU:1 [LOST 5 EVENTS]\n"
      "CPU:1 [LOST 6 EVENTS]\n"
      "  <idle>-0 [001] 1.000900: irq_handler_exit: irq=12 ret=handled\n");
  ASSERT_EQ(t.records.size(), 7u);
  const auto lost = [&](std::size_t i, std::uint64_t count, Nanos ts) {
    EXPECT_EQ(t.records[i].type, RecordType::lost_events) << i;
    EXPECT_EQ(t.records[i].lost, count) << i;
    EXPECT_EQ(t.records[i].ts, ts) << i;
  };
  EXPECT_EQ(t.records[0].type, RecordType::irq_entry);
  lost(1, 3, 1'000'700'000);  // past the skipped sched_switch, to CPU 1's next record
  EXPECT_EQ(t.records[2].type, RecordType::irq_entry);
  lost(3, 5, 1'000'900'000);  // two markers in a row: both before the same record
  lost(4, 6, 1'000'900'000);
  EXPECT_EQ(t.records[5].type, RecordType::irq_exit);
  lost(6, 4, 1'000'900'000);  // CPU 0 has no record after it: the end, the latest time
  EXPECT_EQ(t.skipped_events, 1u);
}

// Markers of a CPU that records nothing more wait at most LostMarkers::kMaxWaiting at a
// time; past that the oldest come out with the latest time. None is lost, and the
// records stay in time order.
TEST(FtraceText, ManyWaitingMarkersComeOutInOrder) {
  std::string text;
  for (int i = 0; i < 1500; ++i) {
    text += "CPU:1 [LOST 1 EVENTS]\n";
    text += fmt::format("  <idle>-0 [000] {}.000000: irq_handler_entry: irq=11 name=eth1\n", i + 1);
  }
  auto t = read_string(text);
  ASSERT_EQ(t.records.size(), 3000u);
  std::size_t markers = 0;
  for (std::size_t i = 0; i < t.records.size(); ++i) {
    markers += t.records[i].type == RecordType::lost_events;
    if (i > 0) {
      EXPECT_GE(t.records[i].ts, t.records[i - 1].ts) << i;
    }
  }
  EXPECT_EQ(markers, 1500u);
  EXPECT_EQ(t.records.back().ts, 1500'000'000'000u);
}

TEST(FtraceText, SharedLinesPairExitsWithTheirAction) {
  auto t = read_string(
      "  <idle>-0 [000] 1.000000: irq_handler_entry: irq=11 name=uhci_hcd\n"
      "  <idle>-0 [000] 1.000001: irq_handler_exit: irq=11 ret=unhandled\n"
      "  <idle>-0 [000] 1.000002: irq_handler_entry: irq=11 name=eth1\n"
      "  <idle>-0 [000] 1.000003: irq_handler_exit: irq=11 ret=handled\n"
      "  <idle>-0 [001] 1.000004: irq_handler_exit: irq=11 ret=handled\n"
      "  <idle>-0 [001] 1.000005: irq_handler_exit: irq=99 ret=handled\n");
  ASSERT_EQ(t.records.size(), 6u);
  EXPECT_EQ(t.records[1].id, t.records[0].id);
  EXPECT_EQ(t.records[3].id, t.records[2].id);
  EXPECT_NE(t.records[0].id, t.records[2].id);
  EXPECT_EQ(t.records[4].id, t.records[2].id);  // no entry on cpu1: the irq's last source
  EXPECT_EQ(t.catalog.sources.at(t.records[5].id), (Source{99, "", SourceKind::other}));
}

TEST(FtraceText, NamesWithSpaces) {
  auto t = read_string("  <idle>-0 [000] 1.5: irq_handler_entry: irq=24 name=PCIe PME\n");
  ASSERT_EQ(t.records.size(), 1u);
  EXPECT_EQ(t.catalog.sources.at(0).name, "PCIe PME");
  EXPECT_EQ(t.records[0].ts, 1'500'000'000u);
}

TEST(PerfScript, ReadsTracepointSamples) {
  const char* perf = R"(       perf-exec  9713 [000]  1222.522808:    block:block_rq_issue: 254,0 RM 4096 () 20377144 + 8 0x2,0,4 [perf-exec]
         swapper     0 [000]  1223.255982:   irq:irq_handler_entry: irq=41 name=virtio3-rx
         swapper     0 [000]  1223.255996:    irq:irq_handler_exit: irq=41 ret=handled
 kworker/1:1H-kb    44 [001]  1223.349812:    block:block_rq_issue: 254,0 DS 12288 () 169896560 + 24 0x2,0,4 [kworker/1:1H]
         python3  9722/9722 [001]  1223.350139: block:block_rq_complete: 254,0 DS () 169896560 + 24 0x2,0,4 [0]
         swapper     0 [001]  1223.360000:          1 napi:napi_poll: napi poll on napi struct 0xffff888004a1c000 for device eth0 work 0 budget 64
         swapper     0 [001]  1223.370000: sched:sched_switch: prev_comm=swapper/1
	ffffffff81000000 do_idle+0x10 ([kernel.kallsyms])

)";
  auto t = read_string(perf);
  EXPECT_EQ(t.meta.format, Format::perf_script);
  ASSERT_EQ(t.records.size(), 6u);
  EXPECT_EQ(t.skipped_events, 1u);
  EXPECT_EQ(t.records[0].flags.has(BlockFlags::kMeta), true);
  EXPECT_EQ(t.records[1].ts, 1223'255'982'000u);
  EXPECT_TRUE(t.records[3].flags.has(BlockFlags::kDiscard));
  EXPECT_EQ(t.records[4].type, RecordType::block_complete);
  EXPECT_EQ(t.records[5].type, RecordType::napi_poll);
}

// perf script -F cpu,time,event,trace: no task, the line opens with the [cpu] field.
TEST(PerfScript, ReadsLinesThatOpenWithTheCpuField) {
  const char* perf = R"([000] 74725.260094:    block:block_rq_issue: 254,0 DS 3899392 () 351485952 + 7616 0x2,0,4 [kworker/0:1H]
[001] 74725.261973:   irq:irq_handler_entry: irq=36 name=virtio1-req.0
[001] 74725.261978:    irq:irq_handler_exit: irq=36 ret=handled
)";
  auto t = read_string(perf);
  EXPECT_EQ(t.meta.format, Format::perf_script);
  ASSERT_EQ(t.records.size(), 3u);
  EXPECT_EQ(t.records[0].cpu, 0);
  EXPECT_EQ(t.records[1].cpu, 1);
  EXPECT_EQ(t.records[1].ts, 74725'261'973'000u);
}

TEST(TextTimestamp, Parses) {
  Nanos ns = 0;
  EXPECT_TRUE(parse_text_timestamp("669.817326", ns));
  EXPECT_EQ(ns, 669'817'326'000u);
  EXPECT_TRUE(parse_text_timestamp("0.000000001", ns));
  EXPECT_EQ(ns, 1u);
  EXPECT_TRUE(parse_text_timestamp("123456", ns));  // counter clock: raw units
  EXPECT_EQ(ns, 123456u);
  EXPECT_TRUE(parse_text_timestamp("18446744072.000000000", ns));
  EXPECT_TRUE(parse_text_timestamp("18446744073.709551615", ns));  // 2^64 - 1 ns, the end of the clock
  EXPECT_EQ(ns, ~std::uint64_t{0});
  for (const char* bad : {"", ".5", "1.", "1.0000000001", "1e3", "-1.0", "18446744074.0", "18446744073.709551616",
                          "1.2.3", "a.b"}) {
    EXPECT_FALSE(parse_text_timestamp(bad, ns)) << bad;
  }
}

TEST(TextErrors, NameTheFileAndLine) {
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.0: irq_handler_entry: irq=1 name=a\n  <idle>-0 [000] 1.1: irq_handler_entry: irq=x\n",
                     "t.txt"),
            "t.txt: line 2: irq_handler_entry: expected 'irq=<number> name=<name>'");
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.0: irq_handler_entry: irq=1 name=a\nhello world\n", "t.txt"),
            "t.txt: line 2: no '[cpu]' field");
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.0: block_rq_issue: 8,0 QQ 4096 () 0 + 8 [x]\n", "t.txt"),
            "t.txt: line 1: block_rq_issue: bad rwbs flags");
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.0: irq_handler_entry: irq=1 name=a\n  <idle>-0 [000] 1.x: irq_handler_exit: irq=1 ret=handled\n",
                     "t.txt"),
            "t.txt: line 2: bad timestamp");
  EXPECT_EQ(error_of("  <idle>-0 [99999] 1.0: irq_handler_entry: irq=1 name=a\n", "t.txt"),
            "t.txt: line 1: irq_handler_entry: cpu 99999 out of range (at most 8192 CPUs)");
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.0: irq_handler_exit: irq=1 ret=maybe\n", "t.txt"),
            "t.txt: line 1: irq_handler_exit: expected 'ret=handled' or 'ret=unhandled'");
}

// Each CPU's events come in time order; a step back is an error naming the line and the
// CPU, in both dialects. (Accepted, an entry at 2.0 and its exit at 1.0 made a 0 ns handler.)
TEST(TextErrors, TimeGoingBackwardsOnACpuIsAnError) {
  EXPECT_EQ(error_of("  <idle>-0 [000] 2.0: irq_handler_entry: irq=1 name=a\n"
                     "  <idle>-0 [000] 1.0: irq_handler_exit: irq=1 ret=handled\n",
                     "t.txt"),
            "t.txt: line 2: time goes backwards on CPU 0: 1.000000 after 2.000000");
  EXPECT_EQ(error_of(" swapper 0 [000] 2.0: irq:irq_handler_entry: irq=1 name=a\n"
                     " swapper 0 [000] 1.0: irq:irq_handler_exit: irq=1 ret=handled\n",
                     "p.txt"),
            "p.txt: line 2: time goes backwards on CPU 0: 1.000000 after 2.000000");
  // Nanosecond steps are shown to the nanosecond; events of other kinds count too.
  EXPECT_EQ(error_of("# tracer: nop\n"
                     "  <idle>-0 [003] 1.000000002: sched_switch: prev_comm=swapper/3\n"
                     "  <idle>-0 [003] 1.000000001: irq_handler_entry: irq=1 name=a\n",
                     "t.txt"),
            "t.txt: line 3: time goes backwards on CPU 3: 1.000000001 after 1.000000002");
}

// Time order is across CPUs: the kernel merges its per-CPU buffers by time and perf
// script sorts its samples, so a CPU behind another is a spliced file (per-CPU files put
// one after another), which would give wrong statistics: an error. Equal times are fine.
TEST(TextReader, TimeOrderIsAcrossCpus) {
  auto t = read_string("  <idle>-0 [000] 1.5: irq_handler_entry: irq=1 name=a\n"
                       "  <idle>-0 [001] 1.5: irq_handler_entry: irq=2 name=b\n"
                       "  <idle>-0 [000] 2.0: irq_handler_exit: irq=1 ret=handled\n");
  ASSERT_EQ(t.records.size(), 3u);
  EXPECT_EQ(error_of("  <idle>-0 [000] 2.0: irq_handler_entry: irq=1 name=a\n"
                     "  <idle>-0 [001] 1.5: irq_handler_entry: irq=2 name=b\n",
                     "t.txt"),
            "t.txt: line 2: time goes backwards on CPU 1: 1.500000 after 2.000000");
}

// A last line without its newline is a file cut off inside that line: it could still
// parse as another record (a name cut short is another source).
TEST(TextErrors, ALastLineWithoutANewlineIsCutOff) {
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.0: irq_handler_entry: irq=36 name=virtio1-req.0\n"
                     "  <idle>-0 [000] 1.1: irq_handler_entry: irq=36 name=virtio1-r",
                     "t.txt"),
            "t.txt: line 2: cut off: the file ends inside this line (no newline after it; add one if the line is whole)");
  auto t = read_string("  <idle>-0 [000] 1.0: irq_handler_entry: irq=36 name=virtio1-req.0\n# end");  // a comment may
  EXPECT_EQ(t.records.size(), 1u);
}

// perf script: per-sample detail (call chains in their -F forms, srclines) is skipped
// under a sample; an indented sample line that fails to parse is an error, also when its
// task name is made of hex digits.
TEST(PerfScript, OnlySampleDetailIsSkipped) {
  const std::string first = "              dd 23354 [001]  2983.998100: irq:irq_handler_entry: irq=36 name=virtio1-req.0\n";
  auto t = read_string(first + "\tffffffff81000000 do_idle+0x10 ([kernel.kallsyms])\n" +
                       "\t               0 [unknown] ([unknown])\n" + "\tffffffff8100f4b1 native_write_msr+0x1\n" +
                       "\tffffffff8100f4b1\n" + "  fs/block.c:123\n" + "\t    7f1c2a3b4c5d foo (/x (deleted))\n");
  EXPECT_EQ(t.records.size(), 1u);
  EXPECT_EQ(t.skipped_events, 0u);
  EXPECT_EQ(error_of(first + "              dd 23354 [001]  2983.998\n", "p.txt"),
            "p.txt: line 2: expected '<timestamp>:' after the [cpu] field");
  EXPECT_EQ(error_of(first + "             fio 23354 [001]  2983.99x: irq:irq_handler_exit: irq=36 ret=handled\n", "p.txt"),
            "p.txt: line 2: bad timestamp");
}

// A timestamp too large for 64-bit nanoseconds is a bad timestamp on every line; on the
// first, which decides the format, it used to make the file "not a recognized trace format".
TEST(TextErrors, AnOverflowingTimestampIsABadTimestampOnTheFirstLineToo) {
  const std::string entry = ": irq_handler_entry: irq=1 name=a\n";
  EXPECT_EQ(error_of("  <idle>-0 [000] 99999999999999999999.000000" + entry, "t.txt"), "t.txt: line 1: bad timestamp");
  EXPECT_EQ(error_of("  <idle>-0 [000] 18446744074.000000" + entry, "t.txt"), "t.txt: line 1: bad timestamp");
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.0000000001" + entry, "t.txt"), "t.txt: line 1: bad timestamp");
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.0" + entry + "  <idle>-0 [000] 99999999999999999999.000000" + entry, "t.txt"),
            "t.txt: line 2: bad timestamp");
  EXPECT_EQ(error_of(" swapper 0 [000] 99999999999999999999.000000: irq:irq_handler_entry: irq=1 name=a\n", "p.txt"),
            "p.txt: line 1: bad timestamp");
  // Not a timestamp's shape at all: still not a trace.
  EXPECT_EQ(error_of("  <idle>-0 [000] 1.x" + entry, "t.txt"),
            "t.txt: line 1: not a recognized trace format (expected an ftrace or perf script event line, an irqshape "
            "native trace or a trace-cmd .dat file)");
}

TEST(TextErrors, RejectsOverlongLinesAndNulBytes) {
  std::string text = "  <idle>-0 [000] 1.0: irq_handler_entry: irq=1 name=a\n  <idle>-0 [000] 1.1: irq_handler_entry: irq=1 name=";
  text.append(100'000, 'x');
  text += "\n";
  EXPECT_EQ(error_of(text, "big.txt"), "big.txt: line 2: line longer than 65536 bytes");
  std::string with_nul = "  <idle>-0 [000] 1.0: irq_handler_entry: irq=1 name=a\nxx";
  with_nul.push_back('\0');
  with_nul += "yy [000] 1.0: a: b\n";
  EXPECT_EQ(error_of(with_nul, "nul.txt", Format::ftrace_text), "nul.txt: line 2: NUL byte in text (is this a binary file?)");
}

TEST(TextErrors, LongNamesAreErrorsNotTruncations) {
  std::string text = "  <idle>-0 [000] 1.0: irq_handler_entry: irq=1 name=" + std::string(300, 'n') + "\n";
  EXPECT_EQ(error_of(text, "t"), "t: line 1: irq_handler_entry: interrupt name longer than 255 bytes");
}

// perf script printed without its [cpu] field (`-F comm,tid,time,event,trace`, or
// `-F time,event,trace`): named as such, with the field to add, on the first line or
// later, detected or forced.
TEST(PerfScript, WithoutTheCpuFieldSaysWhichFieldToAdd) {
  const std::string why(kPerfScriptWithoutCpu);
  EXPECT_NE(why.find("add cpu to perf script's -F"), std::string::npos);
  const char* no_cpu[] = {
      "         cc1plus 17609 74725.261973:   irq:irq_handler_entry: irq=36 name=virtio1-req.0\n",
      " kworker/0:1H-kb    60 74725.260094:    block:block_rq_issue: 254,0 DS 3899392 () 351485952 + 7616 0x2,0,4 "
      "[kworker/0:1H]\n",
      "74725.261973:   irq:irq_handler_entry: irq=36 name=virtio1-req.0\n",
      "  python3  9722/9722  1223.350139:          1 block:block_rq_complete: 254,0 DS () 169896560 + 24 0x2,0,4 [0]\n"};
  for (const char* line : no_cpu) {
    EXPECT_EQ(error_of(line, "p.txt"), "p.txt: line 1: " + why) << line;
    EXPECT_EQ(error_of(line, "p.txt", Format::perf_script), "p.txt: line 1: " + why) << line;
  }
  EXPECT_EQ(error_of(std::string(" swapper 0 [000] 1.0: irq:irq_handler_entry: irq=1 name=a\n") + no_cpu[0], "p.txt"),
            "p.txt: line 2: " + why);
  // An ftrace line without its CPU is still just that.
  EXPECT_EQ(error_of("  <idle>-0 669.9: irq_handler_exit: irq=36 ret=handled\n", "t.txt"),
            "t.txt: line 1: not a recognized trace format (expected an ftrace or perf script event line, an irqshape "
            "native trace or a trace-cmd .dat file)");
}

TEST(TextReader, ReturnsTheSameErrorAfterAnError) {
  auto r = testing::open_string("  <idle>-0 [000] 1.0: irq_handler_exit: irq=1 ret=what\n", "t");
  ASSERT_TRUE(r);
  Record rec;
  auto first = (*r)->next(rec);
  ASSERT_FALSE(first);
  auto second = (*r)->next(rec);
  ASSERT_FALSE(second);
  EXPECT_EQ(first.message(), second.message());
}

TEST(FormatDetection, RecognizesEachFormat) {
  EXPECT_EQ(*detect_format("# tracer: nop\n#\n", "x"), Format::ftrace_text);
  EXPECT_EQ(*detect_format("cpus=2\n  <idle>-0 [001] 1.0: irq_handler_entry: irq=1 name=a\n", "x"), Format::ftrace_text);
  EXPECT_EQ(*detect_format(" swapper 0 [000] 1.0: irq:irq_handler_entry: irq=1 name=a\n", "x"), Format::perf_script);
  EXPECT_EQ(*detect_format(std::string("\x17\x08\x44tracing6\0", 12), "x"), Format::trace_cmd_dat);
  EXPECT_EQ(*detect_format(std::string("\x89IRQT\r\n\x1a\1\0\0\0", 12), "x"), Format::native);
  EXPECT_EQ(detect_format("", "e").message(), "e: empty file");
  EXPECT_EQ(detect_format("hello\n", "h").message(),
            "h: line 1: not a recognized trace format (expected an ftrace or perf script event line, an irqshape "
            "native trace or a trace-cmd .dat file)");
  EXPECT_EQ(detect_format(std::string("\x7f" "ELF\0\0", 6), "b").message(),
            "b: byte offset 0: not a recognized trace format (binary data that is neither an irqshape native trace "
            "nor a trace-cmd .dat file)");
  EXPECT_EQ(detect_format(std::string("\x17\x08\x44tra", 6), "t").message(), "t: byte offset 6: truncated file header");
}

// perf record's binary perf.data (current "PERFILE2", a big-endian writer's, and the
// "PERFFILE" of old perf) is named, with the perf script command that converts it.
TEST(FormatDetection, NamesPerfDataAndHowToConvertIt) {
  for (const char* magic : {"PERFILE2", "2ELIFREP", "PERFFILE"}) {
    const auto message = detect_format(std::string(magic) + std::string("h\0\0\0\0\0\0\0", 8), "perf.data").message();
    EXPECT_TRUE(message.starts_with("perf.data: perf's binary perf.data format, which irqshape does not read: "))
        << message;
    EXPECT_NE(message.find("`perf script -i perf.data -F comm,tid,cpu,time,event,trace > perf.txt`"),
              std::string::npos)
        << message;
  }
}

}  // namespace
}  // namespace irqshape::trace
