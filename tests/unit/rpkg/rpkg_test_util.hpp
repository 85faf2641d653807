#pragma once
// R binary package tarballs made in the test by libarchive (another implementation than
// mlpack's reader), as `R CMD INSTALL --build` lays them out.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rpkg/rpkg.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"

namespace rpkg_test {

namespace fs = std::filesystem;
using namespace mlpack;

struct TarMember {
  std::string path;
  std::string content;  // files; the target for symlinks and hardlinks
  char type = '0';      // '0' file, '5' dir, '2' symlink, '1' hardlink, '6' fifo, '3' char device
  unsigned mode = 0644;
};

inline std::string description(const std::string& name, const std::string& version,
                               const std::string& built = "R 4.2.2; x86_64-pc-linux-gnu; 2023-01-01 00:00:00 UTC; unix",
                               const std::string& extra = "") {
  std::string d = "Package: " + name + "\nVersion: " + version +
                  "\nTitle: A Test Package\nDepends: R (>= 3.5.0)\nImports: methods\nLicense: MIT\n"
                  "NeedsCompilation: yes\n" +
                  extra;
  if (!built.empty()) d += "Built: " + built + "\n";
  return d;
}

// A typical binary package's tree under `name/`.
inline std::vector<TarMember> package_members(
    const std::string& name, const std::string& version,
    const std::string& built = "R 4.2.2; x86_64-pc-linux-gnu; 2023-01-01 00:00:00 UTC; unix") {
  return {
      {name, "", '5', 0755},
      {name + "/DESCRIPTION", description(name, version, built), '0', 0644},
      {name + "/NAMESPACE", "export(hello)\nuseDynLib(" + name + ")\n", '0', 0600},
      {name + "/R", "", '5', 0700},
      {name + "/R/" + name, "# lazy-load stub\n", '0', 0644},
      {name + "/R/" + name + ".rdb", std::string(300, '\x01'), '0', 0644},
      {name + "/Meta/package.rds", std::string(100, '\x02'), '0', 0644},  // Meta/ not listed
      {name + "/exec/tool", "#!/bin/sh\necho tool\n", '0', 0700},
  };
}

// Writes a gzip tar of `members` to `path` (libarchive's pax writer and gzip filter).
inline void write_tarball(const fs::path& path, const std::vector<TarMember>& members, bool gzip = true) {
  struct archive* a = archive_write_new();
  REQUIRE(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
  if (gzip) REQUIRE(archive_write_add_filter_gzip(a) == ARCHIVE_OK);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const auto& m : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.path.c_str());
    archive_entry_set_mtime(e, 1672531200, 0);
    archive_entry_set_perm(e, m.mode);
    switch (m.type) {
      case '5':
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case '2':
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, m.content.c_str());
        break;
      case '1':
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, m.content.c_str());
        break;
      case '6':
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
      case '3':
        archive_entry_set_filetype(e, AE_IFCHR);
        break;
      default:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.content.size()));
    }
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (m.type == '0' && !m.content.empty())
      REQUIRE(archive_write_data(a, m.content.data(), m.content.size()) == static_cast<la_ssize_t>(m.content.size()));
    archive_entry_free(e);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

inline std::string sha256_of_file(const fs::path& p) {
  auto d = util::sha256_file(p.string());
  REQUIRE(d);
  return d->hex();
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline rpkg::InstallOptions options_for(const fs::path& staging, const std::string& r = "4.2.3") {
  rpkg::InstallOptions o;
  o.target_r = *cran::Version::parse_numeric(r);
  o.staging_dir = staging;
  return o;
}

inline const archive::Entry* find(const std::vector<archive::Entry>& entries, std::string_view path) {
  for (const auto& e : entries)
    if (e.path == path) return &e;
  return nullptr;
}

inline std::string content_of(const archive::Entry& e) {
  return e.source ? slurp(*e.source) : e.data;
}

}  // namespace rpkg_test
