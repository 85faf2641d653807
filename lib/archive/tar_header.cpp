#include "archive/tar_header.hpp"

#include <algorithm>
#include <cstring>

namespace mlpack::archive::detail {

namespace {

// `width - 1` zero-padded octal digits and a NUL, as ustar and every reader expect.
void put_octal(char* field, std::size_t width, std::uint64_t value) {
  field[width - 1] = '\0';
  for (std::size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

// `digits` zero-padded octal digits, then a space, then a NUL if the field has room for one.
void put_octal_space(char* field, std::size_t width, std::size_t digits, std::uint64_t value) {
  for (std::size_t i = digits; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[digits] = ' ';
  if (digits + 1 < width) field[digits + 1] = '\0';
}

void put_string(char* field, std::size_t width, std::string_view s) {
  std::memcpy(field, s.data(), std::min(width, s.size()));
}

std::string ustar_block(const TarHeader& h) {
  std::string b(tar_block, '\0');
  char* p = b.data();
  put_string(p + 0, 100, h.name);
  if (h.style == NumberStyle::nul_terminated) {
    put_octal(p + 100, 8, h.mode & 07777);
    put_octal(p + 108, 8, std::min<std::uint32_t>(h.uid, 07777777));
    put_octal(p + 116, 8, std::min<std::uint32_t>(h.gid, 07777777));
    put_octal(p + 124, 12, std::min(h.size, ustar_max_octal11));
    put_octal(p + 136, 12, h.mtime);
  } else {
    put_octal_space(p + 100, 8, 6, h.mode & 07777);
    put_octal_space(p + 108, 8, 6, std::min<std::uint32_t>(h.uid, 0777777));
    put_octal_space(p + 116, 8, 6, std::min<std::uint32_t>(h.gid, 0777777));
    put_octal_space(p + 124, 12, 11, std::min(h.size, ustar_max_octal11));
    put_octal_space(p + 136, 12, 11, h.mtime);
  }
  p[156] = h.typeflag;
  put_string(p + 157, 100, h.linkname);
  std::memcpy(p + 257, "ustar\0" "00", 8);
  // uname (265) and gname (297) stay empty.
  if (h.style == NumberStyle::nul_terminated) {
    put_octal(p + 329, 8, 0);  // devmajor
    put_octal(p + 337, 8, 0);  // devminor
  } else {
    put_octal_space(p + 329, 8, 6, 0);
    put_octal_space(p + 337, 8, 6, 0);
  }
  std::memset(p + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  put_octal(p + 148, 7, sum);  // six digits and a NUL; the space after stays
  return b;
}

// "<len> key=value\n", where <len> counts the whole record including its own digits.
void add_pax_record(std::string& out, std::string_view key, std::string_view value) {
  std::size_t body = 1 + key.size() + 1 + value.size() + 1;
  std::size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  out += std::to_string(len);
  out += ' ';
  out += key;
  out += '=';
  out += value;
  out += '\n';
}

}  // namespace

std::string encode_tar_header(const TarHeader& h) {
  std::string pax;
  if (h.name.size() > 100) add_pax_record(pax, "path", h.name);
  if (h.linkname.size() > 100) add_pax_record(pax, "linkpath", h.linkname);
  if (h.size > ustar_max_octal11) add_pax_record(pax, "size", std::to_string(h.size));
  std::string out;
  if (!pax.empty()) {
    // A fixed name: tools that name pax headers after a pid or the member make tars differ.
    out += ustar_block(TarHeader{"././@PaxHeader", 'x', 0644, pax.size(), h.mtime, "", 0, 0, h.style});
    out += pax;
    out.append(tar_padding(pax.size()), '\0');
  }
  out += ustar_block(h);
  return out;
}

}  // namespace mlpack::archive::detail
