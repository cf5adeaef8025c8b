// Writes trace-cmd .dat files, version 6 (man 5 trace-cmd.dat.v6), from raw ring-buffer
// pages as trace_pipe_raw hands them out. Capture uses it so that its .dat output is
// what `trace-cmd report`, KernelShark and libtracecmd read, without needing the
// trace-cmd binary (`trace-cmd record` is refused in some sandboxes).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace irqshape::trace {

struct DatContents {
  bool big_endian = false;
  std::uint8_t long_size = 8;
  std::uint32_t page_size = 4096;
  std::string header_page;   // events/header_page
  std::string header_event;  // events/header_event
  // (system, format texts of its events) for every event the pages may hold.
  std::vector<std::pair<std::string, std::vector<std::string>>> systems;
  std::string saved_cmdlines;  // pid -> comm, for trace-cmd report's task names
  std::string trace_clock;     // the instance's trace_clock file ("[local] global ...")
  std::string uname;
  std::vector<std::string> cpu_stats;  // per_cpu/cpuN/stats, one per CPU
  // Per CPU (index = CPU number): a file holding whole pages, read from its start.
  std::vector<std::string> cpu_page_files;
};

// Writes `path` through OutputFile (output_file.h): "<path>.partial" and a rename, a
// symbolic link followed, a device or FIFO written in place.
Status write_dat(const DatContents& contents, const std::string& path);

}  // namespace irqshape::trace
