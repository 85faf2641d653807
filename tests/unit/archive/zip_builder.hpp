#pragma once
// Zips written byte by byte, for the zip reader's tests (archive, wheel): honest members (stored,
// deflate, data descriptors, zip64) and every lie a hostile zip can tell, applied after the
// honest values are computed.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "test_archives.hpp"

namespace zip_test {

struct RawMember {
  std::string name;
  std::string content;
  std::uint16_t method = 8;  // 0 stored, 8 deflate, anything else: content stored as it is
  bool descriptor = false;   // general purpose bit 3: CRC and sizes after the data
  bool zip64 = false;        // sizes and offset in zip64 extra fields
  std::uint16_t flags = 0;   // more general purpose bits (both headers)
  std::uint32_t mode = 0100644;
  // Lies, applied after the honest values are computed.
  std::optional<std::string> data;  // the bytes after the local header, instead of the compressed content
  std::optional<std::uint64_t> cd_size, cd_compressed, cd_offset;
  std::optional<std::uint32_t> cd_crc, local_crc;
  std::optional<std::uint16_t> local_method;
  std::optional<std::string> local_name;
};

struct BuildOptions {
  bool zip64_end = false;                    // a zip64 end of central directory record and locator
  std::optional<std::uint64_t> entries;      // the count the end record claims
  std::optional<std::uint64_t> cd_size;      // the directory size it claims
};

inline void put(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::string deflate_raw(const std::string& in) { return mlpack::test::zlib_deflate(in, 1, -MAX_WBITS); }

inline std::uint32_t crc_of(const std::string& s) {
  return static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

inline std::string build_zip(const std::vector<RawMember>& members, const BuildOptions& options = {}) {
  std::string out, cd;
  for (const auto& m : members) {
    std::string data = m.data ? *m.data : m.method == 8 ? deflate_raw(m.content) : m.content;
    std::uint32_t crc = crc_of(m.content);
    std::uint64_t offset = out.size();
    std::uint16_t flags = static_cast<std::uint16_t>(m.flags | (m.descriptor ? 8 : 0));
    // Local header.
    put(out, 0x04034b50, 4);
    put(out, m.zip64 ? 45 : 20, 2);
    put(out, flags, 2);
    put(out, m.local_method.value_or(m.method), 2);
    put(out, 0, 2);
    put(out, 0x21, 2);
    put(out, m.descriptor ? 0 : m.local_crc.value_or(crc), 4);
    std::string local_extra;
    if (m.zip64) {
      put(out, m.descriptor ? 0 : 0xffffffff, 4);
      put(out, m.descriptor ? 0 : 0xffffffff, 4);
      put(local_extra, 1, 2);
      put(local_extra, 16, 2);
      put(local_extra, m.content.size(), 8);
      put(local_extra, data.size(), 8);
    } else {
      put(out, m.descriptor ? 0 : data.size(), 4);
      put(out, m.descriptor ? 0 : m.content.size(), 4);
    }
    std::string local_name = m.local_name.value_or(m.name);
    put(out, local_name.size(), 2);
    put(out, local_extra.size(), 2);
    out += local_name + local_extra + data;
    if (m.descriptor) {
      put(out, 0x08074b50, 4);
      put(out, crc, 4);
      put(out, data.size(), m.zip64 ? 8 : 4);
      put(out, m.content.size(), m.zip64 ? 8 : 4);
    }
    // Central directory entry.
    std::uint64_t size = m.cd_size.value_or(m.content.size());
    std::uint64_t compressed = m.cd_compressed.value_or(data.size());
    std::uint64_t at = m.cd_offset.value_or(offset);
    put(cd, 0x02014b50, 4);
    put(cd, 3 << 8 | 20, 2);
    put(cd, m.zip64 ? 45 : 20, 2);
    put(cd, flags, 2);
    put(cd, m.method, 2);
    put(cd, 0, 2);
    put(cd, 0x21, 2);
    put(cd, m.cd_crc.value_or(crc), 4);
    std::string extra;
    if (m.zip64) {
      put(cd, 0xffffffff, 4);
      put(cd, 0xffffffff, 4);
      put(extra, 1, 2);
      put(extra, 24, 2);
      put(extra, size, 8);
      put(extra, compressed, 8);
      put(extra, at, 8);
    } else {
      put(cd, compressed, 4);
      put(cd, size, 4);
    }
    put(cd, m.name.size(), 2);
    put(cd, extra.size(), 2);
    put(cd, 0, 2);  // comment
    put(cd, 0, 2);  // disk
    put(cd, 0, 2);  // internal attributes
    put(cd, static_cast<std::uint64_t>(m.mode) << 16, 4);
    put(cd, m.zip64 ? 0xffffffff : at, 4);
    cd += m.name + extra;
  }
  std::uint64_t cd_offset = out.size();
  out += cd;
  std::uint64_t entries = options.entries.value_or(members.size());
  std::uint64_t cd_size = options.cd_size.value_or(cd.size());
  if (options.zip64_end) {
    std::uint64_t record = out.size();
    put(out, 0x06064b50, 4);
    put(out, 44, 8);
    put(out, 45, 2);
    put(out, 45, 2);
    put(out, 0, 4);
    put(out, 0, 4);
    put(out, entries, 8);
    put(out, entries, 8);
    put(out, cd_size, 8);
    put(out, cd_offset, 8);
    put(out, 0x07064b50, 4);
    put(out, 0, 4);
    put(out, record, 8);
    put(out, 1, 4);
  }
  put(out, 0x06054b50, 4);
  put(out, 0, 2);
  put(out, 0, 2);
  put(out, options.zip64_end ? 0xffff : entries, 2);
  put(out, options.zip64_end ? 0xffff : entries, 2);
  put(out, options.zip64_end ? 0xffffffff : cd_size, 4);
  put(out, options.zip64_end ? 0xffffffff : cd_offset, 4);
  put(out, 0, 2);
  return out;
}

}  // namespace zip_test
