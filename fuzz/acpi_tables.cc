// Fuzzes the guest's ACPI parser (guest/acpi/acpi.cc): any bytes as physical memory from
// 0x1000 on, with the RSDP pointer (the PVH loader's hint) at 0x1000. Table checksums are
// summed but not enforced here (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION), so random
// lengths, entries and addresses reach the parsing. A read outside the input is a crash
// under ASan; the parse must either fail with an error or give a platform within bounds.
#include <cstdint>
#include <cstdlib>

#include "acpi/acpi.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace guest::acpi;
  constexpr std::uint64_t kBase = 0x1000;
  const PhysicalMemory memory{kBase, kBase + size, reinterpret_cast<std::uintptr_t>(data) - kBase};
  Platform platform;
  const char* error = nullptr;
  if (!parse(kBase, memory, platform, error)) {
    if (error == nullptr || error[0] == '\0') std::abort();  // a refusal says why
    return 0;
  }
  if (platform.processors == 0 || platform.processors > kMaxProcessors) std::abort();
  if (platform.ioapic_count == 0 || platform.ioapic_count > kMaxIoApics) std::abort();
  if (platform.override_count > kMaxOverrides) std::abort();
  if (platform.local_apic_address >= kIdentityMapEnd || platform.hpet_address >= kIdentityMapEnd) std::abort();
  return 0;
}
