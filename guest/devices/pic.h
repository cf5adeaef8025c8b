// The two 8259A PICs of a PC-compatible (the MADT's PCAT_COMPAT flag). The kernel routes
// every interrupt through the I/O APIC, so the PICs are remapped off the exception
// vectors and fully masked: with QEMU's PIT and RTC wired to both the PIC and the I/O
// APIC, an unmasked PIC would deliver a second copy through LINT0.
#pragma once

namespace guest::pic {

void disable();

}  // namespace guest::pic
