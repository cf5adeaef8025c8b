// IDT entry stubs for all 256 vectors and the two common paths.
//
// Every stub pushes an error code (a 0 where the processor pushes none, so the frame
// has one shape) and its vector, then jumps to a common path that saves the 15 general
// registers and calls C++ with a pointer to the frame (arch/interrupt_frame.h):
//   vectors 0-31   (exceptions)  -> guest_exception_entry: prints and ends the run
//   vectors 32-255 (interrupts)  -> guest_interrupt_entry: KiInterruptDispatch
// The kernel is built with -mgeneral-regs-only, so no x87/SSE state needs saving.
// In 64-bit mode the processor aligns RSP to 16 bytes before pushing its 5-quadword
// frame (SDM vol. 3A, 6.14.2), so 5 + 2 + 15 quadwords keep the call 16-byte aligned.
// Exceptions that push an error code: 8, 10-14, 17, 21, 29, 30 (SDM vol. 3A, table 6-1).

    .section .text
    .code64

// Stub v lives at guest_interrupt_stubs + v * STUB_SIZE (arch/descriptors.cc builds
// the IDT from that).
#define STUB_SIZE 16

.macro STUB
    .balign STUB_SIZE
1:
    .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    // jmp rel32, spelled out so every stub has a size known before relaxation
    .byte 0xE9
    .if vec < 32
    .long exception_common - (. + 4)
    .else
    .long interrupt_common - (. + 4)
    .endif
    .if . - 1b > STUB_SIZE
    .error "interrupt stub larger than STUB_SIZE"
    .endif
.endm

.macro SAVE_REGS
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
.endm

.macro RESTORE_REGS
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
.endm

    .balign STUB_SIZE
    .globl guest_interrupt_stubs
guest_interrupt_stubs:
    .set vec, 0
    .rept 256
    STUB
    .set vec, vec + 1
    .endr

interrupt_common:
    SAVE_REGS
    cld
    mov %rsp, %rdi
    call guest_interrupt_entry
    RESTORE_REGS
    add $16, %rsp
    iretq

exception_common:
    SAVE_REGS
    cld
    mov %rsp, %rdi
    call guest_exception_entry
1:  cli
    hlt
    jmp 1b

