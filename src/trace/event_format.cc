#include "trace/event_format.h"

#include <charconv>
#include <cstring>

namespace irqshape::trace {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <typename T>
bool to_number(std::string_view s, T& v) {
  s = trim(s);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// "<key>:<value>;" somewhere in `line`.
bool attribute(std::string_view line, std::string_view key, std::uint32_t& v) {
  std::size_t pos = 0;
  while ((pos = line.find(key, pos)) != std::string_view::npos) {
    if (pos + key.size() < line.size() && line[pos + key.size()] == ':' &&
        (pos == 0 || line[pos - 1] == '\t' || line[pos - 1] == ' ' || line[pos - 1] == ';')) {
      auto rest = line.substr(pos + key.size() + 1);
      auto semi = rest.find(';');
      if (semi == std::string_view::npos) return false;
      return to_number(rest.substr(0, semi), v);
    }
    pos += key.size();
  }
  return false;
}

// "field:unsigned int nr_sector;\toffset:24;\tsize:4;\tsigned:0;"
Result<EventField> parse_field(std::string_view line) {
  auto decl_end = line.find(';');
  if (decl_end == std::string_view::npos) return make_error("field declaration without ';'");
  auto decl = trim(line.substr(line.find(':') + 1, decl_end - line.find(':') - 1));
  EventField f;
  f.data_loc = decl.starts_with("__data_loc");
  f.rel_loc = decl.starts_with("__rel_loc");
  // The name is the last identifier, before any array bounds.
  auto bracket = decl.find('[');
  auto base = trim(decl.substr(0, bracket));
  if (f.data_loc || f.rel_loc) {
    // "__data_loc char[] name": the name follows the brackets.
    base = trim(decl);
  }
  auto sp = base.find_last_of(" \t*");
  auto name = sp == std::string_view::npos ? base : base.substr(sp + 1);
  if (auto b = name.find('['); b != std::string_view::npos) name = name.substr(0, b);
  if (name.empty() || name.size() > 128) return make_error("bad field name in '{}'", decl);
  f.name = std::string(name);
  std::uint32_t is_signed = 0;
  if (!attribute(line, "offset", f.offset) || !attribute(line, "size", f.size)) {
    return make_error("field '{}' without offset or size", f.name);
  }
  if (attribute(line, "signed", is_signed)) f.is_signed = is_signed != 0;
  if (f.size > (1u << 24) || f.offset > (1u << 24)) return make_error("field '{}' out of range", f.name);
  return f;
}

}  // namespace

const EventField* EventFormat::field(std::string_view n) const {
  for (const auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

Result<EventFormat> parse_event_format(std::string_view text) {
  EventFormat ev;
  bool have_name = false, have_id = false;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    auto t = trim(line);
    if (t.starts_with("name:")) {
      ev.name = std::string(trim(t.substr(5)));
      have_name = !ev.name.empty() && ev.name.size() <= 128;
    } else if (t.starts_with("ID:")) {
      have_id = to_number(t.substr(3), ev.id);
      if (!have_id) return make_error("format line {}: bad ID", line_no);
    } else if (t.starts_with("field:")) {
      auto f = parse_field(t);
      if (!f) return make_error("format line {}: {}", line_no, f.message());
      if (ev.fields.size() >= 256) return make_error("format line {}: too many fields", line_no);
      ev.fields.push_back(std::move(*f));
    } else if (t.starts_with("print fmt:")) {
      break;
    }
  }
  if (!have_name) return make_error("format without a name");
  if (!have_id) return make_error("format of '{}' without an ID", ev.name);
  return ev;
}

Result<std::pair<std::string, std::uint32_t>> peek_event_name_id(std::string_view text) {
  std::string name;
  std::uint32_t id = 0;
  bool have_id = false;
  std::size_t pos = 0;
  for (int i = 0; i < 4 && pos < text.size(); ++i) {
    auto nl = text.find('\n', pos);
    auto t = trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (t.starts_with("name:")) name = std::string(trim(t.substr(5)));
    if (t.starts_with("ID:")) have_id = to_number(t.substr(3), id);
  }
  if (name.empty() || name.size() > 128 || !have_id) return make_error("format without a name and ID");
  return std::pair{std::move(name), id};
}

Result<PageHeaderLayout> parse_header_page(std::string_view text) {
  PageHeaderLayout l;
  bool ts = false, commit = false, data = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto t = trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!t.starts_with("field:")) continue;
    auto f = parse_field(t);
    if (!f) return make_error("header_page: {}", f.message());
    if (f->name == "timestamp" && f->size == 8) {
      l.timestamp_offset = f->offset;
      ts = true;
    } else if (f->name == "commit" && (f->size == 4 || f->size == 8)) {
      l.commit_offset = f->offset;
      l.commit_size = f->size;
      commit = true;
    } else if (f->name == "data") {
      l.data_offset = f->offset;
      data = true;
    }
  }
  if (!ts || !commit || !data) return make_error("header_page lacks timestamp, commit or data");
  if (l.data_offset < l.commit_offset + l.commit_size || l.data_offset < l.timestamp_offset + 8 ||
      l.data_offset > 256) {
    return make_error("header_page layout is inconsistent");
  }
  return l;
}

std::optional<std::uint64_t> PayloadView::raw(std::uint32_t offset, std::uint32_t size) const {
  if (size != 1 && size != 2 && size != 4 && size != 8) return std::nullopt;
  if (std::uint64_t{offset} + size > b_.size()) return std::nullopt;
  std::uint64_t v = 0;
  const std::uint8_t* p = b_.data() + offset;
  for (std::uint32_t i = 0; i < size; ++i) {
    const std::uint32_t shift = big_endian_ ? 8 * (size - 1 - i) : 8 * i;
    v |= std::uint64_t{p[i]} << shift;
  }
  return v;
}

std::optional<std::int64_t> PayloadView::integer(const EventField& f) const {
  auto v = raw(f.offset, f.size);
  if (!v) return std::nullopt;
  if (f.is_signed && f.size < 8) {
    const std::uint64_t sign = std::uint64_t{1} << (8 * f.size - 1);
    if (*v & sign) return static_cast<std::int64_t>(*v | ~((sign << 1) - 1));
  }
  return static_cast<std::int64_t>(*v);
}

std::optional<std::uint64_t> PayloadView::unsigned_integer(const EventField& f) const {
  return raw(f.offset, f.size);
}

std::optional<std::string_view> PayloadView::string(const EventField& f) const {
  std::uint64_t start = f.offset;
  std::uint64_t len = f.size;
  if (f.data_loc || f.rel_loc) {
    auto loc = raw(f.offset, 4);
    if (!loc) return std::nullopt;
    start = (*loc & 0xFFFF) + (f.rel_loc ? std::uint64_t{f.offset} + 4 : 0);
    len = *loc >> 16;
  }
  if (start + len > b_.size()) return std::nullopt;
  std::string_view s(reinterpret_cast<const char*>(b_.data() + start), len);
  if (auto nul = s.find('\0'); nul != std::string_view::npos) s = s.substr(0, nul);
  return s;
}

}  // namespace irqshape::trace
