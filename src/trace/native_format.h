// irqshape's native trace format: the constants both ends agree on. The format is
// documented byte by byte in docs/trace-format.md; change the two together.
//
//   file   = header block* end-block
//   header = magic[8] "\x89IRQT\r\n\x1a", u16 major, u16 minor, u32 crc32c(bytes 0..11)
//   block  = u32 type, u32 payload length, u32 entry count, u32 crc32c(type..count, payload),
//            payload
// All integers are little endian. Records inside DATA blocks are varint encoded with
// timestamps as zigzag deltas from the previous record of the same block.
#pragma once

#include <array>
#include <cstdint>

namespace irqshape::trace::native {

inline constexpr std::array<std::uint8_t, 8> kMagic{0x89, 'I', 'R', 'Q', 'T', '\r', '\n', 0x1A};
inline constexpr std::uint16_t kVersionMajor = 1;
inline constexpr std::uint16_t kVersionMinor = 0;
inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kBlockHeaderSize = 16;

// Block types. A type with kOptionalBlock set may be skipped by readers that do not
// know it; any other unknown type is an error.
enum BlockType : std::uint32_t {
  kMetaBlock = 1,  // "key=value\n" text, at most one, before any DATA block
  kDataBlock = 2,  // records and catalog definitions
  kEndBlock = 3,   // u64 records, u32 sources, u32 devices; must be last
};
inline constexpr std::uint32_t kOptionalBlock = 0x8000'0000u;

inline constexpr std::uint32_t kMaxPayload = 16u << 20;     // readers refuse larger blocks
inline constexpr std::uint32_t kTargetPayload = 64u << 10;  // writers close a block after this
inline constexpr std::uint32_t kMaxMetaPayload = 64u << 10;
inline constexpr std::uint32_t kEndPayloadSize = 16;

// Entry tags: the low 4 bits say what follows, the high 4 bits are flags.
enum Tag : std::uint8_t {
  // 0..5 are records, equal to RecordType.
  kDefineDevice = 14,
  kDefineSource = 15,
};
inline constexpr std::uint8_t kTagKindMask = 0x0F;
inline constexpr std::uint8_t kTagHandled = 0x10;     // irq_exit: the handler returned IRQ_HANDLED
inline constexpr std::uint8_t kTagSectorBytes = 0x10;  // block_*: bytes == nr_sectors * 512, not stored

}  // namespace irqshape::trace::native
