// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of the native
// trace format. Software slicing-by-8: about 1-2 GB/s, well above what decoding needs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace irqshape::trace {

// Extends `crc` (0 for a fresh checksum) over `size` bytes.
[[nodiscard]] std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size);

}  // namespace irqshape::trace
