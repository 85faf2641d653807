#pragma once
// Reference archives made by other implementations (libarchive, zlib), so tests compare mlpack's
// readers and writers with something it did not write. For tests that link libarchive and zlib.
#include <archive.h>
#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

namespace mlpack::test {

// Opens the libarchive writer `a` (format and filters already set) so that everything it writes
// is appended to `*out`.
inline void open_to_string(struct archive* a, std::string* out) {
  archive_write_open(
      a, out, nullptr,
      [](struct archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
}

// `data` compressed by zlib in one call: `window_bits` picks the framing as deflateInit2 does
// (-15 raw deflate, 15 + 16 gzip).
inline std::string zlib_deflate(const std::string& data, int level, int window_bits) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace mlpack::test
