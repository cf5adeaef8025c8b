// Interrupt sources as the user knows them, mapped to ISU source ids.
//
// Whoever wires the platform builds the map: the simulator's scenario (which device sits
// on which ISU input), or a trace's source table. Configuration files then name sources
// the way /proc/interrupts does ("virtio1-req.0", "nvme0q1"), by Linux irq number
// ("irq=36") or by ISU source id ("id=3").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/source_kind.h"

namespace irqshape::isd {

// What a source serves decides its default shaping (see default_config()); when only a
// name is known, classify_source_name guesses it (base/source_kind.h).
using ::irqshape::classify_source_name;
using ::irqshape::SourceKind;
using ::irqshape::to_string;

struct SourceInfo {
  std::uint32_t id = 0;      // ISU source id (0 .. CAP_SOURCES-1)
  std::string name;          // as the user knows it; may be empty
  std::int32_t irq = -1;     // Linux irq number, -1 if unknown
  SourceKind kind = SourceKind::other;
  // Vectors the guest also serves this source on, when the platform knows them (the
  // simulator does; 0: unknown): a [source] table without raise-vector / lower-vector
  // uses these, so rules can raise or lower its priority without the user looking up
  // the guest's vector assignment.
  std::uint8_t raise_vector = 0, lower_vector = 0;
};

class SourceMap {
 public:
  // Adds a source. Refuses a second source with the same id, name or irq number.
  Status add(SourceInfo info);
  // Convenience for tests and scenarios: sources named `names`, ids 0, 1, 2, ... in
  // order, kinds guessed from the names.
  static SourceMap from_names(const std::vector<std::string>& names);
  // A source from the command line: "NAME=ID", "NAME=ID:IRQ", or "NAME" (the next free
  // id), optionally followed by ",raise=V" and/or ",lower=V" (the vectors the guest also
  // serves it on, 32..255, decimal or 0x hex). The kind is guessed from the name.
  Status add_spec(std::string_view spec);

  // "id=3", "irq=36", or an exact name. The error explains what was not found and
  // lists a few known names.
  [[nodiscard]] Result<std::uint32_t> resolve(std::string_view selector) const;
  [[nodiscard]] const SourceInfo* find(std::uint32_t id) const;
  // The name to show for an id: its name, else "irq=N", else "id=N".
  [[nodiscard]] std::string display(std::uint32_t id) const;
  [[nodiscard]] const std::vector<SourceInfo>& sources() const { return sources_; }
  [[nodiscard]] bool empty() const { return sources_.empty(); }

 private:
  std::vector<SourceInfo> sources_;
};

}  // namespace irqshape::isd
