// The application processors' first instructions. Copied to GUEST_TRAMPOLINE_BASE
// (below 1 MiB, page aligned) before the STARTUP IPI, so every address here is computed
// as GUEST_TRAMPOLINE_BASE + (label - ap_trampoline_start).
//
// An AP leaves wait-for-SIPI in real mode at CS:IP = (base >> 4):0000 (SDM vol. 3A,
// 8.4.4.1 and 9.1.4). It loads the trampoline's GDT, enters protected mode, enables PAE,
// loads the BSP's page tables (CR3 from the mailbox), sets EFER.LME and CR0.PG, far-jumps
// to 64-bit code and calls ap_main(cpu_index) on the stack the BSP put in the mailbox.
// The BSP starts one AP at a time, so one mailbox serves all.
#include "boot/layout.h"

#define TRAMPOLINE_ADDRESS(label) (GUEST_TRAMPOLINE_BASE + (label) - ap_trampoline_start)
#define TRAMPOLINE_CODE32 0x08
#define TRAMPOLINE_DATA 0x10
#define TRAMPOLINE_CODE64 0x18

    .section .rodata
    .balign 16
    .globl ap_trampoline_start, ap_trampoline_end
    .globl ap_mailbox_cr3, ap_mailbox_stack, ap_mailbox_entry, ap_mailbox_cpu
ap_trampoline_start:
    .code16
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    lgdtl (trampoline_gdtr - ap_trampoline_start)
    mov %cr0, %eax
    and $0x9FFFFFFF, %eax  // clear CD (bit 30) and NW (bit 29): INIT leaves caching disabled
    or $X86_CR0_PE, %eax
    mov %eax, %cr0
    ljmpl $TRAMPOLINE_CODE32, $TRAMPOLINE_ADDRESS(protected_mode)

    .code32
protected_mode:
    mov $TRAMPOLINE_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $X86_CR4_PAE, %eax
    mov %eax, %cr4
    mov TRAMPOLINE_ADDRESS(ap_mailbox_cr3), %eax
    mov %eax, %cr3
    mov $X86_MSR_EFER, %ecx
    rdmsr
    or $X86_EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $X86_CR0_PG, %eax
    mov %eax, %cr0
    ljmp $TRAMPOLINE_CODE64, $TRAMPOLINE_ADDRESS(long_mode)

    .code64
long_mode:
    mov $TRAMPOLINE_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov TRAMPOLINE_ADDRESS(ap_mailbox_stack), %rsp
    mov TRAMPOLINE_ADDRESS(ap_mailbox_cpu), %edi
    mov TRAMPOLINE_ADDRESS(ap_mailbox_entry), %rax
    xor %ebp, %ebp
    call *%rax
1:  cli
    hlt
    jmp 1b

    // null, 32-bit code, data, 64-bit code (SDM vol. 3A, 3.4.5)
    .balign 8
trampoline_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF
    .quad 0x00CF92000000FFFF
    .quad 0x00AF9A000000FFFF
trampoline_gdt_end:
    .balign 4
    .word 0
trampoline_gdtr:
    .word trampoline_gdt_end - trampoline_gdt - 1
    .long TRAMPOLINE_ADDRESS(trampoline_gdt)

    .balign 8
ap_mailbox_cr3:
    .quad 0
ap_mailbox_stack:
    .quad 0
ap_mailbox_entry:
    .quad 0
ap_mailbox_cpu:
    .quad 0
ap_trampoline_end:
