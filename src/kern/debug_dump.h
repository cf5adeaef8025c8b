// A readable picture of the allocation state, for a debugger console or a test: per
// CPU, every device vector in use with its owner, GSI or MSI, IRQL class, trigger and
// polarity, connection count and move state. Example:
//
//   interrupt core: 2 cpus, 1 io-apics, 2 sources
//   system vectors on every cpu: 0x00-0x2f 0xd0-0xff (move cleanup 0x20, spurious 0xff)
//   cpu 0 apic 0x0: 1 device vectors
//     0x30 irql 3 gsi 4 edge high owner "com1" connections 1
//   cpu 1 apic 0x1: 1 device vectors
//     0x40 irql 4 msi owner "nvme" connections 0
//
// An I/O APIC registered with fewer entries than its version register claims (more than
// an 8-bit IOREGSEL can select, ioapic_set.h) gets a line after the second:
//
//   io-apic 0: version register claims 240 entries, IOREGSEL reaches 120: gsi 0-119 used
//
// Takes the configuration and vector locks: not for use from an ISR.
#pragma once

#include "kern/interrupt_core.h"
#include "kern/text_sink.h"

namespace irqshape::kern {

void DumpInterruptAllocation(InterruptCore& core, TextSink& sink);

}  // namespace irqshape::kern
