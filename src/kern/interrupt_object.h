// KINTERRUPT: one per (connection, CPU). IoConnectInterrupt allocates them in one block
// with the shared lock (InterruptConnection); the dispatcher walks them per CPU.
//
// Field names follow NT's KINTERRUPT. Differences: Vector is the system interrupt (the
// handle AllocateSystemInterrupt returned), not an IDT vector, because a line's IDT
// vector changes when it moves between CPUs while the objects stay; DispatchCount counts
// calls of the ISR and ServiceCount the calls that returned true.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kern/affinity.h"
#include "kern/irql.h"
#include "kern/spinlock.h"
#include "kern/system_interrupt.h"

namespace irqshape::kern {

enum class KINTERRUPT_MODE : std::uint8_t { LevelSensitive, Latched };
using enum KINTERRUPT_MODE;

struct KINTERRUPT;
struct InterruptSource;
struct InterruptConnection;
class InterruptCore;

// Returns true when its device raised the interrupt (it "claimed" it).
using KSERVICE_ROUTINE = bool (*)(KINTERRUPT* Interrupt, void* ServiceContext);
using KSYNCHRONIZE_ROUTINE = bool (*)(void* SynchronizeContext);

struct KINTERRUPT {
  KSERVICE_ROUTINE ServiceRoutine = nullptr;
  void* ServiceContext = nullptr;
  KSPIN_LOCK SpinLock;                // the object's own lock
  KSPIN_LOCK* ActualLock = nullptr;   // what the ISR runs under: own, shared or caller's
  SystemVector Vector;
  KIRQL Irql = 0;
  KIRQL SynchronizeIrql = 0;
  KINTERRUPT_MODE Mode = KINTERRUPT_MODE::LevelSensitive;
  bool ShareVector = false;
  std::uint32_t Number = 0;           // CPU index this object serves
  std::atomic<bool> Connected{false};
  // Written only by the dispatcher on CPU `Number` (one writer); read anywhere.
  std::atomic<std::uint64_t> DispatchCount{0};
  std::atomic<std::uint64_t> ServiceCount{0};
  // Chain link. Writers hold the core's configuration lock; the dispatcher reads
  // without a lock (see dispatcher.cc for why unlinking is safe).
  std::atomic<KINTERRUPT*> Next{nullptr};
  InterruptConnection* Connection = nullptr;
  InterruptSource* Source = nullptr;
  InterruptCore* Core = nullptr;
};

// The block one IoConnectInterrupt call allocates: header, then `count` objects.
struct InterruptConnection {
  KSPIN_LOCK SpinLock;  // shared by all objects when the caller supplied no lock
  InterruptSource* source = nullptr;
  KAFFINITY cpus = 0;
  unsigned count = 0;
  std::size_t block_size = 0;
  KINTERRUPT* objects = nullptr;
};

}  // namespace irqshape::kern
