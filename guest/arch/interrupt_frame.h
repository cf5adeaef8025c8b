// What arch/interrupt_stubs.S leaves on the stack for the C++ entry points: the saved
// general registers (last pushed first), the vector and error code the stub pushed, and
// the frame the processor pushed (SDM vol. 3A, figure 6-9, 64-bit mode).
#pragma once

#include <cstdint>

namespace guest {

struct InterruptFrame {
  std::uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  std::uint64_t vector;
  std::uint64_t error_code;  // 0 when the processor pushes none
  std::uint64_t rip, cs, rflags, rsp, ss;
};

}  // namespace guest
