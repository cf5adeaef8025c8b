// The PVH ELF note: tells QEMU's -kernel loader (and Xen) that this ELF supports the
// x86/HVM direct boot ABI and where its 32-bit entry point is. Format: Xen's
// public/elfnote.h, XEN_ELFNOTE_PHYS32_ENTRY = 18, name "Xen", 4-byte descriptor with
// the physical entry address. Entry state (Xen docs/misc/pvh.pandoc): 32-bit protected
// mode, paging off, flat CS/DS, interrupts off, %ebx = physical address of
// struct hvm_start_info.
#define XEN_ELFNOTE_PHYS32_ENTRY 18

    .section .note.Xen, "a", @note
    .balign 4
    .long 2f - 1f              // namesz
    .long 4f - 3f              // descsz
    .long XEN_ELFNOTE_PHYS32_ENTRY
1:  .asciz "Xen"
2:  .balign 4
3:  .long pvh_entry
4:  .balign 4
