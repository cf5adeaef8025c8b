// BSP entry: from the PVH 32-bit state to 64-bit C++ (boot_main).
//
//  1. zero .bss (the loader copies only file contents);
//  2. remember %ebx (struct hvm_start_info) in boot_start_info;
//  3. build the identity map: PML4[0] -> PDPT, PDPT[0..3] -> 4 page directories of
//     2 MiB pages covering 0-4 GiB; the last GiB (PCI hole, I/O APIC, HPET, local APIC)
//     uncached (Intel SDM vol. 3A, 4.5 "4-Level Paging", table 4-17 for a 2 MiB PDE);
//  4. CR4.PAE, CR3, EFER.LME, CR0.PG: long mode (SDM vol. 3A, 9.8.5 "Initializing
//     IA-32e Mode"), a far jump through the boot GDT's 64-bit code segment;
//  5. the BSP stack, then boot_main().
#include "boot/layout.h"

#define PAGE_SIZE 4096
#define LARGE_PAGE_SHIFT 21
#define ENTRIES_PER_TABLE 512

    .section .text.boot, "ax"
    .code32
    .globl pvh_entry
pvh_entry:
    cli
    cld
    mov %ebx, %esi

    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov %esi, boot_start_info

    // PML4[0] -> PDPT
    mov $boot_pdpt, %eax
    or $(X86_PTE_PRESENT | X86_PTE_WRITABLE), %eax
    mov %eax, boot_pml4

    // PDPT[i] -> page directory i
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $12, %eax
    add $boot_page_directories, %eax
    or $(X86_PTE_PRESENT | X86_PTE_WRITABLE), %eax
    mov %eax, boot_pdpt(,%ecx,8)
    inc %ecx
    cmp $GUEST_IDENTITY_MAP_GIB, %ecx
    jb 1b

    // PDE j maps j * 2 MiB; from GUEST_UNCACHED_FROM_GIB on, uncached.
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $LARGE_PAGE_SHIFT, %eax
    or $(X86_PTE_PRESENT | X86_PTE_WRITABLE | X86_PDE_LARGE), %eax
    cmp $(GUEST_UNCACHED_FROM_GIB * ENTRIES_PER_TABLE), %ecx
    jb 3f
    or $(X86_PTE_PCD | X86_PTE_PWT), %eax
3:  mov %eax, boot_page_directories(,%ecx,8)
    inc %ecx
    cmp $(GUEST_IDENTITY_MAP_GIB * ENTRIES_PER_TABLE), %ecx
    jb 2b

    mov %cr4, %eax
    or $X86_CR4_PAE, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $X86_MSR_EFER, %ecx
    rdmsr
    or $X86_EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $(X86_CR0_PG | X86_CR0_PE), %eax
    mov %eax, %cr0

    lgdt boot_gdtr
    ljmp $GUEST_KERNEL_CS, $long_mode_entry

    .code64
long_mode_entry:
    mov $GUEST_KERNEL_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov $(bsp_stack + GUEST_STACK_SIZE), %rsp
    xor %ebp, %ebp
    call boot_main
4:  cli
    hlt
    jmp 4b

// Boot GDT: null, 64-bit kernel code, kernel data (SDM vol. 3A, 3.4.5 and 5.2.1: in
// 64-bit mode base and limit are ignored; L=1 D=0 marks 64-bit code).
    .section .rodata.boot, "a"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF
    .quad 0x00CF92000000FFFF
boot_gdt_end:
    .balign 4
    .word 0
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .data.boot, "aw"
    .balign 4
    .globl boot_start_info
boot_start_info:
    .long 0

    .section .bss.boot, "aw", @nobits
    .balign PAGE_SIZE
    .globl boot_pml4
boot_pml4:
    .skip PAGE_SIZE
boot_pdpt:
    .skip PAGE_SIZE
boot_page_directories:
    .skip PAGE_SIZE * GUEST_IDENTITY_MAP_GIB
    .balign 16
    .globl bsp_stack
bsp_stack:
    .skip GUEST_STACK_SIZE
