// The rule condition language (docs/isd.md, "Rule syntax"):
//
//   sequence := step ( "->" step "within" window )+        2..8 steps
//   window   := duration | duration ".." duration           "within X" means 0..X
//   when     := "rate(" src ")" (">" | "<") rate
//             | "periodic(" src "," "jitter" ("<" | "<=") duration ")"
//             | "off-prediction(" src "," duration ")"
//             | "always(" [src] ")"
//   src      := a source name, "irq=N", "id=N", or "*" (any source; not in sequences)
//   rate     := N ["/s" | "/ms" | "/us" | "/window"]        bare N: events per rate window
//
// Positions of errors point at the token inside the TOML string when it is known exactly.
#pragma once

#include <string>
#include <string_view>

#include "isd/config.h"

namespace irqshape::isd {

// Maps an offset inside a TOML string value to a file position. `exact` is false when
// the string had escapes or spanned lines: every offset then maps to the value's start.
struct StringLocator {
  Origin start;  // the opening quote
  bool exact = false;

  [[nodiscard]] Origin at(std::size_t offset) const {
    Origin o = start;
    if (exact) o.column += static_cast<std::uint32_t>(1 + offset);
    return o;
  }
};

struct ConditionParse {
  bool ok = false;
  Condition condition;
  Origin at;            // of the error
  std::string message;  // of the error
};

ConditionParse parse_sequence(std::string_view text, const StringLocator& where);
ConditionParse parse_when(std::string_view text, const StringLocator& where);

}  // namespace irqshape::isd
