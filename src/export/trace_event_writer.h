// Chrome trace-event JSON, the format Perfetto UI (ui.perfetto.dev) and chrome://tracing
// open. One writer streams one JSON object {"traceEvents": [...]} to an ostream, event by
// event, so a long run never holds its trace in memory.
//
// What a track is, in this format:
//   - a *process* (pid) groups tracks; name it with process_name() ("ISU", "vCPU 0");
//   - a *thread* (pid, tid) is a track of slices and instants: complete() spans
//     (a handler running, a batch held) and instant() marks (an interrupt arriving);
//   - a *counter track* is (pid, counter name): counter() samples, drawn as a step graph.
//     Each series of a counter() call becomes its own line on that track.
// Times are nanoseconds here; the format wants microseconds, written with fractions so
// nothing is rounded away.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace irqshape::exporter {

class TraceEventWriter {
 public:
  enum class Scope : char { thread = 't', process = 'p', global = 'g' };

  explicit TraceEventWriter(std::ostream& out);
  ~TraceEventWriter();  // finish()es the document if the caller did not
  TraceEventWriter(const TraceEventWriter&) = delete;
  TraceEventWriter& operator=(const TraceEventWriter&) = delete;

  // Metadata: names and ordering of processes and threads in the UI.
  void process_name(std::uint32_t pid, std::string_view name);
  void process_sort_index(std::uint32_t pid, int index);
  void thread_name(std::uint32_t pid, std::uint32_t tid, std::string_view name);
  void thread_sort_index(std::uint32_t pid, std::uint32_t tid, int index);

  // A counter track sample: one series named "value".
  void counter(std::uint32_t pid, std::string_view track, std::uint64_t ts_ns, double value);
  // A counter track sample with several series (each drawn as its own line).
  void counter(std::uint32_t pid, std::string_view track, std::uint64_t ts_ns,
               std::initializer_list<std::pair<std::string_view, double>> series);

  // A point in time on a thread track (or spanning the process / the whole trace).
  void instant(std::uint32_t pid, std::uint32_t tid, std::string_view name, std::uint64_t ts_ns,
               const nlohmann::json& args = nullptr, Scope scope = Scope::thread);
  // A span [ts, ts + dur) on a thread track.
  void complete(std::uint32_t pid, std::uint32_t tid, std::string_view name, std::uint64_t ts_ns,
                std::uint64_t dur_ns, const nlohmann::json& args = nullptr, std::string_view category = {});

  // Any other event, written as given (must be an object with at least "ph").
  void raw(const nlohmann::json& event);

  // Closes the JSON document. Further events are ignored.
  void finish();
  [[nodiscard]] std::uint64_t events() const { return events_; }

 private:
  void emit(const nlohmann::json& event);
  static double micros(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

  std::ostream& out_;
  std::uint64_t events_ = 0;
  bool finished_ = false;
};

}  // namespace irqshape::exporter
