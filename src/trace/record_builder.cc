#include "trace/record_builder.h"

#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace irqshape::trace {

namespace {

// Handlers do not nest more deeply than this on one CPU; beyond it the oldest open
// entry is forgotten (its exit then falls back to the irq's last source).
constexpr std::size_t kMaxOpenHandlers = 16;

Record base(RecordType type, Nanos ts, std::uint32_t cpu) {
  Record r;
  r.type = type;
  r.ts = ts;
  r.cpu = static_cast<std::uint16_t>(cpu);
  return r;
}

Status check_irq(std::int64_t irq) {
  // -1: unknown (docs/trace-format.md), which the native format carries and the text
  // writer prints, so a converted trace reads back.
  if (irq < -1 || irq > INT32_MAX) return make_error("irq number {} out of range", irq);
  return {};
}

}  // namespace

Status RecordBuilder::check_cpu(std::uint32_t cpu) {
  if (cpu >= kMaxCpus) return make_error("cpu {} out of range (at most {} CPUs)", cpu, kMaxCpus);
  return {};
}

Result<SourceId> RecordBuilder::source_for(std::int32_t irq, std::string_view name) {
  if (name.size() > kMaxNameLength) {
    return make_error("interrupt name longer than {} bytes", kMaxNameLength);
  }
  if (const char c = control_character_in(name)) {
    return make_error("interrupt name has a control character (0x{:02x})", static_cast<unsigned char>(c));
  }
  key_.assign(reinterpret_cast<const char*>(&irq), sizeof irq);
  key_.append(name);
  if (auto it = sources_.find(std::string_view(key_)); it != sources_.end()) return it->second;
  if (catalog_.sources.size() >= kMaxSources) {
    return make_error("more than {} distinct interrupt sources", kMaxSources);
  }
  auto id = static_cast<SourceId>(catalog_.sources.size());
  catalog_.sources.push_back(Source{irq, std::string(name), classify_source_name(name)});
  sources_.emplace(key_, id);
  return id;
}

Result<DeviceId> RecordBuilder::block_device(std::uint32_t major, std::uint32_t minor) {
  std::uint64_t key = (std::uint64_t{major} << 32) | minor;
  if (auto it = block_devices_.find(key); it != block_devices_.end()) return it->second;
  if (catalog_.devices.size() >= kMaxDevices) return make_error("more than {} devices", kMaxDevices);
  auto id = static_cast<DeviceId>(catalog_.devices.size());
  catalog_.devices.push_back(Device{DeviceKind::block, major, minor, fmt::format("{},{}", major, minor)});
  block_devices_.emplace(key, id);
  return id;
}

Status RecordBuilder::irq_entry(Nanos ts, std::uint32_t cpu, std::int64_t irq, std::string_view name,
                                Record& out) {
  if (auto s = check_cpu(cpu); !s) return s;
  if (auto s = check_irq(irq); !s) return s;
  auto id = source_for(static_cast<std::int32_t>(irq), name);
  if (!id) return id.error();
  if (open_.size() <= cpu) open_.resize(cpu + 1);
  auto& stack = open_[cpu];
  if (stack.size() == kMaxOpenHandlers) stack.erase(stack.begin());
  stack.push_back({static_cast<std::int32_t>(irq), *id});
  last_by_irq_[static_cast<std::int32_t>(irq)] = *id;
  out = base(RecordType::irq_entry, ts, cpu);
  out.id = *id;
  return {};
}

Status RecordBuilder::irq_exit(Nanos ts, std::uint32_t cpu, std::int64_t irq, bool handled,
                               Record& out) {
  if (auto s = check_cpu(cpu); !s) return s;
  if (auto s = check_irq(irq); !s) return s;
  const auto irq32 = static_cast<std::int32_t>(irq);
  std::optional<SourceId> id;
  if (cpu < open_.size()) {
    auto& stack = open_[cpu];
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
      if (it->irq == irq32) {
        id = it->source;
        stack.erase(std::next(it).base());
        break;
      }
    }
  }
  if (!id) {
    // The entry was before the trace started (or was lost): use the irq's last source.
    if (auto it = last_by_irq_.find(irq32); it != last_by_irq_.end()) {
      id = it->second;
    } else {
      auto s = source_for(irq32, {});
      if (!s) return s.error();
      id = *s;
      last_by_irq_[irq32] = *id;
    }
  }
  out = base(RecordType::irq_exit, ts, cpu);
  out.id = *id;
  out.handled = handled;
  return {};
}

Status RecordBuilder::block(RecordType type, Nanos ts, std::uint32_t cpu, std::uint32_t major,
                            std::uint32_t minor, std::uint64_t sector, std::uint32_t nr_sectors,
                            std::uint32_t bytes, BlockFlags flags, std::int32_t error, Record& out) {
  if (auto s = check_cpu(cpu); !s) return s;
  auto id = block_device(major, minor);
  if (!id) return id.error();
  out = base(type, ts, cpu);
  out.id = *id;
  out.sector = sector;
  out.nr_sectors = nr_sectors;
  out.bytes = bytes;
  out.flags = flags;
  out.error = error;
  return {};
}

Status RecordBuilder::napi_poll(Nanos ts, std::uint32_t cpu, std::string_view dev, std::int32_t work,
                                std::int32_t budget, Record& out) {
  if (auto s = check_cpu(cpu); !s) return s;
  if (dev.size() > kMaxNameLength) return make_error("device name longer than {} bytes", kMaxNameLength);
  DeviceId id;
  if (auto it = net_devices_.find(dev); it != net_devices_.end()) {
    id = it->second;
  } else {
    if (catalog_.devices.size() >= kMaxDevices) return make_error("more than {} devices", kMaxDevices);
    id = static_cast<DeviceId>(catalog_.devices.size());
    catalog_.devices.push_back(Device{DeviceKind::net, 0, 0, std::string(dev)});
    net_devices_.emplace(std::string(dev), id);
  }
  out = base(RecordType::napi_poll, ts, cpu);
  out.id = id;
  out.work = work;
  out.budget = budget;
  return {};
}

Status RecordBuilder::lost_events(Nanos ts, std::uint32_t cpu, std::uint64_t count, Record& out) {
  if (auto s = check_cpu(cpu); !s) return s;
  // Whatever was open on that CPU may have exited unseen.
  if (cpu < open_.size()) open_[cpu].clear();
  out = base(RecordType::lost_events, ts, cpu);
  out.lost = count;
  return {};
}

}  // namespace irqshape::trace
