// struct hvm_start_info: what the PVH loader hands the kernel in %ebx. Layout from Xen's
// public/arch-x86/hvm/start_info.h (version 1); QEMU's PVH option ROM
// (pc-bios/optionrom/pvh_main.c) fills magic, version, rsdp_paddr and the memory map.
#pragma once

#include <cstdint>

namespace guest {

struct HvmStartInfo {
  static constexpr std::uint32_t kMagic = 0x336EC578;  // XEN_HVM_START_MAGIC_VALUE
  std::uint32_t magic;
  std::uint32_t version;
  std::uint32_t flags;
  std::uint32_t nr_modules;
  std::uint64_t modlist_paddr;
  std::uint64_t cmdline_paddr;
  std::uint64_t rsdp_paddr;
  // version >= 1
  std::uint64_t memmap_paddr;
  std::uint32_t memmap_entries;
  std::uint32_t reserved;
};

struct HvmMemmapEntry {
  static constexpr std::uint32_t kTypeRam = 1;  // XEN_HVM_MEMMAP_TYPE_RAM (= E820 RAM)
  std::uint64_t addr;
  std::uint64_t size;
  std::uint32_t type;
  std::uint32_t reserved;
};

}  // namespace guest

// Physical address of the HvmStartInfo, stored by boot/entry.S.
extern "C" std::uint32_t boot_start_info;
