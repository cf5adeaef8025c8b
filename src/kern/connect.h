// Connecting drivers' service routines to interrupt sources (NT's I/O manager and
// kernel interrupt-object API).
//
// IoConnectInterrupt makes one KINTERRUPT per CPU in (ProcessorEnableMask & active
// CPUs), all in one block from the core's pool allocator, all using the caller's
// SpinLock or else one lock shared by the block. Each is appended to the source's chain
// for its CPU. An object may join a non-empty chain only if it and every object already
// there allow sharing and use the same mode. Any failure undoes everything this call
// connected and frees the block. The first connection of a source unmasks its line.
//
// IoDisconnectInterrupt unlinks every object of the block, masks the line when the last
// connection leaves, waits until no CPU can still be running one of its ISRs, drops the
// connection's reference on the source (the last reference frees its vectors) and frees
// the block. After it returns the ISR is never called again and ServiceContext may be
// freed. Call it at PASSIVE_LEVEL, never from an ISR (it waits for the dispatchers).
#pragma once

#include "kern/interrupt_core.h"
#include "kern/interrupt_object.h"
#include "kern/status.h"

namespace irqshape::kern {

// Parameters are numbered as in NT (the core not counted; FloatingSave, meaningless on
// x86-64, is dropped):
//   _1 InterruptObject null          _2 ServiceRoutine null
//   _5 Vector stale or unknown       _6 Irql differs from the source's run level
//   _7 SynchronizeIrql below Irql or above HIGH_LEVEL
//   _8 InterruptMode invalid, or differs from the mode of a connection it would share with
//   _9 a connection it would share with, or this one, does not allow sharing
//   _10 ProcessorEnableMask lacks the CPU the line is routed to now
//   STATUS_INVALID_PARAMETER        no active CPU in ProcessorEnableMask (as NT)
//   STATUS_INSUFFICIENT_RESOURCES   the pool allocator returned nullptr
NTSTATUS IoConnectInterrupt(InterruptCore& core, KINTERRUPT** InterruptObject, KSERVICE_ROUTINE ServiceRoutine,
                            void* ServiceContext, KSPIN_LOCK* SpinLock, SystemVector Vector, KIRQL Irql,
                            KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode, bool ShareVector,
                            KAFFINITY ProcessorEnableMask);

// Takes the object IoConnectInterrupt returned (null is ignored). The block is freed, so
// disconnecting twice is a use after free, as in NT.
void IoDisconnectInterrupt(KINTERRUPT* InterruptObject);

// Runs SynchronizeRoutine at the object's SynchronizeIrql holding its lock: mutual
// exclusion with the ISR on every CPU of the connection. Returns what the routine did.
bool KeSynchronizeExecution(KINTERRUPT* Interrupt, KSYNCHRONIZE_ROUTINE SynchronizeRoutine, void* SynchronizeContext);

}  // namespace irqshape::kern
