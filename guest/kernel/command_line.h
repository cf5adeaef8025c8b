// The kernel command line (QEMU -append), from hvm_start_info.cmdline_paddr. The options
// understood are the fault injections of kernel/fault_injection.h ("irqshape.fault=...").
#pragma once

namespace guest {

// Reads the command line the PVH loader passed (call once, early).
void read_command_line();
[[nodiscard]] const char* command_line();
// Whether `option` appears as a whole space-separated word.
[[nodiscard]] bool command_line_has(const char* option);

}  // namespace guest
