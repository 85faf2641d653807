#include "elf/soname.hpp"

#include <algorithm>
#include <vector>

namespace mlpack::elf {

namespace {

constexpr std::uint32_t pt_load = 1;
constexpr std::uint32_t pt_dynamic = 2;
constexpr std::uint64_t dt_null = 0;
constexpr std::uint64_t dt_strtab = 5;
constexpr std::uint64_t dt_strsz = 10;
constexpr std::uint64_t dt_soname = 14;
constexpr std::size_t max_soname = 4096;
constexpr std::uint64_t max_program_headers = 4096;
constexpr std::uint64_t max_dynamic = 1024 * 1024;

struct Layout {
  bool is_64 = false;
  bool big = false;
  std::uint64_t uint(std::string_view b, std::uint64_t offset, unsigned width) const {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i)
      v = (v << 8) | static_cast<unsigned char>(b[offset + (big ? i : width - 1 - i)]);
    return v;
  }
  std::uint64_t word(std::string_view b, std::uint64_t offset) const { return uint(b, offset, is_64 ? 8 : 4); }
};

struct Segment {
  std::uint32_t type;
  std::uint64_t offset, vaddr, filesz;
};

// Exactly `size` bytes at `offset`, or nothing.
std::optional<std::string> exactly(const ReadAt& read, std::uint64_t offset, std::uint64_t size) {
  if (size > max_dynamic * 8) return std::nullopt;
  auto got = read(offset, static_cast<std::size_t>(size));
  if (!got || got->size() != size) return std::nullopt;
  return got;
}

// The header's layout and program headers.
std::optional<std::pair<Layout, std::vector<Segment>>> program_headers(const ReadAt& read) {
  auto ident = exactly(read, 0, 16);
  if (!ident || !ident->starts_with("\x7f" "ELF")) return std::nullopt;
  Layout l;
  const int cls = (*ident)[4], data = (*ident)[5];
  if ((cls != 1 && cls != 2) || (data != 1 && data != 2)) return std::nullopt;
  l.is_64 = cls == 2;
  l.big = data == 2;
  const unsigned w = l.is_64 ? 8 : 4;
  auto header = exactly(read, 0, l.is_64 ? 64 : 52);
  if (!header) return std::nullopt;
  // e_phoff follows e_entry (after 16 + 2 + 2 + 4 bytes); e_phentsize and e_phnum follow e_shoff,
  // e_flags and e_ehsize.
  const std::uint64_t phoff = l.word(*header, 24 + w);
  const std::uint64_t at = 24 + 3 * static_cast<std::uint64_t>(w) + 4 + 2;
  const std::uint64_t phentsize = l.uint(*header, at, 2), phnum = l.uint(*header, at + 2, 2);
  const std::uint64_t phdr_size = l.is_64 ? 56 : 32;
  if (phnum == 0 || phnum > max_program_headers || phentsize < phdr_size || phentsize > 1024) return std::nullopt;
  auto table = exactly(read, phoff, phnum * phentsize);
  if (!table) return std::nullopt;
  std::vector<Segment> out;
  for (std::uint64_t i = 0; i < phnum; ++i) {
    const std::uint64_t p = i * phentsize;
    // ELF64: type, flags, offset, vaddr, paddr, filesz; ELF32: type, offset, vaddr, paddr, filesz.
    Segment s{static_cast<std::uint32_t>(l.uint(*table, p, 4)), 0, 0, 0};
    if (l.is_64) {
      s.offset = l.word(*table, p + 8), s.vaddr = l.word(*table, p + 16), s.filesz = l.word(*table, p + 32);
    } else {
      s.offset = l.word(*table, p + 4), s.vaddr = l.word(*table, p + 8), s.filesz = l.word(*table, p + 16);
    }
    out.push_back(s);
  }
  return std::pair{l, std::move(out)};
}

std::optional<Segment> dynamic_of(const std::vector<Segment>& segments) {
  for (const auto& s : segments)
    if (s.type == pt_dynamic) return s;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> read_soname(const ReadAt& read) {
  auto headers = program_headers(read);
  if (!headers) return std::nullopt;
  const auto& [l, segments] = *headers;
  auto dynamic = dynamic_of(segments);
  if (!dynamic) return std::nullopt;
  const std::uint64_t entry = l.is_64 ? 16 : 8;
  const std::uint64_t size = std::min(dynamic->filesz, max_dynamic) / entry * entry;
  if (size == 0) return std::nullopt;
  auto bytes = read(dynamic->offset, static_cast<std::size_t>(size));
  if (!bytes) return std::nullopt;
  std::optional<std::uint64_t> strtab, strsz, soname;
  for (std::uint64_t at = 0; at + entry <= bytes->size(); at += entry) {
    const auto tag = l.word(*bytes, at), value = l.word(*bytes, at + entry / 2);
    if (tag == dt_null) break;
    if (tag == dt_strtab) strtab = value;
    if (tag == dt_strsz) strsz = value;
    if (tag == dt_soname) soname = value;
  }
  if (!strtab || !soname || (strsz && *soname >= *strsz)) return std::nullopt;
  // The string table's address, mapped to a file offset through the segment that loads it.
  std::optional<std::uint64_t> table;
  for (const auto& s : segments)
    if (s.type == pt_load && *strtab >= s.vaddr && *strtab - s.vaddr < s.filesz) {
      table = s.offset + (*strtab - s.vaddr);
      break;
    }
  if (!table || *soname > UINT64_MAX - *table) return std::nullopt;
  auto text = read(*table + *soname, max_soname + 1);
  if (!text) return std::nullopt;
  auto nul = text->find('\0');
  if (nul == std::string::npos || nul == 0) return std::nullopt;
  return text->substr(0, nul);
}

std::optional<std::string> soname_from_head(std::string_view head) {
  return read_soname([head](std::uint64_t offset, std::size_t size) -> std::optional<std::string> {
    if (offset >= head.size()) return std::nullopt;
    return std::string(head.substr(static_cast<std::size_t>(offset), size));
  });
}

std::optional<std::string> soname_from_head(std::span<const std::byte> head) {
  return soname_from_head(std::string_view(reinterpret_cast<const char*>(head.data()), head.size()));
}

void SonameStream::feed(std::span<const std::byte> chunk) {
  feed(std::string_view(reinterpret_cast<const char*>(chunk.data()), chunk.size()));
}

void SonameStream::feed(std::string_view chunk) {
  const std::uint64_t start = position_;
  position_ += chunk.size();
  if (head_.size() < head_size_) {
    head_.append(chunk.substr(0, std::min(chunk.size(), head_size_ - head_.size())));
    if (!located_) locate_dynamic();
  }
  if (!dynamic_) return;
  // The part of this chunk inside the dynamic array, appended in order.
  const auto [offset, size] = *dynamic_;
  const std::uint64_t want = offset + dynamic_bytes_.size();
  if (dynamic_bytes_.size() >= size || position_ <= want || start > want) return;
  const std::uint64_t from = want - start;
  dynamic_bytes_.append(chunk.substr(static_cast<std::size_t>(from),
                                     static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size() - from,
                                                                                      size - dynamic_bytes_.size()))));
}

void SonameStream::locate_dynamic() {
  std::string_view head = head_;
  auto headers = program_headers([head](std::uint64_t offset, std::size_t size) -> std::optional<std::string> {
    if (offset >= head.size()) return std::nullopt;
    return std::string(head.substr(static_cast<std::size_t>(offset), size));
  });
  if (!headers) {
    // Not yet all there, or not ELF: decided once the head is full.
    located_ = head_.size() >= head_size_ || (head_.size() >= 4 && !head_.starts_with("\x7f" "ELF"));
    return;
  }
  located_ = true;
  if (auto d = dynamic_of(headers->second))
    dynamic_ = std::pair<std::uint64_t, std::uint64_t>{d->offset, std::min(d->filesz, max_dynamic)};
  // What already passed of it is in the head.
  if (dynamic_ && dynamic_->first < head_.size())
    dynamic_bytes_ = head_.substr(static_cast<std::size_t>(dynamic_->first),
                                  static_cast<std::size_t>(dynamic_->second));
}

std::optional<std::string> SonameStream::soname() const {
  return read_soname([this](std::uint64_t offset, std::size_t size) -> std::optional<std::string> {
    if (offset < head_.size()) return head_.substr(static_cast<std::size_t>(offset), size);
    if (dynamic_ && offset >= dynamic_->first && offset - dynamic_->first < dynamic_bytes_.size())
      return dynamic_bytes_.substr(static_cast<std::size_t>(offset - dynamic_->first), size);
    return std::nullopt;
  });
}

}  // namespace mlpack::elf
