// QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04): a
// write of value v to its port ends QEMU with exit status (v << 1) | 1, so the harness
// can tell a clean guest exit (status 1) from QEMU dying (0 on a triple fault with
// -no-reboot, or a signal). QEMU source: hw/misc/debugexit.c.
#pragma once

#include <cstdint>

namespace guest::debug_exit {

inline constexpr std::uint16_t kPort = 0xF4;

enum class Code : std::uint32_t {
  Success = 0,        // QEMU exit status 1
  TestsFailed = 1,    // 3
  Panic = 2,          // 5
};

[[noreturn]] void exit(Code code);

}  // namespace guest::debug_exit
