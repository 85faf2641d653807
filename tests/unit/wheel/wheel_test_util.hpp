#pragma once
// Helpers for the wheel tests: wheels written with libarchive's zip writer (good and bad ones),
// the pip test wheels from the corpus, and layers read back with libarchive.
#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "corpora.hpp"
#include "skip.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
#include "wheel/dist_info.hpp"
#include "wheel/wheel.hpp"

namespace wheel_test {

namespace fs = std::filesystem;
using namespace mlpack;

struct ZipEntry {
  std::string name;
  std::string content;
  unsigned mode = 0644;
  bool symlink = false;  // content is the target
};

inline void write_zip(const fs::path& path, const std::vector<ZipEntry>& entries) {
  struct archive* a = archive_write_new();
  REQUIRE(archive_write_set_format_zip(a) == ARCHIVE_OK);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const auto& z : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, z.name.c_str());
    archive_entry_set_mtime(e, 315532800, 0);
    if (z.symlink) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, z.content.c_str());
      archive_entry_set_perm(e, 0777);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, z.mode);
      archive_entry_set_size(e, static_cast<la_int64_t>(z.content.size()));
    }
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (!z.symlink && !z.content.empty())
      REQUIRE(archive_write_data(a, z.content.data(), z.content.size()) == static_cast<la_ssize_t>(z.content.size()));
    archive_entry_free(e);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

inline std::string hash_of(const std::string& content) {
  return wheel::detail::record_hash(util::Digest::sha256_of(content));
}

// A wheel's members: the given ones plus WHEEL, METADATA and a RECORD that lists them all.
struct WheelSpec {
  std::string name = "demo";
  std::string version = "1.0";
  std::string wheel_version = "1.0";
  std::vector<ZipEntry> members;
  std::string entry_points;  // entry_points.txt, when not empty
  // Applied to the RECORD rows before RECORD is written (to break them).
  std::map<std::string, std::string> record_hash_override;
  std::vector<std::string> record_omit;
  // METADATA's Name and Version when they should differ from the file name's.
  std::string metadata_name;
  std::string metadata_version;

  std::string dist_info() const { return name + "-" + version + ".dist-info"; }
  std::string filename() const { return name + "-" + version + "-py3-none-any.whl"; }
};

inline std::vector<ZipEntry> wheel_members(const WheelSpec& spec) {
  auto members = spec.members;
  members.push_back({spec.dist_info() + "/WHEEL",
                     "Wheel-Version: " + spec.wheel_version + "\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"});
  members.push_back({spec.dist_info() + "/METADATA", "Metadata-Version: 2.1\nName: " +
                                                         (spec.metadata_name.empty() ? spec.name : spec.metadata_name) +
                                                         "\nVersion: " +
                                                         (spec.metadata_version.empty() ? spec.version : spec.metadata_version) +
                                                         "\n"});
  if (!spec.entry_points.empty()) members.push_back({spec.dist_info() + "/entry_points.txt", spec.entry_points});
  std::vector<wheel::detail::RecordRow> rows;
  for (const auto& m : members) {
    if (std::find(spec.record_omit.begin(), spec.record_omit.end(), m.name) != spec.record_omit.end()) continue;
    auto it = spec.record_hash_override.find(m.name);
    rows.push_back({m.name, it != spec.record_hash_override.end() ? it->second : hash_of(m.content),
                    std::to_string(m.content.size())});
  }
  rows.push_back({spec.dist_info() + "/RECORD", "", ""});
  members.push_back({spec.dist_info() + "/RECORD", wheel::detail::write_record(rows)});
  return members;
}

struct Built {
  fs::path path;
  util::Digest sha256;
};

inline Built build_wheel(const fs::path& dir, const WheelSpec& spec) {
  auto path = dir / spec.filename();
  write_zip(path, wheel_members(spec));
  auto d = util::sha256_file(path.string());
  REQUIRE(d);
  return {path, *d};
}

inline util::TempDir temp_dir() {
  auto d = util::TempDir::create();
  REQUIRE(d);
  return std::move(*d);
}

// The pip test wheels; nullopt (and a message) when the corpus is absent.
inline std::optional<fs::path> pip_packages() {
  auto dir = test::corpus_dir("pip_test_data");
  if (!dir) {
    MLPACK_SKIP("pip_test_data corpus not found");
    return std::nullopt;
  }
  return *dir / "packages";
}

inline util::Digest sha256_of_file(const fs::path& p) {
  auto d = util::sha256_file(p.string());
  REQUIRE(d);
  return *d;
}

inline const archive::Entry* find(const std::vector<archive::Entry>& es, const std::string& path) {
  for (const auto& e : es)
    if (e.path == path) return &e;
  return nullptr;
}

// An entry's content, read through its opener when it has one.
inline std::string content_of(const archive::Entry& e) {
  if (!e.open) return e.data;
  auto r = e.open();
  REQUIRE(r);
  auto all = util::read_all(**r, 1 << 30);
  REQUIRE(all);
  return *all;
}

struct TarMember {
  std::string name;
  int type = 0;
  unsigned mode = 0;
  std::string link;
  std::string content;
};

inline std::vector<TarMember> list_tar(const std::string& tar) {
  std::vector<TarMember> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_memory(a, tar.data(), tar.size()) == ARCHIVE_OK);
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarMember m;
    m.name = archive_entry_pathname(e);
    m.type = archive_entry_filetype(e);
    m.mode = archive_entry_perm(e);
    if (archive_entry_symlink(e)) m.link = archive_entry_symlink(e);
    char buf[8192];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) m.content.append(buf, static_cast<std::size_t>(n));
    out.push_back(std::move(m));
  }
  archive_read_free(a);
  return out;
}

// Runs a shell command; returns its exit status and stdout+stderr.
inline std::pair<int, std::string> run(const std::string& cmd) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

}  // namespace wheel_test
