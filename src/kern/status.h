// NTSTATUS-style result codes of the guest kernel's interrupt core. The values are the
// real NT ones (ntstatus.h), so a status printed by the guest can be looked up as is.
//
// Where NT is vague we are more precise and say so: a sharing conflict in
// IoConnectInterrupt is plain STATUS_INVALID_PARAMETER in NT (ReactOS irq.c: a failed
// KeConnectInterrupt becomes STATUS_INVALID_PARAMETER); we return the numbered form that
// names the parameter (STATUS_INVALID_PARAMETER_8 for the mode, _9 for the share flag).
// NT_SUCCESS treats both alike; is_invalid_parameter() groups the whole family.
#pragma once

#include <cstdint>

namespace irqshape::kern {

enum class NTSTATUS : std::uint32_t {
  STATUS_SUCCESS = 0x0000'0000,
  STATUS_PENDING = 0x0000'0103,
  STATUS_DEVICE_BUSY = 0x8000'0011,
  STATUS_UNSUCCESSFUL = 0xC000'0001,
  STATUS_INVALID_PARAMETER = 0xC000'000D,
  STATUS_INSUFFICIENT_RESOURCES = 0xC000'009A,
  STATUS_NOT_SUPPORTED = 0xC000'00BB,
  STATUS_DEVICE_DOES_NOT_EXIST = 0xC000'00C0,
  STATUS_INVALID_PARAMETER_1 = 0xC000'00EF,
  STATUS_INVALID_PARAMETER_2 = 0xC000'00F0,
  STATUS_INVALID_PARAMETER_3 = 0xC000'00F1,
  STATUS_INVALID_PARAMETER_4 = 0xC000'00F2,
  STATUS_INVALID_PARAMETER_5 = 0xC000'00F3,
  STATUS_INVALID_PARAMETER_6 = 0xC000'00F4,
  STATUS_INVALID_PARAMETER_7 = 0xC000'00F5,
  STATUS_INVALID_PARAMETER_8 = 0xC000'00F6,
  STATUS_INVALID_PARAMETER_9 = 0xC000'00F7,
  STATUS_INVALID_PARAMETER_10 = 0xC000'00F8,
  STATUS_INVALID_PARAMETER_11 = 0xC000'00F9,
  STATUS_INVALID_PARAMETER_12 = 0xC000'00FA,
  STATUS_INVALID_DEVICE_STATE = 0xC000'0184,
  STATUS_NOT_FOUND = 0xC000'0225,
};
using enum NTSTATUS;

// NT's NT_SUCCESS: success and informational codes have the top bit clear.
[[nodiscard]] constexpr bool NT_SUCCESS(NTSTATUS s) { return (static_cast<std::uint32_t>(s) & 0x8000'0000u) == 0; }

[[nodiscard]] constexpr bool is_invalid_parameter(NTSTATUS s) {
  return s == STATUS_INVALID_PARAMETER ||
         (s >= STATUS_INVALID_PARAMETER_1 && s <= STATUS_INVALID_PARAMETER_12);
}

// "STATUS_INSUFFICIENT_RESOURCES" etc.; "STATUS_<unknown>" for values not listed above.
[[nodiscard]] const char* status_name(NTSTATUS s);

}  // namespace irqshape::kern
