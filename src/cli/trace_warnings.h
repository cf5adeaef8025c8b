// What the commands that read a trace (trace-info, replay, learn, isd-telemetry) say about
// a trace whose ring buffer lost events (a capture with too small a --buffer-kb): the
// kernel records a marker where it dropped events, and a replay or what is learned from
// such a trace is missing them.
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "cli/count_text.h"
#include "trace/model.h"

namespace irqshape::cli {

// Empty when nothing was lost.
inline std::string lost_events_warning(const trace::LostEvents& lost) {
  if (lost.markers == 0) return {};
  const std::string where = fmt::format("at {} in the trace", count(lost.markers, "place"));
  if (lost.uncounted_markers == 0) return fmt::format("WARNING: the ring buffer lost {} events {}", lost.events, where);
  if (lost.uncounted_markers == lost.markers)
    return fmt::format("WARNING: the ring buffer lost events {} (how many, the trace does not say)", where);
  return fmt::format("WARNING: the ring buffer lost events {}: {} counted, and an unknown number at {} of them",
                     where, lost.events, lost.uncounted_markers);
}

}  // namespace irqshape::cli
