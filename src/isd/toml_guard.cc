#include "isd/toml_guard.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>

namespace irqshape::isd {

namespace {

// The code points toml++ 3.3.0 cannot classify (see the header).
bool poisonous(char32_t c) {
  return (c >= 0xA1 && c <= 0x499) || (c >= 0x2C5E && c <= 0x3057 && c != 0x3000) || (c >= 0xFB26 && c <= 0xFEFE);
}

// Decodes the UTF-8 sequence at text[i]; returns its length (1 for an invalid byte,
// whose code point is then reported as U+FFFD: toml++ rejects invalid UTF-8 itself).
std::size_t decode(std::string_view t, std::size_t i, char32_t& c) {
  const auto b = static_cast<unsigned char>(t[i]);
  std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > t.size()) {
    c = 0xFFFD;
    return 1;
  }
  c = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    const auto cb = static_cast<unsigned char>(t[i + k]);
    if ((cb >> 6) != 0x2) {
      c = 0xFFFD;
      return 1;
    }
    c = (c << 6) | (cb & 0x3F);
  }
  return n;
}

enum class State { normal, comment, basic, literal, ml_basic, ml_literal };

}  // namespace

Status guard_toml_text(std::string_view t, std::string_view filename) {
  State state = State::normal;
  bool value = false;           // after '=' on this logical line (strings here are values)
  // Open brackets inside the current value: '[' an array, '{' an inline table before the
  // '=' of its current entry, kInlineValue one after it.
  constexpr char kInlineValue = 'v';
  std::vector<char> brackets;
  bool key_string = false;      // the string being read is a key (or not where a value starts)
  // The last character outside strings and comments that was not a blank; '=', '[', '{',
  // ']' and '}' only where they are structure (a separator, a bracket opened or closed):
  // inside a malformed bare value toml++ reads on through them as part of the token, so
  // they are recorded as kPlain and start nothing after them.
  constexpr char kPlain = 'a';
  char last = '\n';
  bool escaped = false;         // the previous character of a basic string was a backslash
  int separators = 0;           // '=' outside brackets on this line: only the first separates key and value
  // A blank after a bare (unquoted, non-structural) character, and whether another bare
  // word followed it on this line: "6612-04-01 6" is read as a date and a time, and the
  // time reader looks past a '#' right after it.
  bool blank_after_bare = false, split_value = false;
  std::uint32_t line = 1, column = 1;
  for (std::size_t i = 0; i < t.size();) {
    char32_t c = 0;
    const std::size_t n = decode(t, i, c);
    const char ch = t[i];
    const bool safe_string = (state == State::basic || state == State::literal || state == State::ml_literal) && !key_string;
    if (c >= 0x80 && poisonous(c) && state != State::comment && !safe_string)
      return make_error("{}:{}:{}: TOML: character U+{:04X} is only accepted in comments and string values here (the TOML "
                        "reader, toml++ 3.3, cannot classify it anywhere else)",
                        filename, line, column, static_cast<std::uint32_t>(c));
    std::size_t advance = n;
    const bool was_normal = state == State::normal;
    bool structural = true;  // see `last`
    switch (state) {
      case State::normal:
        // After a second '=', or a second bare word, the line holds a malformed value (or a
        // date and time) that toml++ may still be scanning at a '#' ("6612-04-01 6#..."
        // makes it read on into what would be the comment): what follows is no comment to
        // it, so not to the guard either.
        if (ch == '#' && !(brackets.empty() && separators > 1) && !split_value) {
          state = State::comment;
        } else if (ch == '"' || ch == '\'') {
          const bool triple = t.substr(i, 3) == std::string_view(ch == '"' ? "\"\"\"" : "'''");
          state = ch == '"' ? (triple ? State::ml_basic : State::basic) : (triple ? State::ml_literal : State::literal);
          // A value string starts right after '=', or after '[' or ',' in an array. A quote
          // anywhere else is a key, or part of a malformed token that toml++ reads on
          // through with the very check that misbehaves.
          key_string = !((last == '=' && separators == 1 && brackets.empty()) ||
                         (last == '=' && !brackets.empty() && brackets.back() == kInlineValue) ||
                         ((last == '[' || last == ',') && !brackets.empty() && brackets.back() == '['));
          if (triple) advance = 3;
        } else if (ch == '=') {
          value = true;
          if (brackets.empty()) ++separators;
          // In an inline table only the first '=' of an entry separates; after it toml++
          // reads a value, and a second '=' is part of a malformed bare one.
          structural = brackets.empty() ? separators == 1 : brackets.back() == '{';
          if (!brackets.empty() && brackets.back() == '{') brackets.back() = kInlineValue;
        } else if (ch == '[' || ch == '{') {
          // An array or inline table starts where a value or an element does; a bracket
          // anywhere else is part of a malformed token (toml++ reads on through it).
          const bool element = last == '=' || ((last == '[' || last == ',' || last == '\n') && !brackets.empty());
          structural = value && element;
          if (structural) brackets.push_back(ch);
        } else if (ch == ']' || ch == '}') {
          structural = value && !brackets.empty();
          if (structural) brackets.pop_back();
        } else if (ch == ',' && value && !brackets.empty() && brackets.back() == kInlineValue) {
          brackets.back() = '{';  // next: a key of the inline table
        } else if (ch == '\n' && brackets.empty()) {
          value = false;
          separators = 0;
        }
        break;
      case State::comment:
        if (ch == '\n') {
          state = State::normal;
          value = value && !brackets.empty();
          if (brackets.empty()) separators = 0;
        }
        break;
      case State::basic:
      case State::ml_basic:
        if (escaped) {
          escaped = false;  // the escaped character: checked above, never a terminator
        } else if (ch == '\\') {
          escaped = true;
        } else if (state == State::basic && (ch == '"' || ch == '\n')) {
          state = State::normal;
        } else if (state == State::ml_basic && t.substr(i, 3) == "\"\"\"") {
          advance = 3;
          while (i + advance < t.size() && t[i + advance] == '"' && advance < 5) ++advance;  // up to two quotes of content
          state = State::normal;
        }
        break;
      case State::literal:
        if (ch == '\'' || ch == '\n') state = State::normal;
        break;
      case State::ml_literal:
        if (t.substr(i, 3) == "'''") {
          advance = 3;
          while (i + advance < t.size() && t[i + advance] == '\'' && advance < 5) ++advance;
          state = State::normal;
        }
        break;
    }
    if (was_normal) {
      const bool blank = ch == ' ' || ch == '\t' || ch == '\r';
      // Bare: part of an unquoted token - not a blank, quote, comma, comment or line end,
      // and not '=' or a bracket where it is structure.
      auto bare = [](char x) {
        return x != '=' && x != '[' && x != '{' && x != ']' && x != '}' && x != ',' && x != '\n' && x != '"' &&
               x != '\'' && x != '#';
      };
      if (blank) {
        blank_after_bare = blank_after_bare || bare(last);
      } else {
        const char now = structural ? ch : kPlain;
        if (value && blank_after_bare && bare(now)) split_value = true;
        blank_after_bare = false;
        last = now;
      }
    }
    if (ch == '\n') split_value = blank_after_bare = false;
    for (std::size_t k = 0; k < advance && i + k < t.size(); ++k) {
      if (t[i + k] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(t[i + k]) & 0xC0) != 0x80) {
        ++column;  // columns count code points, as toml++ does
      }
    }
    i += advance;
  }
  return {};
}

Result<std::string> read_toml_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("{}: cannot open: {}", path, std::strerror(errno));
  // A directory opens (on Linux) and then fails every read.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return make_error("{}: is a directory", path);
  std::string text;
  char chunk[1 << 16];
  errno = 0;
  while (in.read(chunk, sizeof chunk), in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) return make_error("{}: larger than {} bytes; not a TOML file this reads", path, max_bytes);
  }
  if (in.bad()) return make_error("{}: cannot read: {}", path, std::strerror(errno != 0 ? errno : EIO));
  return text;
}

}  // namespace irqshape::isd
