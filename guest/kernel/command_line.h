// The kernel command line (QEMU -append), from hvm_start_info.cmdline_paddr. One option
// is understood: "irqshape.fault=ud" makes the last CPU execute UD2 after boot, so the
// test suite can check that an exception on any CPU is reported and fails the run.
#pragma once

namespace guest {

// Reads the command line the PVH loader passed (call once, early).
void read_command_line();
[[nodiscard]] const char* command_line();
// Whether `option` appears as a whole space-separated word.
[[nodiscard]] bool command_line_has(const char* option);

}  // namespace guest
