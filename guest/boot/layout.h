// Physical memory layout and the few constants the assembly entry code and the C++ code
// share. Plain #defines so both the assembler (.S files) and C++ can include it.
//
//   0x0000_0000 - 0x0000_0FFF  real-mode IVT / BIOS data (untouched)
//   0x0000_8000 - 0x0000_8FFF  AP start-up trampoline (copied here; SIPI vector 0x08)
//   0x0000_9000 - 0x0000_9FFF  fault injection only: the wrong start page (ap_no_start)
//   0x0010_0000 - ...          this kernel (text, rodata, data, bss incl. page tables,
//                              stacks and the interrupt-object pool), linked 1:1
//   top of RAM                 SeaBIOS tables (ACPI) - read only
//   0xC000_0000 - 0xFFFF_FFFF  PCI MMIO hole, I/O APIC, HPET, local APIC: uncached
#pragma once

// Where the linker script places the kernel (physical == virtual: identity mapping).
#define GUEST_LOAD_ADDRESS 0x100000

// The AP trampoline must sit below 1 MiB on a 4 KiB boundary: a STARTUP IPI carries an
// 8-bit vector VV and the AP starts in real mode at CS:IP = VV00:0000, i.e. physical
// VV000 (Intel SDM vol. 3A, 8.4.4.1 "Typical BSP Initialization Sequence").
#define GUEST_TRAMPOLINE_BASE 0x8000
// The page the STARTUP IPIs name instead when irqshape.fault=ap_no_start=<id> asks for a
// failed start (smp/smp.cc): a real-mode loop, not the trampoline.
#define GUEST_DECOY_PAGE_BASE 0x9000

// Identity map: 4 GiB in 2 MiB pages (4 page directories). The last GiB holds the PCI
// hole and the APIC/HPET register pages and is mapped uncached (PCD|PWT).
#define GUEST_IDENTITY_MAP_GIB 4
#define GUEST_UNCACHED_FROM_GIB 3

// Boot GDT selectors (boot/entry.S; the per-CPU GDTs of arch/descriptors.cc keep them).
#define GUEST_KERNEL_CS 0x08
#define GUEST_KERNEL_DS 0x10

// Architectural bits the entry code sets (Intel SDM vol. 3A, 2.5 and 2.2.1).
#define X86_CR0_PE (1 << 0)
#define X86_CR0_PG (1 << 31)
#define X86_CR4_PAE (1 << 5)
#define X86_MSR_EFER 0xC0000080
#define X86_EFER_LME (1 << 8)
#define X86_PTE_PRESENT 0x1
#define X86_PTE_WRITABLE 0x2
#define X86_PTE_PWT 0x8
#define X86_PTE_PCD 0x10
#define X86_PDE_LARGE 0x80

// Per-CPU stacks.
#define GUEST_STACK_SIZE 0x8000
#define GUEST_IST_STACK_SIZE 0x2000
#define GUEST_MAX_CPUS 8
