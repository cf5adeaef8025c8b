// What the commands that read a trace (trace-info, replay, learn, isd-telemetry) say about
// a trace whose ring buffer lost events (a capture with too small a --buffer-kb): the
// kernel records a marker where it dropped events, and a replay or what is learned from
// such a trace is missing them.
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace irqshape::cli {

// Empty when nothing was lost. `markers`: lost-event records; `events`: the events they
// count (the kernel does not always say how many).
inline std::string lost_events_warning(std::uint64_t markers, std::uint64_t events) {
  if (markers == 0) return {};
  return fmt::format("WARNING: the ring buffer lost events {} times ({} events counted; the rest were not counted)",
                     markers, events);
}

}  // namespace irqshape::cli
