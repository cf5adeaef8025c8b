// The event model every trace reader produces and the simulator replays.
//
// A trace is two small tables and one long stream:
//   - sources: interrupt sources (an irq line's action, as Linux names it in
//     /proc/interrupts: "virtio1-req.0", "nvme0q1", "eth0-TxRx-0"),
//   - devices: block devices (major,minor) and network interfaces ("eth0") that
//     block and NAPI records refer to,
//   - records: a time-ordered stream of what happened, with a nanosecond timestamp
//     and the CPU it happened on.
// Records are plain values of one struct (no inheritance, no variant) so readers can
// hand them out one at a time without allocating. Fields that a record type does not
// use stay zero. Derived views (matched block requests, handler spans, arrival times)
// live in views.h; they are computed from the stream, never stored in it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/source_kind.h"

namespace irqshape::trace {

using Nanos = std::uint64_t;    // timestamps: trace clock, nanoseconds
using SourceId = std::uint32_t; // index into Catalog::sources
using DeviceId = std::uint32_t; // index into Catalog::devices

// What an interrupt source serves, as far as its name or the capture host tells
// (base/source_kind.h: classify_source_name guesses it from the name alone; capture
// refines it from sysfs).
using ::irqshape::classify_source_name;
using ::irqshape::kLastSourceKind;
using ::irqshape::SourceKind;
using ::irqshape::to_string;

struct Source {
  std::int32_t irq = -1;  // Linux irq number, -1 if unknown
  std::string name;       // action name as Linux shows it; empty if the trace never named it
  SourceKind kind = SourceKind::other;

  friend bool operator==(const Source&, const Source&) = default;
};

enum class DeviceKind : std::uint8_t { block = 0, net = 1 };
inline constexpr DeviceKind kLastDeviceKind = DeviceKind::net;

struct Device {
  DeviceKind kind = DeviceKind::block;
  std::uint32_t major = 0;  // block devices only
  std::uint32_t minor = 0;
  std::string name;  // net: interface ("eth0"); block: "254,0", or "vda" when known

  friend bool operator==(const Device&, const Device&) = default;
};

// The tables records refer to. A streaming reader grows them as new sources appear;
// ids already handed out never change meaning. Index by id; do not keep references
// across reads (the vectors may reallocate).
struct Catalog {
  std::vector<Source> sources;
  std::vector<Device> devices;

  friend bool operator==(const Catalog&, const Catalog&) = default;
};

// Block request flags, decoded from the kernel's "rwbs" string (blk_fill_rwbs):
// [F]lush-before, then the operation (W, R, D, DE, F, N), then F(UA), A(head), S(ync), M(eta).
class BlockFlags {
 public:
  enum Bit : std::uint16_t {
    kRead = 1u << 0,
    kWrite = 1u << 1,
    kDiscard = 1u << 2,
    kSecureErase = 1u << 3,
    kFlushOp = 1u << 4,    // REQ_OP_FLUSH: the request is a cache flush
    kNoOp = 1u << 5,       // 'N': another operation (zone management, driver private)
    kPreflush = 1u << 6,   // REQ_PREFLUSH: flush the cache before this request
    kFua = 1u << 7,        // REQ_FUA: forced unit access
    kReadahead = 1u << 8,  // REQ_RAHEAD
    kSync = 1u << 9,       // REQ_SYNC
    kMeta = 1u << 10,      // REQ_META
  };
  static constexpr std::uint16_t kAllBits = (1u << 11) - 1;

  constexpr BlockFlags() = default;
  constexpr explicit BlockFlags(std::uint16_t bits) : bits_(bits) {}

  [[nodiscard]] constexpr std::uint16_t bits() const { return bits_; }
  [[nodiscard]] constexpr bool has(Bit b) const { return (bits_ & b) != 0; }
  [[nodiscard]] constexpr bool is_read() const { return has(kRead); }
  [[nodiscard]] constexpr bool is_write() const { return has(kWrite); }
  [[nodiscard]] constexpr bool is_sync() const { return has(kSync); }
  // Any flush semantics: a flush request, a flush before, or a forced unit access.
  [[nodiscard]] constexpr bool is_flush() const { return (bits_ & (kFlushOp | kPreflush | kFua)) != 0; }

  friend constexpr bool operator==(BlockFlags, BlockFlags) = default;

 private:
  std::uint16_t bits_ = 0;
};

// Decodes an rwbs string ("WS", "FWFS", "RA", "DS"). Returns false for anything that
// blk_fill_rwbs cannot produce, so hostile text does not become a plausible request.
[[nodiscard]] bool parse_rwbs(std::string_view rwbs, BlockFlags& out);
// The rwbs string the kernel would print for these flags.
[[nodiscard]] std::string format_rwbs(BlockFlags flags);

enum class RecordType : std::uint8_t {
  irq_entry = 0,       // irq:irq_handler_entry    source
  irq_exit = 1,        // irq:irq_handler_exit     source, handled
  block_issue = 2,     // block:block_rq_issue     device, sector, nr_sectors, bytes, flags
  block_complete = 3,  // block:block_rq_complete  device, sector, nr_sectors, bytes, flags, error
  napi_poll = 4,       // napi:napi_poll           device, work, budget
  lost_events = 5,     // the ring buffer dropped `lost` events on `cpu` before this point
  block_requeue = 6,   // block:block_rq_requeue   device, sector, nr_sectors, bytes, flags:
                       // the driver gave an issued request back; it will be issued again
};
inline constexpr RecordType kLastRecordType = RecordType::block_requeue;

struct Record {
  Nanos ts = 0;
  RecordType type = RecordType::irq_entry;
  bool handled = false;      // irq_exit: the handler returned IRQ_HANDLED
  std::uint16_t cpu = 0;
  std::uint32_t id = 0;      // irq_*: SourceId; block_*, napi_poll: DeviceId
  std::uint64_t sector = 0;  // block_*
  std::uint32_t nr_sectors = 0;
  std::uint32_t bytes = 0;   // block_issue: request size; complete, requeue: nr_sectors * 512
  BlockFlags flags;          // block_*
  std::int32_t error = 0;    // block_complete: 0 or a negative errno
  std::int32_t work = 0;     // napi_poll: packets processed in this poll
  std::int32_t budget = 0;   // napi_poll: the poll's budget
  std::uint64_t lost = 0;    // lost_events: how many; 0 = the kernel did not say

  friend bool operator==(const Record&, const Record&) = default;
};

// A trace's lost-event markers: where its ring buffer dropped events, and how many the
// markers say were dropped (a marker without a count stands for an unknown number).
struct LostEvents {
  std::uint64_t markers = 0;
  std::uint64_t events = 0;             // the counts the markers give
  std::uint64_t uncounted_markers = 0;  // markers that give no count

  void add(const Record& r) {
    ++markers;
    events += r.lost;
    if (r.lost == 0) ++uncounted_markers;
  }
};

[[nodiscard]] std::string_view to_string(DeviceKind kind);
[[nodiscard]] std::string_view to_string(RecordType type);

// "virtio1-req.0 (irq 36)", or "irq 36" for a source the trace never named.
[[nodiscard]] std::string display_name(const Source& source);

// Limits every reader enforces, so hostile input cannot make tables grow without bound.
inline constexpr std::size_t kMaxSources = 1u << 14;
inline constexpr std::size_t kMaxDevices = 1u << 14;
inline constexpr std::size_t kMaxNameLength = 255;

// The first control character (below 0x20, or DEL) in a source or device name, or 0:
// such names are refused when read, since the text formats could not carry them (a
// newline would start another line).
[[nodiscard]] constexpr char control_character_in(std::string_view name) {
  for (const char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return c;
  return 0;
}
inline constexpr std::uint32_t kMaxCpus = 8192;

}  // namespace irqshape::trace
