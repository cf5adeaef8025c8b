// The kernel command line (QEMU -append), from hvm_start_info.cmdline_paddr. The options
// understood are the fault injections of kernel/fault_injection.h ("irqshape.fault=...").
#pragma once

#include <cstdint>

namespace guest {

// Reads the command line the PVH loader passed (call once, early).
void read_command_line();
[[nodiscard]] const char* command_line();
// Whether `option` appears as a whole space-separated word.
[[nodiscard]] bool command_line_has(const char* option);
// For a word "<prefix><number>" (decimal, or hex with 0x): true and the number in `value`.
// False if no word starts with `prefix` or the rest is not a number below 2^32.
[[nodiscard]] bool command_line_number(const char* prefix, std::uint32_t& value);

}  // namespace guest
