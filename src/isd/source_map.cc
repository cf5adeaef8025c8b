#include "isd/source_map.h"

#include <charconv>

#include <fmt/format.h>

namespace irqshape::isd {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::optional<std::int64_t> number_after(std::string_view s, std::string_view prefix) {
  if (!starts_with(s, prefix)) return std::nullopt;
  s.remove_prefix(prefix.size());
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

Status SourceMap::add(SourceInfo info) {
  for (const SourceInfo& s : sources_) {
    if (s.id == info.id) return make_error("source id {} is mapped twice (\"{}\" and \"{}\")", info.id, s.name, info.name);
    if (!info.name.empty() && s.name == info.name) return make_error("source name \"{}\" is used twice", info.name);
    if (info.irq >= 0 && s.irq == info.irq) return make_error("irq {} is mapped twice", info.irq);
  }
  sources_.push_back(std::move(info));
  return {};
}

SourceMap SourceMap::from_names(const std::vector<std::string>& names) {
  SourceMap map;
  std::uint32_t id = 0;
  for (const std::string& n : names) {
    (void)map.add(SourceInfo{id++, n, -1, classify_source_name(n)});
  }
  return map;
}

Status SourceMap::add_spec(std::string_view full) {
  // ",raise=V" / ",lower=V" options after NAME=ID[:IRQ]: the vectors the guest serves it on.
  std::string_view spec = full;
  std::uint32_t raise = 0, lower = 0;
  for (std::size_t opt = spec.rfind(','); opt != std::string_view::npos; opt = spec.rfind(',')) {
    const std::string_view o = spec.substr(opt + 1);
    std::uint32_t* target = starts_with(o, "raise=") ? &raise : starts_with(o, "lower=") ? &lower : nullptr;
    if (target == nullptr) break;  // a comma of the name
    std::string_view v = o.substr(6);
    const int base = v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') ? 16 : 10;
    if (base == 16) v.remove_prefix(2);
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value, base);
    if (ec != std::errc() || end != v.data() + v.size() || value < 32 || value > 255)
      return make_error("source \"{}\": {} is not a vector (32..255, SRC_PRIO)", full, o);
    *target = value;
    spec = spec.substr(0, opt);
  }
  const std::size_t eq = spec.rfind('=');
  SourceInfo info;
  info.raise_vector = static_cast<std::uint8_t>(raise);
  info.lower_vector = static_cast<std::uint8_t>(lower);
  info.name = std::string(spec.substr(0, eq));
  if (info.name.empty()) return make_error("source \"{}\": expected NAME, NAME=ID or NAME=ID:IRQ", full);
  if (eq == std::string_view::npos) {
    std::uint32_t id = 0;
    while (find(id) != nullptr) ++id;
    info.id = id;
  } else {
    std::string_view rest = spec.substr(eq + 1);
    const std::size_t colon = rest.find(':');
    auto number = [](std::string_view t, std::int64_t& v) {
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      return ec == std::errc() && end == t.data() + t.size() && v >= 0;
    };
    std::int64_t id = 0, irq = -1;
    if (!number(rest.substr(0, colon), id) || id > 0xFFFF'FFFF ||
        (colon != std::string_view::npos && (!number(rest.substr(colon + 1), irq) || irq > 0x7FFF'FFFF)))
      return make_error("source \"{}\": expected NAME=ID or NAME=ID:IRQ with numbers", full);
    info.id = static_cast<std::uint32_t>(id);
    info.irq = static_cast<std::int32_t>(irq);
  }
  info.kind = classify_source_name(info.name);
  return add(std::move(info));
}

Result<std::uint32_t> SourceMap::resolve(std::string_view selector) const {
  if (const auto id = number_after(selector, "id=")) {
    if (*id > 0xFFFF'FFFF) return make_error("unknown source \"{}\"", selector);
    if (const SourceInfo* s = find(static_cast<std::uint32_t>(*id))) return s->id;
    // An explicit id needs no map entry: the platform may simply not have named it.
    return static_cast<std::uint32_t>(*id);
  }
  if (const auto irq = number_after(selector, "irq=")) {
    for (const SourceInfo& s : sources_)
      if (s.irq == *irq) return s.id;
    return make_error("unknown source \"{}\": no source has Linux irq {}", selector, *irq);
  }
  for (const SourceInfo& s : sources_)
    if (!s.name.empty() && s.name == selector) return s.id;
  std::string known;
  std::size_t shown = 0;
  for (const SourceInfo& s : sources_) {
    if (s.name.empty()) continue;
    if (shown == 6) {
      known += ", ...";
      break;
    }
    known += fmt::format("{}\"{}\"", shown == 0 ? "" : ", ", s.name);
    ++shown;
  }
  if (known.empty()) return make_error("unknown source \"{}\" (the platform named no sources; use id=N)", selector);
  return make_error("unknown source \"{}\" (known: {})", selector, known);
}

const SourceInfo* SourceMap::find(std::uint32_t id) const {
  for (const SourceInfo& s : sources_)
    if (s.id == id) return &s;
  return nullptr;
}

std::string SourceMap::display(std::uint32_t id) const {
  const SourceInfo* s = find(id);
  if (s != nullptr && !s->name.empty()) return s->name;
  if (s != nullptr && s->irq >= 0) return fmt::format("irq={}", s->irq);
  return fmt::format("id={}", id);
}

}  // namespace irqshape::isd
