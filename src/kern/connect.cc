#include "kern/connect.h"

#include <new>

#include "kern/source_internal.h"

namespace irqshape::kern {

namespace {

struct ConnectRequest {
  KSERVICE_ROUTINE routine;
  void* context;
  KSPIN_LOCK* lock;
  SystemVector vector;
  KIRQL irql;
  KIRQL synchronize_irql;
  KINTERRUPT_MODE mode;
  bool share;
};

constexpr std::size_t objects_offset() {
  constexpr std::size_t a = alignof(KINTERRUPT);
  return (sizeof(InterruptConnection) + a - 1) / a * a;
}

InterruptConnection* allocate_block(InterruptCore& core, InterruptSource& src, KAFFINITY cpus,
                                    const ConnectRequest& r) {
  const unsigned n = cpu_count_of(cpus);
  const std::size_t size = objects_offset() + n * sizeof(KINTERRUPT);
  constexpr std::size_t align = alignof(KINTERRUPT) > alignof(InterruptConnection) ? alignof(KINTERRUPT)
                                                                                   : alignof(InterruptConnection);
  void* raw = core.pool.allocate(size, align);
  if (raw == nullptr) return nullptr;
  auto* conn = new (raw) InterruptConnection;
  conn->source = &src;
  conn->cpus = cpus;
  conn->count = n;
  conn->block_size = size;
  conn->objects = reinterpret_cast<KINTERRUPT*>(static_cast<unsigned char*>(raw) + objects_offset());
  unsigned i = 0;
  for_each_cpu(cpus, [&](unsigned cpu) {
    KINTERRUPT* o = new (&conn->objects[i++]) KINTERRUPT;
    o->ServiceRoutine = r.routine;
    o->ServiceContext = r.context;
    o->ActualLock = r.lock != nullptr ? r.lock : &conn->SpinLock;
    o->Vector = r.vector;
    o->Irql = r.irql;
    o->SynchronizeIrql = r.synchronize_irql;
    o->Mode = r.mode;
    o->ShareVector = r.share;
    o->Number = cpu;
    o->Connection = conn;
    o->Source = &src;
    o->Core = &core;
  });
  return conn;
}

void free_block(InterruptCore& core, InterruptConnection* conn) {
  const std::size_t size = conn->block_size;
  for (unsigned i = 0; i < conn->count; ++i) conn->objects[i].~KINTERRUPT();
  conn->~InterruptConnection();
  core.pool.free(conn, size);
}

// Config lock held. NT's KeConnectInterrupt for one object: sharing check, then append.
// The object is fully initialized before the store that publishes it.
NTSTATUS connect_one(InterruptSource& src, KINTERRUPT& obj) {
  std::atomic<KINTERRUPT*>* link = &src.chain[obj.Number];
  for (KINTERRUPT* p = link->load(std::memory_order_relaxed); p != nullptr; p = link->load(std::memory_order_relaxed)) {
    if (!p->ShareVector || !obj.ShareVector) return STATUS_INVALID_PARAMETER_9;
    if (p->Mode != obj.Mode) return STATUS_INVALID_PARAMETER_8;
    link = &p->Next;
  }
  obj.Connected.store(true, std::memory_order_relaxed);
  link->store(&obj, std::memory_order_seq_cst);
  return STATUS_SUCCESS;
}

// Config lock held. The object keeps its own Next, so a dispatcher standing on it still
// finds the rest of the chain; it is freed only after wait_for_dispatchers.
void disconnect_one(InterruptSource& src, KINTERRUPT& obj) {
  std::atomic<KINTERRUPT*>* link = &src.chain[obj.Number];
  for (KINTERRUPT* p = link->load(std::memory_order_relaxed); p != nullptr; p = link->load(std::memory_order_relaxed)) {
    if (p == &obj) {
      link->store(obj.Next.load(std::memory_order_relaxed), std::memory_order_seq_cst);
      break;
    }
    link = &p->Next;
  }
  obj.Connected.store(false, std::memory_order_relaxed);
}

void set_enabled(InterruptCore& core, InterruptSource& src, bool enabled) {
  IrqSpinLockGuard io(core.ioapic_lock, core.platform);
  src.enabled = enabled;
  detail::apply_mask(core, src);
}

// Config lock held; the vector lock keeps a cleanup on the old CPU from rewriting
// `previous` under us.
NTSTATUS check_route(InterruptCore& core, const InterruptSource& src, KAFFINITY cpus) {
  IrqSpinLockGuard v(core.vector_lock, core.platform);
  if (!contains(cpus, src.current.cpu)) return STATUS_INVALID_PARAMETER_10;
  if (src.move.load(std::memory_order_relaxed) != MoveState::Idle && !contains(cpus, src.previous.cpu)) {
    return STATUS_INVALID_PARAMETER_10;
  }
  return STATUS_SUCCESS;
}

NTSTATUS validate(const ConnectRequest& r) {
  if (r.routine == nullptr) return STATUS_INVALID_PARAMETER_2;
  if (r.synchronize_irql < r.irql || r.synchronize_irql > HIGH_LEVEL) return STATUS_INVALID_PARAMETER_7;
  if (r.mode != LevelSensitive && r.mode != Latched) return STATUS_INVALID_PARAMETER_8;
  return STATUS_SUCCESS;
}

// Config lock held.
NTSTATUS connect_locked(InterruptCore& core, const ConnectRequest& r, KAFFINITY cpus, KINTERRUPT** out) {
  InterruptSource* src = detail::lookup(core, r.vector);
  if (src == nullptr) return STATUS_INVALID_PARAMETER_5;
  if (r.irql != src->irql) return STATUS_INVALID_PARAMETER_6;
  if (NTSTATUS s = check_route(core, *src, cpus); !NT_SUCCESS(s)) return s;
  InterruptConnection* conn = allocate_block(core, *src, cpus, r);
  if (conn == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  for (unsigned i = 0; i < conn->count; ++i) {
    if (NTSTATUS s = connect_one(*src, conn->objects[i]); !NT_SUCCESS(s)) {
      while (i-- > 0) disconnect_one(*src, conn->objects[i]);
      detail::wait_for_dispatchers(core);  // a dispatcher may have found one already
      free_block(core, conn);
      return s;
    }
  }
  ++src->references;
  if (++src->connections == 1) set_enabled(core, *src, true);
  *out = &conn->objects[0];
  return STATUS_SUCCESS;
}

}  // namespace

NTSTATUS IoConnectInterrupt(InterruptCore& core, KINTERRUPT** InterruptObject, KSERVICE_ROUTINE ServiceRoutine,
                            void* ServiceContext, KSPIN_LOCK* SpinLock, SystemVector Vector, KIRQL Irql,
                            KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode, bool ShareVector,
                            KAFFINITY ProcessorEnableMask) {
  if (InterruptObject == nullptr) return STATUS_INVALID_PARAMETER_1;
  *InterruptObject = nullptr;
  const ConnectRequest r{ServiceRoutine, ServiceContext, SpinLock, Vector, Irql, SynchronizeIrql, InterruptMode,
                         ShareVector};
  if (NTSTATUS s = validate(r); !NT_SUCCESS(s)) return s;
  const KAFFINITY cpus = ProcessorEnableMask & core.active_cpus();
  if (cpus == 0) return STATUS_INVALID_PARAMETER;
  SpinLockGuard config(core.config_lock, core.platform);
  return connect_locked(core, r, cpus, InterruptObject);
}

void IoDisconnectInterrupt(KINTERRUPT* InterruptObject) {
  if (InterruptObject == nullptr) return;
  InterruptCore& core = *InterruptObject->Core;
  InterruptConnection* conn = InterruptObject->Connection;
  InterruptSource& src = *conn->source;
  SpinLockGuard config(core.config_lock, core.platform);
  for (unsigned i = 0; i < conn->count; ++i) disconnect_one(src, conn->objects[i]);
  if (--src.connections == 0) set_enabled(core, src, false);
  const bool recycle = detail::release_reference(core, src);
  // Drain: from here no CPU is inside a dispatch that could have seen the objects.
  detail::wait_for_dispatchers(core);
  if (recycle) detail::recycle_source(src);
  free_block(core, conn);
}

bool KeSynchronizeExecution(KINTERRUPT* Interrupt, KSYNCHRONIZE_ROUTINE SynchronizeRoutine, void* SynchronizeContext) {
  IrqlSpinLockGuard guard(*Interrupt->ActualLock, Interrupt->Core->platform, Interrupt->SynchronizeIrql);
  return SynchronizeRoutine(SynchronizeContext);
}

}  // namespace irqshape::kern
