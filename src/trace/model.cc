#include "trace/model.h"

#include <array>

#include <fmt/format.h>

namespace irqshape::trace {

namespace {

bool is_op_char(char c) { return c == 'W' || c == 'R' || c == 'D' || c == 'F' || c == 'N'; }


}  // namespace

bool parse_rwbs(std::string_view rwbs, BlockFlags& out) {
  std::uint16_t bits = 0;
  std::size_t i = 0;
  // A leading F is REQ_PREFLUSH only when an operation letter follows it; "F" alone,
  // or "F" followed by modifiers, is the flush operation itself.
  if (rwbs.size() >= 2 && rwbs[0] == 'F' && is_op_char(rwbs[1])) {
    bits |= BlockFlags::kPreflush;
    i = 1;
  }
  if (i >= rwbs.size()) return false;
  switch (rwbs[i++]) {
    case 'W': bits |= BlockFlags::kWrite; break;
    case 'R': bits |= BlockFlags::kRead; break;
    case 'F': bits |= BlockFlags::kFlushOp; break;
    case 'N': bits |= BlockFlags::kNoOp; break;
    case 'D':
      if (i < rwbs.size() && rwbs[i] == 'E') {
        bits |= BlockFlags::kSecureErase;
        ++i;
      } else {
        bits |= BlockFlags::kDiscard;
      }
      break;
    default: return false;
  }
  // Modifiers appear at most once each, in this order.
  static constexpr std::array<std::pair<char, BlockFlags::Bit>, 4> kModifiers{{
      {'F', BlockFlags::kFua}, {'A', BlockFlags::kReadahead},
      {'S', BlockFlags::kSync}, {'M', BlockFlags::kMeta}}};
  std::size_t next_modifier = 0;
  for (; i < rwbs.size(); ++i) {
    while (next_modifier < kModifiers.size() && kModifiers[next_modifier].first != rwbs[i])
      ++next_modifier;
    if (next_modifier == kModifiers.size()) return false;
    bits |= kModifiers[next_modifier++].second;
  }
  out = BlockFlags(bits);
  return true;
}

std::string format_rwbs(BlockFlags f) {
  std::string s;
  if (f.has(BlockFlags::kPreflush)) s += 'F';
  if (f.has(BlockFlags::kWrite)) s += 'W';
  else if (f.has(BlockFlags::kRead)) s += 'R';
  else if (f.has(BlockFlags::kDiscard)) s += 'D';
  else if (f.has(BlockFlags::kSecureErase)) s += "DE";
  else if (f.has(BlockFlags::kFlushOp)) s += 'F';
  else s += 'N';
  if (f.has(BlockFlags::kFua)) s += 'F';
  if (f.has(BlockFlags::kReadahead)) s += 'A';
  if (f.has(BlockFlags::kSync)) s += 'S';
  if (f.has(BlockFlags::kMeta)) s += 'M';
  return s;
}

std::string_view to_string(DeviceKind kind) {
  return kind == DeviceKind::net ? "net" : "block";
}

std::string_view to_string(RecordType type) {
  switch (type) {
    case RecordType::irq_entry: return "irq_handler_entry";
    case RecordType::irq_exit: return "irq_handler_exit";
    case RecordType::block_issue: return "block_rq_issue";
    case RecordType::block_complete: return "block_rq_complete";
    case RecordType::napi_poll: return "napi_poll";
    case RecordType::lost_events: return "lost_events";
    case RecordType::block_requeue: return "block_rq_requeue";
  }
  return "?";
}

std::string display_name(const Source& s) {
  if (s.name.empty()) return fmt::format("irq {}", s.irq);
  return fmt::format("{} (irq {})", s.name, s.irq);
}

}  // namespace irqshape::trace
