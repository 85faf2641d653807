#pragma once
// Hand-made ELF files for the cases the host has no real file for: ELF32, big endian, section
// headers without program headers. The layout is the one linkers write, in miniature: header,
// program headers, string table, dynamic array, section headers, one PT_LOAD mapping it all.
#include <cstdint>
#include <string>
#include <vector>

namespace elf_test {

struct ElfSpec {
  bool is_64 = true;
  bool big_endian = false;
  std::uint16_t machine = 62;
  std::vector<std::string> needed;
  std::string soname;
  std::string rpath;
  std::string runpath;
  std::string interpreter;
  bool program_headers = true;
  bool section_headers = true;
};

class Bytes {
 public:
  explicit Bytes(const ElfSpec& s) : s_(s) {}
  void put(std::uint64_t v, unsigned width) {
    for (unsigned i = 0; i < width; ++i) {
      unsigned shift = 8 * (s_.big_endian ? width - 1 - i : i);
      out.push_back(static_cast<char>((v >> shift) & 0xff));
    }
  }
  void word(std::uint64_t v) { put(v, s_.is_64 ? 8 : 4); }
  std::string out;

 private:
  const ElfSpec& s_;
};

inline std::string build_elf(const ElfSpec& s) {
  const unsigned w = s.is_64 ? 8 : 4;
  const std::uint64_t ehsize = s.is_64 ? 64 : 52, phentsize = s.is_64 ? 56 : 32, shentsize = s.is_64 ? 64 : 40;
  const std::uint64_t base = 0x400000;

  std::string strtab(1, '\0');
  auto add_string = [&](const std::string& str) {
    auto at = strtab.size();
    strtab += str;
    strtab += '\0';
    return at;
  };
  std::vector<std::pair<std::uint64_t, std::uint64_t>> dyn;
  for (const auto& n : s.needed) dyn.emplace_back(1, add_string(n));
  if (!s.soname.empty()) dyn.emplace_back(14, add_string(s.soname));
  if (!s.rpath.empty()) dyn.emplace_back(15, add_string(s.rpath));
  if (!s.runpath.empty()) dyn.emplace_back(29, add_string(s.runpath));
  std::string interp = s.interpreter.empty() ? "" : s.interpreter + '\0';

  const std::uint64_t phnum = s.program_headers ? (interp.empty() ? 2 : 3) : 0;
  const std::uint64_t interp_off = ehsize + phnum * phentsize;
  const std::uint64_t strtab_off = interp_off + interp.size();
  const std::uint64_t dyn_off = strtab_off + strtab.size();
  dyn.emplace_back(5, base + strtab_off);  // DT_STRTAB
  dyn.emplace_back(10, strtab.size());     // DT_STRSZ
  dyn.emplace_back(0, 0);                  // DT_NULL
  const std::uint64_t dyn_size = dyn.size() * 2 * w;
  const std::uint64_t shoff = dyn_off + dyn_size;
  const std::uint64_t shnum = s.section_headers ? 3 : 0;
  const std::uint64_t total = shoff + shnum * shentsize;

  Bytes b(s);
  b.out +=
      "\x7f"
      "ELF";
  b.out += static_cast<char>(s.is_64 ? 2 : 1);
  b.out += static_cast<char>(s.big_endian ? 2 : 1);
  b.out += '\1';
  b.out.append(9, '\0');
  b.put(3, 2);  // ET_DYN
  b.put(s.machine, 2);
  b.put(1, 4);
  b.word(0);                   // e_entry
  b.word(phnum ? ehsize : 0);  // e_phoff
  b.word(shnum ? shoff : 0);   // e_shoff
  b.put(0, 4);                 // e_flags
  b.put(ehsize, 2);
  b.put(phentsize, 2);
  b.put(phnum, 2);
  b.put(shentsize, 2);
  b.put(shnum, 2);
  b.put(0, 2);  // e_shstrndx
  auto phdr = [&](std::uint32_t type, std::uint64_t off, std::uint64_t size) {
    if (s.is_64) {
      b.put(type, 4);
      b.put(6, 4);
      b.word(off);
      b.word(base + off);
      b.word(base + off);
      b.word(size);
      b.word(size);
      b.word(8);
    } else {
      b.put(type, 4);
      b.word(off);
      b.word(base + off);
      b.word(base + off);
      b.word(size);
      b.word(size);
      b.put(6, 4);
      b.word(4);
    }
  };
  if (phnum) {
    phdr(1, 0, total);  // PT_LOAD: the whole file
    phdr(2, dyn_off, dyn_size);
    if (!interp.empty()) phdr(3, interp_off, interp.size());
  }
  b.out += interp;
  b.out += strtab;
  for (auto [tag, val] : dyn) {
    b.word(tag);
    b.word(val);
  }
  auto shdr = [&](std::uint32_t type, std::uint64_t off, std::uint64_t size, std::uint32_t link) {
    b.put(0, 4);
    b.put(type, 4);
    b.word(0);
    b.word(type ? base + off : 0);
    b.word(off);
    b.word(size);
    b.put(link, 4);
    b.put(0, 4);
    b.word(type ? 8 : 0);
    b.word(type == 6 ? 2 * w : 0);
  };
  if (shnum) {
    shdr(0, 0, 0, 0);
    shdr(6, dyn_off, dyn_size, 2);
    shdr(3, strtab_off, strtab.size(), 0);
  }
  return b.out;
}

}  // namespace elf_test
