#pragma once
// Helpers for the archive tests: building real trees and reading tars back with libarchive and
// zlib, independently of archive/reader.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "archive/layer.hpp"
#include "util/fs.hpp"

namespace archive_test {

namespace fs = std::filesystem;
using namespace mlpack;

inline void write(const fs::path& p, const std::string& content) {
  std::ofstream f(p, std::ios::binary);
  f << content;
  REQUIRE(f.good());
}

inline std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// Deterministic, compressible but not trivial bytes.
inline std::string pseudo_text(std::size_t n, unsigned seed) {
  static const char* words[] = {"tensor ", "model ", "weights ", "batch ", "epoch ", "layer\n", "gpu ", "numpy ",
                                "import ", "def ", "0.125 ", "loss=", "{\"k\": ", "]\n", "torch ", "cuda "};
  std::string s;
  s.reserve(n + 16);
  std::uint32_t x = seed * 2654435761u + 1;
  while (s.size() < n) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s += words[x & 15];
    if ((x >> 8 & 63) == 0) s += static_cast<char>(x >> 16);  // a few odd bytes
  }
  s.resize(n);
  return s;
}

struct Member {
  std::string name;
  int type = 0;  // AE_IF*
  unsigned mode = 0;
  std::int64_t uid = -1, gid = -1;
  std::string uname, gname;
  std::int64_t mtime = -1;
  bool atime_set = false, ctime_set = false, birthtime_set = false;
  std::string symlink, hardlink;
  std::string content;
  dev_t rdev = 0;
};

enum class Filters { none, all };  // which of libarchive's decompression filters to enable

inline std::vector<Member> list_tar(const std::string& tar, Filters filters = Filters::none) {
  std::vector<Member> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  if (filters == Filters::all) archive_read_support_filter_all(a);
  REQUIRE(archive_read_open_memory(a, tar.data(), tar.size()) == ARCHIVE_OK);
  struct archive_entry* e;
  int rc;
  while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    Member m;
    m.name = archive_entry_pathname(e);
    m.type = archive_entry_filetype(e);
    m.mode = archive_entry_perm(e);
    m.uid = archive_entry_uid(e);
    m.gid = archive_entry_gid(e);
    m.uname = archive_entry_uname(e) ? archive_entry_uname(e) : "";
    m.gname = archive_entry_gname(e) ? archive_entry_gname(e) : "";
    m.mtime = archive_entry_mtime(e);
    m.atime_set = archive_entry_atime_is_set(e);
    m.ctime_set = archive_entry_ctime_is_set(e);
    m.birthtime_set = archive_entry_birthtime_is_set(e);
    if (archive_entry_symlink(e)) m.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) m.hardlink = archive_entry_hardlink(e);
    m.rdev = archive_entry_rdev(e);
    char buf[8192];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) m.content.append(buf, static_cast<std::size_t>(n));
    out.push_back(std::move(m));
  }
  CHECK(rc == ARCHIVE_EOF);
  archive_read_free(a);
  return out;
}

struct GzipMember {
  std::size_t offset = 0;        // where the member starts in the compressed bytes
  std::string header;            // its first 10 bytes
  std::size_t uncompressed = 0;  // bytes it inflates to
};

// Inflates a gzip file member by member with zlib (inflateReset between members, as gzip does),
// requiring each to end cleanly and nothing but members in the input.
inline std::string gunzip(const std::string& gz, std::vector<GzipMember>* members = nullptr) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[65536];
  REQUIRE(z.avail_in > 0);
  while (z.avail_in > 0) {
    GzipMember m;
    m.offset = gz.size() - z.avail_in;
    REQUIRE(z.avail_in >= 18);
    m.header = gz.substr(m.offset, 10);
    std::size_t before = out.size();
    int rc;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
      out.append(buf, sizeof buf - z.avail_out);
    } while (rc != Z_STREAM_END);
    m.uncompressed = out.size() - before;
    if (members) members->push_back(std::move(m));
    REQUIRE(inflateReset(&z) == Z_OK);
  }
  inflateEnd(&z);
  return out;
}

inline std::string unzstd(const std::string& zs) {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZSTD_inBuffer in{zs.data(), zs.size(), 0};
  std::string out;
  std::vector<char> buf(ZSTD_DStreamOutSize());
  std::size_t rc = 1;
  while (in.pos < in.size || rc != 0) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    rc = ZSTD_decompressStream(d, &o, &in);
    REQUIRE_FALSE(ZSTD_isError(rc));
    out.append(buf.data(), o.pos);
    if (o.pos == 0 && in.pos == in.size && rc != 0) FAIL("truncated zstd");
  }
  ZSTD_freeDCtx(d);
  return out;
}

// Runs a shell command and returns its stdout.
inline std::string run(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  CHECK(::pclose(p) == 0);
  return out;
}

inline util::TempDir temp_dir() {
  auto d = util::TempDir::create();
  REQUIRE(d);
  return std::move(*d);
}

struct Written {
  archive::LayerResult result;
  std::string bytes;
};

inline Written layer_of(std::vector<archive::Entry> entries, archive::LayerOptions options) {
  util::StringWriter out;
  auto r = archive::write_layer(std::move(entries), options, out);
  if (!r) FAIL(r.error().message);
  return {*r, std::move(out.out)};
}

inline const Member* find(const std::vector<Member>& ms, const std::string& name) {
  for (const auto& m : ms)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace archive_test
