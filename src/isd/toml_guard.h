// A guard in front of toml++ 3.3.0 (Debian 12's libtomlplusplus-dev). Its
// is_non_ascii_horizontal_whitespace() reaches __builtin_unreachable() - undefined
// behaviour - for code points U+00A1..U+0499, U+2C5E..U+3057 (but U+3000) and
// U+FB26..U+FEFE (its switch has no case for blocks 0, 11 and 63 of its table), and the parser asks that question of every character of a key, of the
// character after a value, and inside multi-line basic strings (found by
// fuzz/isd_config.cc under UBSan). Such characters are harmless in comments and in string
// values, where the parser never asks; anywhere else they are refused here, with a
// position, before toml++ sees the text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace irqshape::isd {

// OK, or "file:line:column: TOML: ..." for a character the TOML reader cannot be given.
Status guard_toml_text(std::string_view text, std::string_view filename);

// The whole text of a TOML file (configuration, labels): "<path>: cannot open: <reason>",
// "<path>: is a directory", "<path>: cannot read: <reason>", or "<path>: larger than N
// bytes" for one over `max_bytes`, rather than an empty text for what cannot be read.
Result<std::string> read_toml_file(const std::string& path, std::size_t max_bytes);

}  // namespace irqshape::isd
