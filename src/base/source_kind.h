// What kind of device an interrupt source belongs to, and the guess made from its name
// when nothing better is known (the name in /proc/interrupts or irq_handler_entry, or
// the one a user gives). Traces record it, the ISD picks coalescing defaults by it and
// the simulator's policies treat device classes differently (NIC moderation, NVMe
// aggregation), so there is one definition for all of them.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace irqshape {

// The numeric values are stored in native trace files (docs/trace-format.md): append only.
enum class SourceKind : std::uint8_t { other = 0, block = 1, net = 2, timer = 3 };
inline constexpr SourceKind kLastSourceKind = SourceKind::timer;
inline constexpr std::array<SourceKind, 4> kSourceKinds = {SourceKind::block, SourceKind::net, SourceKind::timer,
                                                          SourceKind::other};

// "block", "net", "timer", "other": the names reports, rule files and policy parameters use.
constexpr std::string_view to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::block: return "block";
    case SourceKind::net: return "net";
    case SourceKind::timer: return "timer";
    case SourceKind::other: break;
  }
  return "other";
}

// Linux's names for the interrupts of common drivers. virtio queues are named
// "virtio<N>-<queue>": virtio-blk "req.<q>", virtio-net "input.<q>"/"output.<q>"; other
// virtio devices (vsock "rx"/"tx", balloon, console) are "other". Names a user made up
// for a model follow the same prefixes ("nvme0", "nic1", "disk").
constexpr SourceKind classify_source_name(std::string_view n) {
  const auto contains = [n](std::string_view part) { return n.find(part) != std::string_view::npos; };
  if (n.starts_with("virtio")) {
    if (contains("-req")) return SourceKind::block;
    if (contains("-input.") || contains("-output.")) return SourceKind::net;
    return SourceKind::other;
  }
  constexpr std::array<std::string_view, 12> kBlock{"nvme", "ahci", "ata",  "mmc",     "megasas", "mpt",
                                                    "scsi", "sata", "disk", "xen-blk", "vd",      "sd"};
  constexpr std::array<std::string_view, 13> kNet{"eth",  "enp", "ens", "eno", "enx",   "wlan",   "wlp",
                                                  "nic",  "mlx", "ice", "i40e", "ixgbe", "xen-net"};
  constexpr std::array<std::string_view, 6> kTimer{"timer", "hpet", "rtc", "arch_timer", "LOC", "tick"};
  for (const auto p : kBlock)
    if (n.starts_with(p)) return SourceKind::block;
  for (const auto p : kNet)
    if (n.starts_with(p)) return SourceKind::net;
  for (const auto p : kTimer)
    if (n.starts_with(p)) return SourceKind::timer;
  if (contains("blk")) return SourceKind::block;
  if (contains("-TxRx-") || contains("-rx-") || contains("-tx-")) return SourceKind::net;
  if (contains("apic-timer")) return SourceKind::timer;
  return SourceKind::other;
}

}  // namespace irqshape
