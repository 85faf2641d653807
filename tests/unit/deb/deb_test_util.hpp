#pragma once
// Shared helpers for the deb unit tests: running tools, fetching real .debs, crafting .debs.
#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mlpack::deb::test {

namespace fs = std::filesystem;

struct CommandResult {
  int status = -1;
  std::string out;
};

// Runs a shell command, capturing stdout (stderr goes to the terminal).
inline CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Real .debs from the configured apt sources, downloaded once per machine into a cache under
// $TMPDIR (apt-get download). Returns the path, or nothing when apt cannot fetch it (offline).
inline std::optional<fs::path> real_deb(const std::string& package) {
  const char* tmp = std::getenv("TMPDIR");
  fs::path cache = fs::path(tmp && *tmp ? tmp : "/tmp") / "mlpack-test-debs";
  fs::create_directories(cache);
  auto find = [&]() -> std::optional<fs::path> {
    for (const auto& e : fs::directory_iterator(cache)) {
      auto name = e.path().filename().string();
      if (name.starts_with(package + "_") && name.ends_with(".deb")) return e.path();
    }
    return std::nullopt;
  };
  if (auto p = find()) return p;
  run("cd " + quote(cache.string()) + " && timeout 120 apt-get download -q " + quote(package) + " >/dev/null 2>&1");
  return find();
}

struct Member {
  std::string path;
  char type = 'f';  // f file, d dir, l symlink, h hardlink, c char device, p fifo
  unsigned mode = 0644;
  std::string content;  // file content, or link target
};

// Writes a gzip-compressed tar with exactly these members (names verbatim, nothing sanitised).
inline void write_tar_gz(const fs::path& dest, const std::vector<Member>& members) {
  struct archive* a = archive_write_new();
  archive_write_set_format_gnutar(a);
  archive_write_add_filter_gzip(a);
  archive_write_open_filename(a, dest.c_str());
  for (const auto& m : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.path.c_str());
    archive_entry_set_perm(e, m.mode);
    archive_entry_set_mtime(e, 1700000000, 0);
    switch (m.type) {
      case 'd':
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case 'l':
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, m.content.c_str());
        break;
      case 'h':
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, m.content.c_str());
        break;
      case 'c':
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdevmajor(e, 1);
        archive_entry_set_rdevminor(e, 3);
        break;
      case 'p':
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
      default:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.content.size()));
    }
    archive_write_header(a, e);
    if (m.type == 'f') archive_write_data(a, m.content.data(), m.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

// Builds `<dir>/<name>.deb` with `ar` from a control file, optional extra control members
// (conffiles, md5sums) and data members.
inline fs::path make_deb(const fs::path& dir, const std::string& name, const std::string& control,
                         const std::vector<Member>& data, const std::vector<Member>& extra_control = {}) {
  fs::path work = dir / (name + ".parts");
  fs::create_directories(work);
  {
    FILE* f = std::fopen((work / "debian-binary").c_str(), "w");
    std::fputs("2.0\n", f);
    std::fclose(f);
  }
  std::vector<Member> ctrl = {{"./", 'd', 0755, ""}, {"./control", 'f', 0644, control}};
  ctrl.insert(ctrl.end(), extra_control.begin(), extra_control.end());
  write_tar_gz(work / "control.tar.gz", ctrl);
  write_tar_gz(work / "data.tar.gz", data);
  fs::path deb = dir / (name + ".deb");
  fs::remove(deb);
  run("cd " + quote(work.string()) + " && ar rc " + quote(deb.string()) + " debian-binary control.tar.gz data.tar.gz");
  return deb;
}

}  // namespace mlpack::deb::test
