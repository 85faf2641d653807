#pragma once
// Builds real zip files (wheels) in memory with libarchive, for the range-request tests.
#include <archive.h>
#include <archive_entry.h>

#include <string>
#include <utility>
#include <vector>
#include "test_archives.hpp"

namespace mlpack::test {

struct ZipOptions {
  bool zip64 = false;
  bool stored = false;  // no compression
};

inline std::string make_zip(const std::vector<std::pair<std::string, std::string>>& members, ZipOptions opt = {}) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  if (opt.zip64) archive_write_set_options(a, "zip:zip64");
  if (opt.stored) archive_write_set_options(a, "zip:compression=store");
  archive_write_set_bytes_in_last_block(a, 1);
  mlpack::test::open_to_string(a, &out);
  for (const auto& [name, data] : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(e, 0, 0);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// A wheel for `name`-`version` whose METADATA says what `metadata` says, with some padding
// member so the central directory is not at the start of the file.
inline std::string make_wheel(const std::string& dist, const std::string& metadata, ZipOptions opt = {},
                              std::size_t padding = 200000) {
  std::string pad;
  // Incompressible-ish so the padding really takes room.
  unsigned x = 12345;
  for (std::size_t i = 0; i < padding; ++i) {
    x = x * 1103515245 + 12345;
    pad += static_cast<char>(x >> 16);
  }
  auto pkg = dist.substr(0, dist.find('-'));
  return make_zip({{pkg + "/__init__.py", pad},
                   {dist + ".dist-info/METADATA", metadata},
                   {dist + ".dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
                   {dist + ".dist-info/RECORD", ""}},
                  opt);
}

}  // namespace mlpack::test
