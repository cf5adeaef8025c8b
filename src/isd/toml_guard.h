// A guard in front of toml++ 3.3.0 (Debian 12's libtomlplusplus-dev). Its
// is_non_ascii_horizontal_whitespace() reaches __builtin_unreachable() - undefined
// behaviour - for code points U+00A1..U+0499, U+2C5E..U+3057 (but U+3000) and
// U+FB26..U+FEFE (its switch has no case for blocks 0, 11 and 63 of its table), and the parser asks that question of every character of a key, of the
// character after a value, and inside multi-line basic strings (found by
// fuzz/isd_config.cc under UBSan). Such characters are harmless in comments and in string
// values, where the parser never asks; anywhere else they are refused here, with a
// position, before toml++ sees the text.
#pragma once

#include <string_view>

#include "base/result.h"

namespace irqshape::isd {

// OK, or "file:line:column: TOML: ..." for a character the TOML reader cannot be given.
Status guard_toml_text(std::string_view text, std::string_view filename);

}  // namespace irqshape::isd
