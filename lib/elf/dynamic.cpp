#include "elf/dynamic.hpp"

#include <cstring>
#include <limits>

#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::elf {

namespace {

using util::ErrorKind;
using util::Result;

constexpr std::uint32_t pt_load = 1;
constexpr std::uint32_t pt_dynamic = 2;
constexpr std::uint32_t pt_interp = 3;
constexpr std::uint32_t sht_strtab = 3;
constexpr std::uint32_t sht_dynamic = 6;
constexpr std::uint64_t dt_null = 0;
constexpr std::uint64_t dt_needed = 1;
constexpr std::uint64_t dt_strtab = 5;
constexpr std::uint64_t dt_strsz = 10;
constexpr std::uint64_t dt_soname = 14;
constexpr std::uint64_t dt_rpath = 15;
constexpr std::uint64_t dt_runpath = 29;
constexpr std::uint16_t pn_xnum = 0xffff;

// A byte range of the file: [offset, offset + size).
struct Range {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// Bounds-checked reads of the file in its class and byte order. Every read names the offset it
// needs; anything past the end is an error, never a read.
class File {
 public:
  File(std::span<const std::byte> bytes, std::string_view origin) : bytes_(bytes), origin_(origin) {}

  void set_layout(bool is_64, bool big_endian) {
    is_64_ = is_64;
    big_ = big_endian;
  }
  bool is_64() const { return is_64_; }
  std::uint64_t size() const { return bytes_.size(); }

  std::unexpected<util::Error> bad(std::string_view what) const {
    return util::fail(ErrorKind::invalid_input, std::string(origin_) + ": malformed ELF file: " + std::string(what));
  }

  // Whether [offset, offset + size) lies inside the file (overflow-safe).
  bool contains(std::uint64_t offset, std::uint64_t size) const {
    return offset <= bytes_.size() && size <= bytes_.size() - offset;
  }

  // An unsigned integer of `width` bytes (1, 2, 4 or 8) at `offset`; the caller checked bounds.
  std::uint64_t uint(std::uint64_t offset, unsigned width) const {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) {
      auto b = std::to_integer<std::uint64_t>(bytes_[offset + (big_ ? i : width - 1 - i)]);
      v = (v << 8) | b;
    }
    return v;
  }
  std::uint16_t u16(std::uint64_t offset) const { return static_cast<std::uint16_t>(uint(offset, 2)); }
  std::uint32_t u32(std::uint64_t offset) const { return static_cast<std::uint32_t>(uint(offset, 4)); }
  // An address or offset: 8 bytes in ELF64, 4 in ELF32.
  std::uint64_t word(std::uint64_t offset) const { return uint(offset, is_64_ ? 8 : 4); }

  std::string_view text(Range r) const {
    return {reinterpret_cast<const char*>(bytes_.data()) + r.offset, static_cast<std::size_t>(r.size)};
  }

 private:
  std::span<const std::byte> bytes_;
  std::string_view origin_;
  bool is_64_ = false;
  bool big_ = false;
};

struct Header {
  std::uint16_t type = 0;
  std::uint16_t machine = 0;
  std::uint64_t phoff = 0, shoff = 0;
  std::uint16_t phentsize = 0, shentsize = 0, shstrndx = 0;
  std::uint64_t phnum = 0, shnum = 0;
};

struct Segment {
  std::uint32_t type = 0;
  std::uint64_t offset = 0, vaddr = 0, filesz = 0;
};

struct Section {
  std::uint32_t type = 0;
  std::uint64_t addr = 0, offset = 0, size = 0;
  std::uint32_t link = 0;
};

// Checks that a table of `count` entries of `entsize` bytes (each at least `minimum`) at `offset`
// lies inside the file.
Result<void> check_table(const File& f, std::uint64_t offset, std::uint64_t count, std::uint64_t entsize,
                         std::uint64_t minimum, std::string_view what) {
  if (count == 0) return {};
  if (entsize < minimum)
    return f.bad(std::string(what) + " entry size " + std::to_string(entsize) + " is below " + std::to_string(minimum));
  if (count > f.size() / entsize || !f.contains(offset, count * entsize))
    return f.bad(std::string(what) + " (" + std::to_string(count) + " entries at offset " + std::to_string(offset) +
                 ") runs past the end of the file");
  return {};
}

Section read_section(const File& f, const Header& h, std::uint64_t index) {
  const auto at = h.shoff + index * h.shentsize;
  Section s;
  s.type = f.u32(at + 4);
  if (f.is_64()) {
    s.addr = f.uint(at + 16, 8);
    s.offset = f.uint(at + 24, 8);
    s.size = f.uint(at + 32, 8);
    s.link = f.u32(at + 40);
  } else {
    s.addr = f.u32(at + 12);
    s.offset = f.u32(at + 16);
    s.size = f.u32(at + 20);
    s.link = f.u32(at + 24);
  }
  return s;
}

Result<Header> read_header(const File& f) {
  const std::uint64_t ehsize = f.is_64() ? 64 : 52;
  if (!f.contains(0, ehsize)) return f.bad("the header is cut short (" + std::to_string(f.size()) + " bytes)");
  Header h;
  h.type = f.u16(16);
  h.machine = f.u16(18);
  const std::uint64_t o = f.is_64() ? 32 : 28;  // e_phoff
  const unsigned w = f.is_64() ? 8 : 4;
  h.phoff = f.uint(o, w);
  h.shoff = f.uint(o + w, w);
  const auto rest = o + 2 * w + 4;  // past e_flags
  h.phentsize = f.u16(rest + 2);
  h.phnum = f.u16(rest + 4);
  h.shentsize = f.u16(rest + 6);
  h.shnum = f.u16(rest + 8);
  h.shstrndx = f.u16(rest + 10);
  const std::uint64_t shdr_size = f.is_64() ? 64 : 40;
  // Counts too large for the header live in section 0 (e_shnum 0 with a section table, e_phnum
  // PN_XNUM).
  if (h.shoff != 0 && (h.shnum == 0 || h.phnum == pn_xnum)) {
    TRY(check_table(f, h.shoff, 1, h.shentsize, shdr_size, "section header table"));
    const auto at = h.shoff;
    if (h.shnum == 0) h.shnum = f.is_64() ? f.uint(at + 32, 8) : f.u32(at + 20);
    if (h.phnum == pn_xnum) h.phnum = f.u32(at + (f.is_64() ? 44 : 28));
  }
  if (h.shoff == 0) h.shnum = 0;
  TRY(check_table(f, h.phoff, h.phnum, h.phentsize, f.is_64() ? 56 : 32, "program header table"));
  TRY(check_table(f, h.shoff, h.shnum, h.shentsize, shdr_size, "section header table"));
  return h;
}

std::vector<Segment> read_segments(const File& f, const Header& h) {
  std::vector<Segment> out;
  out.reserve(static_cast<std::size_t>(h.phnum));
  for (std::uint64_t i = 0; i < h.phnum; ++i) {
    const auto at = h.phoff + i * h.phentsize;
    Segment s;
    s.type = f.u32(at);
    if (f.is_64()) {
      s.offset = f.uint(at + 8, 8);
      s.vaddr = f.uint(at + 16, 8);
      s.filesz = f.uint(at + 32, 8);
    } else {
      s.offset = f.u32(at + 4);
      s.vaddr = f.u32(at + 8);
      s.filesz = f.u32(at + 16);
    }
    out.push_back(s);
  }
  return out;
}

// The file range that holds `size` bytes at virtual address `addr` (size 0: as far as the
// segment's file-backed part goes), through the PT_LOAD segments.
std::optional<Range> map_address(const File& f, std::span<const Segment> segments, std::uint64_t addr) {
  for (const auto& s : segments) {
    if (s.type != pt_load || addr < s.vaddr || addr - s.vaddr >= s.filesz) continue;
    const auto delta = addr - s.vaddr;
    if (!f.contains(s.offset, s.filesz)) return std::nullopt;
    return Range{s.offset + delta, s.filesz - delta};
  }
  return std::nullopt;
}

// The NUL-terminated string at `offset` of the string table `table`.
Result<std::string> table_string(const File& f, Range table, std::uint64_t offset, std::size_t& total,
                                 std::string_view what) {
  if (offset >= table.size)
    return f.bad(std::string(what) + " names offset " + std::to_string(offset) + ", past its string table (" +
                 std::to_string(table.size) + " bytes)");
  const auto rest = f.text(Range{table.offset + offset, table.size - offset});
  const auto end = rest.substr(0, max_string + 1).find('\0');
  if (end == std::string_view::npos)
    return f.bad(
        std::string(what) + " at string table offset " + std::to_string(offset) +
        (rest.size() > max_string ? " is longer than " + std::to_string(max_string) + " bytes" : " is not terminated"));
  total += end + 1;  // the NUL too, so a million empty strings count
  if (total > max_strings_total)
    return f.bad("its dynamic strings add up to more than " + std::to_string(max_strings_total) + " bytes");
  return std::string(rest.substr(0, end));
}

std::vector<std::string> split_path_list(std::string_view s) {
  std::vector<std::string> out;
  for (auto& part : util::split(s, ':'))
    if (!part.empty()) out.push_back(std::move(part));
  return out;
}

struct DynamicEntries {
  std::vector<std::uint64_t> needed;
  std::optional<std::uint64_t> soname, strtab, strsz;
  std::vector<std::uint64_t> rpath, runpath;
};

DynamicEntries read_dynamic_entries(const File& f, Range dyn) {
  DynamicEntries e;
  const std::uint64_t entsize = f.is_64() ? 16 : 8;
  const unsigned w = f.is_64() ? 8 : 4;
  for (std::uint64_t at = dyn.offset; dyn.offset + dyn.size - at >= entsize; at += entsize) {
    const auto tag = f.uint(at, w);
    const auto val = f.uint(at + w, w);
    if (tag == dt_null) break;
    switch (tag) {
      case dt_needed:
        e.needed.push_back(val);
        break;
      case dt_soname:
        e.soname = val;
        break;
      case dt_strtab:
        e.strtab = val;
        break;
      case dt_strsz:
        e.strsz = val;
        break;
      case dt_rpath:
        e.rpath.push_back(val);
        break;
      case dt_runpath:
        e.runpath.push_back(val);
        break;
      default:
        break;
    }
  }
  return e;
}

}  // namespace

bool looks_like_elf(std::span<const std::byte> head) {
  return head.size() >= 4 && head[0] == std::byte{0x7f} && head[1] == std::byte{'E'} && head[2] == std::byte{'L'} &&
         head[3] == std::byte{'F'};
}

bool looks_like_elf(std::string_view head) {
  return looks_like_elf(std::as_bytes(std::span(head.data(), head.size())));
}

util::Result<std::optional<DynamicInfo>> read_dynamic(std::string_view bytes, std::string_view origin) {
  return read_dynamic(std::as_bytes(std::span(bytes.data(), bytes.size())), origin);
}

util::Result<std::optional<DynamicInfo>> read_dynamic(std::span<const std::byte> bytes, std::string_view origin) {
  if (!looks_like_elf(bytes)) return std::nullopt;
  File f(bytes, origin);
  if (bytes.size() < 16) return f.bad("the identification is cut short");
  const auto cls = std::to_integer<int>(bytes[4]);
  const auto data = std::to_integer<int>(bytes[5]);
  if (cls != 1 && cls != 2) return f.bad("unknown class " + std::to_string(cls));
  if (data != 1 && data != 2) return f.bad("unknown data encoding " + std::to_string(data));
  if (std::to_integer<int>(bytes[6]) != 1)
    return f.bad("unknown version " + std::to_string(std::to_integer<int>(bytes[6])));
  f.set_layout(cls == 2, data == 2);
  const auto header = TRY(read_header(f));

  DynamicInfo info;
  info.machine = header.machine;
  info.is_64 = f.is_64();
  info.big_endian = data == 2;
  info.type = header.type;

  const auto segments = read_segments(f, header);
  std::optional<Range> dynamic;
  for (const auto& s : segments) {
    if (s.type == pt_interp) {
      if (!f.contains(s.offset, s.filesz)) return f.bad("PT_INTERP runs past the end of the file");
      auto text = f.text(Range{s.offset, s.filesz});
      const auto end = text.find('\0');
      if (end == std::string_view::npos) return f.bad("PT_INTERP is not terminated");
      if (end > max_string) return f.bad("PT_INTERP is longer than " + std::to_string(max_string) + " bytes");
      info.interpreter = std::string(text.substr(0, end));
    } else if (s.type == pt_dynamic && !dynamic) {
      if (!f.contains(s.offset, s.filesz)) return f.bad("PT_DYNAMIC runs past the end of the file");
      dynamic = Range{s.offset, s.filesz};
    }
  }

  // The section headers: the fallback for both the dynamic array and its string table.
  std::optional<Section> dynamic_section;
  std::optional<Range> dynstr_section;
  for (std::uint64_t i = 0; i < header.shnum && !dynamic_section; ++i) {
    auto s = read_section(f, header, i);
    if (s.type != sht_dynamic) continue;
    if (!f.contains(s.offset, s.size)) return f.bad("the .dynamic section runs past the end of the file");
    dynamic_section = s;
    if (s.link != 0 && s.link < header.shnum) {
      auto str = read_section(f, header, s.link);
      if (str.type == sht_strtab) {
        if (!f.contains(str.offset, str.size))
          return f.bad("the dynamic string table section runs past the end of the file");
        dynstr_section = Range{str.offset, str.size};
      }
    }
  }
  if (!dynamic && dynamic_section) dynamic = Range{dynamic_section->offset, dynamic_section->size};
  if (!dynamic) return info;

  const auto entries = read_dynamic_entries(f, *dynamic);
  if (entries.needed.empty() && !entries.soname && entries.rpath.empty() && entries.runpath.empty()) return info;

  std::optional<Range> strtab;
  if (entries.strtab) {
    strtab = map_address(f, segments, *entries.strtab);
    if (strtab && entries.strsz) strtab->size = std::min(strtab->size, *entries.strsz);
  }
  if (!strtab) strtab = dynstr_section;
  if (!strtab) {
    if (!entries.strtab) return f.bad("the dynamic section has strings but no DT_STRTAB");
    return f.bad("DT_STRTAB address " + std::to_string(*entries.strtab) + " is in no file-backed PT_LOAD segment");
  }

  std::size_t total = 0;
  for (auto offset : entries.needed) info.needed.push_back(TRY(table_string(f, *strtab, offset, total, "DT_NEEDED")));
  if (entries.soname) info.soname = TRY(table_string(f, *strtab, *entries.soname, total, "DT_SONAME"));
  for (auto offset : entries.rpath)
    for (auto& dir : split_path_list(TRY(table_string(f, *strtab, offset, total, "DT_RPATH"))))
      info.rpath.push_back(std::move(dir));
  for (auto offset : entries.runpath)
    for (auto& dir : split_path_list(TRY(table_string(f, *strtab, offset, total, "DT_RUNPATH"))))
      info.runpath.push_back(std::move(dir));
  for (const auto& name : info.needed)
    if (name.empty()) return f.bad("a DT_NEEDED entry is empty");
  return info;
}

}  // namespace mlpack::elf
