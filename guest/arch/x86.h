// The x86-64 instructions the guest needs, as inline functions: port I/O, MSRs, CPUID,
// CR8 (the task priority register as a control register, SDM vol. 3A, 10.8.6.1),
// the interrupt flag, PAUSE, HLT and the TSC. Nothing here knows about devices.
#pragma once

#include <cstdint>

namespace guest::x86 {

inline std::uint8_t inb(std::uint16_t port) {
  std::uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void outb(std::uint16_t port, std::uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline void outw(std::uint16_t port, std::uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
inline std::uint32_t inl(std::uint16_t port) {
  std::uint32_t v;
  asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void outl(std::uint16_t port, std::uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

inline std::uint64_t rdmsr(std::uint32_t msr) {
  std::uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}
inline void wrmsr(std::uint32_t msr, std::uint64_t v) {
  asm volatile("wrmsr" : : "c"(msr), "a"(static_cast<std::uint32_t>(v)), "d"(static_cast<std::uint32_t>(v >> 32))
               : "memory");
}

// MFENCE; LFENCE before a WRMSR to an x2APIC register: that WRMSR is not serializing
// (SDM vol. 3A, 11.12.3 "MSR Access in x2APIC Mode"), so without the fence an IPI could
// reach its target before this CPU's earlier stores (the work it was sent about) are
// visible. Linux's weak_wrmsr_fence() before x2APIC ICR writes.
inline void weak_wrmsr_fence() { asm volatile("mfence; lfence" : : : "memory"); }

struct CpuidResult {
  std::uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(std::uint32_t leaf, std::uint32_t subleaf = 0) {
  CpuidResult r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
  return r;
}

// CR8 holds TPR[7:4]: the local APIC delivers only vectors whose class is above it.
inline std::uint8_t read_cr8() {
  std::uint64_t v;
  asm volatile("mov %%cr8, %0" : "=r"(v));
  return static_cast<std::uint8_t>(v);
}
inline void write_cr8(std::uint8_t v) { asm volatile("mov %0, %%cr8" : : "r"(static_cast<std::uint64_t>(v)) : "memory"); }

inline constexpr std::uint64_t kRflagsIf = 1u << 9;  // SDM vol. 1, 3.4.3: interrupt enable flag
inline std::uint64_t read_rflags() {
  std::uint64_t f;
  asm volatile("pushfq; popq %0" : "=r"(f));
  return f;
}
inline void cli() { asm volatile("cli" ::: "memory"); }
inline void sti() { asm volatile("sti" ::: "memory"); }
// STI's one-instruction interrupt shadow makes "sti; hlt" atomic: an interrupt that
// became pending before STI wakes the HLT instead of being taken in between.
inline void sti_hlt() { asm volatile("sti; hlt" ::: "memory"); }
inline void hlt() { asm volatile("hlt" ::: "memory"); }
inline void pause() { asm volatile("pause" ::: "memory"); }
inline std::uint64_t rdtsc() {
  std::uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

[[noreturn]] inline void halt_forever() {
  for (;;) asm volatile("cli; hlt");
}

// Model-specific registers used by the guest (SDM vol. 4, table 2-2).
inline constexpr std::uint32_t kMsrGsBase = 0xC0000101;  // IA32_GS_BASE

// CPUID.01H:ECX feature bits (SDM vol. 2A, CPUID, table 3-10).
inline constexpr std::uint32_t kCpuid1EcxX2Apic = 1u << 21;
inline constexpr std::uint32_t kCpuid1EdxApic = 1u << 9;

}  // namespace guest::x86
