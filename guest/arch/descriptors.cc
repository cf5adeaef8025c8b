#include "arch/descriptors.h"

#include "boot/layout.h"

// arch/interrupt_stubs.S: 256 stubs of kInterruptStubSize bytes each.
extern "C" const char guest_interrupt_stubs[];

namespace guest {

namespace {

// Descriptor encodings (SDM vol. 3A, 3.4.5 and 7.2.3).
constexpr std::uint64_t kCode64 = 0x00AF9A000000FFFF;   // present, DPL 0, execute/read, L=1
constexpr std::uint64_t kData = 0x00CF92000000FFFF;     // present, DPL 0, read/write
constexpr std::uint64_t kTssAvailable = 0x9;            // type: 64-bit TSS (available)
constexpr std::uint64_t kPresent = 1ull << 47;
constexpr std::uint16_t kTssSelector = 0x18;

// IDT gate (SDM vol. 3A, figure 6-8): 64-bit interrupt gate, present, DPL 0.
constexpr std::uint8_t kInterruptGate = 0x8E;
constexpr std::uint64_t kInterruptStubSize = 16;  // STUB_SIZE in arch/interrupt_stubs.S
constexpr unsigned kIstCritical = 1;  // IST slot used for #DF, NMI and #MC
constexpr unsigned kVectorNmi = 2, kVectorDoubleFault = 8, kVectorMachineCheck = 18;

struct [[gnu::packed]] IdtGate {
  std::uint16_t offset_low;
  std::uint16_t selector;
  std::uint8_t ist;
  std::uint8_t type_attributes;
  std::uint16_t offset_mid;
  std::uint32_t offset_high;
  std::uint32_t reserved;
};

struct [[gnu::packed]] DescriptorTableRegister {
  std::uint16_t limit;
  std::uint64_t base;
};

alignas(16) IdtGate idt[256];

void load_segments() {
  // CS through a far return; data segments directly.
  asm volatile(
      "pushq %[cs]\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "movw %[ds], %%ax\n\t"
      "movw %%ax, %%ds\n\t"
      "movw %%ax, %%es\n\t"
      "movw %%ax, %%ss\n\t"
      :
      : [cs] "i"(GUEST_KERNEL_CS), [ds] "i"(GUEST_KERNEL_DS)
      : "rax", "memory");
}

}  // namespace

void load_cpu_descriptors(CpuDescriptors& d, std::uint64_t ist_stack_top) {
  d.tss = TaskStateSegment{};
  d.tss.ist[kIstCritical - 1] = ist_stack_top;
  // The 16-byte system-segment descriptor of a 64-bit TSS (SDM vol. 3A, figure 8-4):
  // limit 15:0, base 23:0, type, present, limit 19:16, base 31:24; then base 63:32.
  const auto base = reinterpret_cast<std::uint64_t>(&d.tss);
  const std::uint64_t limit = sizeof(TaskStateSegment) - 1;
  d.gdt[0] = 0;
  d.gdt[1] = kCode64;
  d.gdt[2] = kData;
  d.gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (kTssAvailable << 40) | kPresent |
             (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
  d.gdt[4] = base >> 32;
  const DescriptorTableRegister gdtr{sizeof(d.gdt) - 1, reinterpret_cast<std::uint64_t>(d.gdt)};
  asm volatile("lgdt %0" : : "m"(gdtr) : "memory");
  load_segments();
  asm volatile("ltr %w0" : : "r"(kTssSelector) : "memory");
}

void build_idt() {
  for (unsigned v = 0; v < 256; ++v) {
    const std::uint64_t handler = reinterpret_cast<std::uint64_t>(guest_interrupt_stubs) + v * kInterruptStubSize;
    const bool critical = v == kVectorNmi || v == kVectorDoubleFault || v == kVectorMachineCheck;
    idt[v] = IdtGate{static_cast<std::uint16_t>(handler & 0xFFFF),
                     GUEST_KERNEL_CS,
                     static_cast<std::uint8_t>(critical ? kIstCritical : 0),
                     kInterruptGate,
                     static_cast<std::uint16_t>((handler >> 16) & 0xFFFF),
                     static_cast<std::uint32_t>(handler >> 32),
                     0};
  }
}

void load_idt() {
  const DescriptorTableRegister idtr{sizeof(idt) - 1, reinterpret_cast<std::uint64_t>(&idt[0])};
  asm volatile("lidt %0" : : "m"(idtr) : "memory");
}

}  // namespace guest
