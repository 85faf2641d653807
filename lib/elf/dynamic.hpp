#pragma once
// The ELF dynamic section read from a file's bytes, without running anything (no ldd, no loader):
// what a shared object or executable asks the dynamic loader for. Strict and bounded for files
// from outside: every offset and size is checked against the file before it is read, and
// strings against their table.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::elf {

// e_machine values the loader's default directories are known for.
inline constexpr std::uint16_t em_386 = 3;
inline constexpr std::uint16_t em_arm = 40;
inline constexpr std::uint16_t em_ppc64 = 21;
inline constexpr std::uint16_t em_s390 = 22;
inline constexpr std::uint16_t em_x86_64 = 62;
inline constexpr std::uint16_t em_aarch64 = 183;
inline constexpr std::uint16_t em_riscv = 243;

struct DynamicInfo {
  std::uint16_t machine = 0;         // e_machine
  bool is_64 = false;                // ELFCLASS64
  bool big_endian = false;           // ELFDATA2MSB
  std::uint16_t type = 0;            // e_type: 1 relocatable, 2 executable, 3 shared object or PIE
  std::string soname;                // DT_SONAME, "" when absent
  std::vector<std::string> needed;   // DT_NEEDED, in the file's order
  std::vector<std::string> rpath;    // DT_RPATH split on ':' (empty parts dropped)
  std::vector<std::string> runpath;  // DT_RUNPATH split on ':'
  std::string interpreter;           // PT_INTERP, "" when absent
};

// Caps for one file: a real object has tens of DT_NEEDED and strings far below these.
inline constexpr std::size_t max_string = 64 * 1024;           // one DT_* string
inline constexpr std::size_t max_strings_total = 1024 * 1024;  // all the strings taken together

// Whether `head` (the first bytes of a file; 4 are enough) starts with the ELF magic.
bool looks_like_elf(std::span<const std::byte> head);
bool looks_like_elf(std::string_view head);

// Reads the dynamic section of the ELF file `bytes` (the whole file; the caller bounds its size).
// nullopt when the bytes are not ELF (no magic). An object without a dynamic section (a static
// executable, a relocatable .o) gives a DynamicInfo with nothing needed.
// ELF32 and ELF64, little and big endian. The dynamic array comes from PT_DYNAMIC, its string
// table from DT_STRTAB's address mapped through the PT_LOAD segments; when there are no program
// headers (or the address is not in a file-backed segment), from the section headers (.dynamic
// of type SHT_DYNAMIC and the string table its sh_link names).
// invalid_input naming what is wrong (`origin` leads the message) for a file with the magic that
// is truncated, inconsistent or over the caps above.
util::Result<std::optional<DynamicInfo>> read_dynamic(std::span<const std::byte> bytes,
                                                      std::string_view origin = "ELF file");
util::Result<std::optional<DynamicInfo>> read_dynamic(std::string_view bytes, std::string_view origin = "ELF file");

}  // namespace mlpack::elf
