// Reader for trace-cmd .dat files (file format versions 6 and 7, man 5 trace-cmd.dat.v6
// and trace-cmd.dat.v7), uncompressed or zstd-compressed.
//
// Why not libtracecmd: Debian's libtracecmd (3.1.6) crashes on malformed files: in an
// experiment, 9 of 3000 randomly mutated headers of a real .dat made it segfault. A
// reader that must turn any input into a clean error cannot hand untrusted bytes to
// it, so this one parses the file structure, the event formats and the ring-buffer
// pages itself, bounds-checking every length. libtracecmd is the oracle in the tests:
// on real files both must yield the same events.
#pragma once

#include <memory>

#include "base/result.h"
#include "trace/input.h"
#include "trace/reader.h"

namespace irqshape::trace {

// Reads the file's headers and event formats now; the events stream on next().
Result<std::unique_ptr<TraceReader>> make_dat_reader(std::unique_ptr<Input> input);

}  // namespace irqshape::trace
