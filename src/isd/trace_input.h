// A trace's interrupts as the driver's learning sees them: the arrival times of every
// source (irq_handler_entry records) and a SourceMap from the trace's source table
// (Linux action names and irq numbers). Trace source i is ISU source id i; sources
// beyond the unit's 256 are left out and counted.
//
// Apart from the driver library (irqshape::isd_trace) so that the driver itself does not
// depend on the trace readers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "isd/miner.h"
#include "trace/model.h"
#include "trace/reader.h"
#include "isd/source_map.h"

namespace irqshape::isd {

struct TraceEvents {
  std::vector<Event> events;  // time order
  SourceMap names;
  std::string description;    // "data/traces/randread-qd1.irqt (native, 16845 interrupts of 3 sources)"
  std::uint64_t records = 0;  // records read, of every type
  std::uint64_t left_out = 0; // interrupts of sources beyond id 255
  trace::LostEvents lost;     // where the ring buffer dropped events
};

Result<TraceEvents> load_trace_events(const std::string& path);
// The same from an open reader; `name` names the input in the description.
Result<TraceEvents> read_trace_events(trace::TraceReader& reader, const std::string& name);

}  // namespace irqshape::isd
