// Segment descriptors and the IDT.
//
// Each CPU gets its own GDT and TSS: the TSS holds the interrupt stack table (IST)
// pointer for the faults that must not run on a possibly broken stack (#DF, NMI, #MC),
// and a TSS descriptor is marked busy when loaded, so CPUs cannot share one. The IDT
// is one table for all CPUs: the stubs are the same everywhere and every CPU's
// dispatch state is found through its CPU index.
#pragma once

#include <cstdint>

namespace guest {

// 64-bit TSS (SDM vol. 3A, figure 8-11).
struct [[gnu::packed]] TaskStateSegment {
  std::uint32_t reserved0 = 0;
  std::uint64_t rsp[3] = {};
  std::uint64_t reserved1 = 0;
  std::uint64_t ist[7] = {};
  std::uint64_t reserved2 = 0;
  std::uint16_t reserved3 = 0;
  std::uint16_t io_map_base = sizeof(std::uint32_t) * 26;  // no I/O bitmap: base = limit
};

struct CpuDescriptors {
  // null, kernel code (0x08), kernel data (0x10), TSS (0x18, two slots)
  alignas(16) std::uint64_t gdt[5] = {};
  TaskStateSegment tss;
};

// Fills `d` (the IST stack top for the critical faults), loads GDTR, reloads the
// segment registers and loads TR.
void load_cpu_descriptors(CpuDescriptors& d, std::uint64_t ist_stack_top);

// Builds the shared IDT from the assembly stubs (once, on the BSP).
void build_idt();
// Loads the shared IDT on the calling CPU.
void load_idt();

}  // namespace guest
