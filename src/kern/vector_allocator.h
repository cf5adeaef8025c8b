// The per-CPU vector matrix: which of each CPU's 256 vectors are taken, and by whom.
//
// Policy, stated once (after Linux kernel/irq/matrix.c):
//   * system vectors (system_vectors.h) are reserved on every CPU at construction;
//   * a device vector for run level L comes from class L only (vector bits 7:4 == L),
//     so the interrupt runs at exactly the IRQL the driver asked for;
//   * among the candidate CPUs, take the one with the most free vectors in class L
//     (ties: the lowest CPU index), and on it the lowest free vector of the class;
//   * exhaustion returns nullopt and changes nothing.
//
// Not synchronized: the interrupt core holds its vector lock around every call.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "hw/vector_set.h"
#include "kern/affinity.h"
#include "kern/irql.h"

namespace irqshape::kern {

struct VectorAssignment {
  unsigned cpu = 0;
  std::uint8_t vector = 0;
  friend constexpr bool operator==(const VectorAssignment&, const VectorAssignment&) = default;
};

class VectorMatrix {
 public:
  // Owner tags: 0 free, kSystemOwner for reserved vectors, anything else is the
  // caller's (the core uses source index + 1).
  static constexpr std::uint16_t kNoOwner = 0;
  static constexpr std::uint16_t kSystemOwner = 0xFFFF;
  static constexpr unsigned kVectorsPerClass = 16;

  explicit VectorMatrix(unsigned cpu_count);

  [[nodiscard]] std::optional<VectorAssignment> allocate(KAFFINITY candidates, KIRQL level, std::uint16_t owner);
  // For moving an edge line off `old_cpu` without masking it: the CPU allocate() would
  // pick, and a vector of the class free on that CPU *and* on `old_cpu`, taken on both.
  // nullopt (nothing taken) when the two have no free vector of the class in common.
  [[nodiscard]] std::optional<VectorAssignment> allocate_bridged(unsigned old_cpu, KAFFINITY candidates, KIRQL level,
                                                                 std::uint16_t owner);
  // Returns false (and changes nothing) for a vector that is free or reserved.
  bool free(VectorAssignment assignment);

  [[nodiscard]] unsigned cpu_count() const { return cpu_count_; }
  [[nodiscard]] unsigned free_in_class(unsigned cpu, KIRQL level) const;
  [[nodiscard]] unsigned device_vectors_in_use(unsigned cpu) const;
  [[nodiscard]] bool in_use(unsigned cpu, unsigned vector) const;
  [[nodiscard]] std::uint16_t owner(unsigned cpu, unsigned vector) const;
  // Every device vector ever allocated on `cpu`, freed or not: where an interrupt a source
  // sent before its release or move may still arrive (diagnostics; the guest's self-test).
  [[nodiscard]] hw::VectorSet ever_allocated(unsigned cpu) const {
    return cpu < cpu_count_ ? cpu_[cpu].ever_allocated : hw::VectorSet{};
  }

 private:
  struct PerCpu {
    hw::VectorSet used;
    hw::VectorSet ever_allocated;
    std::array<std::uint16_t, 256> owner{};
  };

  void take(unsigned cpu, std::uint8_t vector, std::uint16_t owner);

  [[nodiscard]] std::optional<unsigned> best_cpu(KAFFINITY candidates, KIRQL level) const;

  unsigned cpu_count_;
  std::array<PerCpu, kMaxCpus> cpu_{};
};

}  // namespace irqshape::kern
