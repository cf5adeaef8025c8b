#include "kern/debug_dump.h"

#include "kern/system_vectors.h"

namespace irqshape::kern {

namespace {

unsigned sources_in_use(const InterruptCore& core) {
  unsigned n = 0;
  for (const InterruptSource& s : core.sources) n += s.kind != SourceKind::Unused ? 1 : 0;
  return n;
}

void source_line(TextWriter& w, const InterruptSource& s, unsigned cpu, unsigned vector) {
  w.str("  ").hex(vector, 2).str(" irql ").dec(s.irql);
  if (s.is_line()) {
    w.str(" gsi ").dec(s.gsi).str(s.trigger == hw::TriggerMode::Level ? " level" : " edge");
    w.str(s.polarity == hw::Polarity::ActiveLow ? " low" : " high");
  } else {
    w.str(" msi");
  }
  w.str(" owner \"").str(s.owner).str("\" connections ").dec(s.connections);
  const bool moving = s.move.load(std::memory_order_relaxed) != MoveState::Idle;
  if (moving && s.previous == VectorAssignment{cpu, static_cast<std::uint8_t>(vector)}) {
    w.str(" (old vector, move in progress)");
  }
  if (moving && s.has_bridge && s.bridge == VectorAssignment{cpu, static_cast<std::uint8_t>(vector)}) {
    w.str(" (bridge vector, move in progress)");
  }
  if (s.storm_reported.load(std::memory_order_relaxed)) w.str(s.is_line() ? " (masked: spurious storm)" : " (spurious storm reported)");
  w.chr('\n');
}

void cpu_lines(TextWriter& w, const InterruptCore& core, unsigned cpu) {
  const VectorMatrix& m = core.vectors;
  w.str("cpu ").dec(cpu).str(" apic ").hex(core.apic_id[cpu]).str(": ").dec(m.device_vectors_in_use(cpu));
  w.str(" device vectors\n");
  for (unsigned v = 0; v < 256; ++v) {
    const std::uint16_t owner = m.owner(cpu, v);
    if (owner == VectorMatrix::kNoOwner || owner == VectorMatrix::kSystemOwner) continue;
    if (core.cpus[cpu].released.test(v)) {  // its record may already belong to another source
      w.str("  ").hex(v, 2).str(" released, freed by this cpu's next cleanup pass\n");
      continue;
    }
    if (owner - 1u >= InterruptCore::kMaxSources) continue;
    source_line(w, core.sources[owner - 1u], cpu, v);
  }
}

}  // namespace

void DumpInterruptAllocation(InterruptCore& core, TextSink& sink) {
  SpinLockGuard config(core.config_lock, core.platform);
  IrqSpinLockGuard vectors(core.vector_lock, core.platform);
  TextWriter w(sink);
  w.str("interrupt core: ").dec(core.cpu_count).str(" cpus, ").dec(core.ioapics.count()).str(" io-apics, ");
  w.dec(sources_in_use(core)).str(" sources\n");
  w.str("system vectors on every cpu: 0x00-0x2f 0xd0-0xff (move cleanup ").hex(kMoveCleanupVector, 2);
  w.str(", spurious ").hex(kSpuriousVector, 2).str(")\n");
  for (unsigned i = 0; i < core.ioapics.count(); ++i) {
    const IoApicSet::Info& io = core.ioapics.info(i);
    if (io.pins == io.reported_pins) continue;
    w.str("io-apic ").dec(i).str(": version register claims ").dec(io.reported_pins);
    w.str(" entries, IOREGSEL reaches ").dec(io.pins).str(": gsi ").dec(io.gsi_base).chr('-');
    w.dec(io.gsi_base + io.pins - 1).str(" used\n");
  }
  for (unsigned cpu = 0; cpu < core.cpu_count; ++cpu) cpu_lines(w, core, cpu);
}

}  // namespace irqshape::kern
