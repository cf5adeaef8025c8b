// --perfetto: Chrome trace-event JSON (opens in ui.perfetto.dev and chrome://tracing).
//
// Layout (docs/sim-output.md): a process per policy run; in it a track per vCPU (ISR
// executions as spans, nested when a higher class preempted; exits as instants; halted
// periods as spans) and a track per source (each delivered interrupt as an instant; the
// coalescing window - from the first event it carries to its delivery - as a span);
// counter tracks per source: interrupt rate and, for request sources, requests
// outstanding. Only what TraceRecorder kept (a window of simulated time, an event cap)
// is written, and the file says so.
//
// TraceEventWriter below has the method set of the project's generic writer
// (exporter::TraceEventWriter, branch isd, src/export); when that lands on main this
// file switches to it and the class here goes.
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sim/runner.h"
#include "sim/scenario.h"

namespace irqshape::sim {

class TraceEventWriter {
 public:
  explicit TraceEventWriter(std::ostream& out);
  ~TraceEventWriter();
  TraceEventWriter(const TraceEventWriter&) = delete;
  TraceEventWriter& operator=(const TraceEventWriter&) = delete;

  void process_name(std::uint32_t pid, std::string_view name);
  void process_sort_index(std::uint32_t pid, int index);
  void thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name);
  void thread_sort_index(std::uint32_t pid, std::uint32_t tid, int index);
  void counter(std::uint32_t pid, std::string_view track, std::uint64_t ts_ns, double value);
  void instant(std::uint32_t pid, std::uint32_t tid, std::string_view name, std::uint64_t ts_ns,
               const nlohmann::json& args = nullptr);
  void complete(std::uint32_t pid, std::uint32_t tid, std::string_view name, std::uint64_t ts_ns, std::uint64_t dur_ns,
                const nlohmann::json& args = nullptr, std::string_view category = {});
  void finish();
  [[nodiscard]] std::uint64_t events() const { return events_; }

 private:
  void emit(const nlohmann::json& event);
  std::ostream& out_;
  std::uint64_t events_ = 0;
  bool finished_ = false;
};

// Writes every run of `c` that has a trace (CompareOptions::trace).
void write_perfetto(std::ostream& out, const Scenario& sc, const Comparison& c);

}  // namespace irqshape::sim
