#pragma once
// What a registry base image already is, read from its files (image::read_file_view): its distribution
// (/etc/os-release), its installed Debian packages (/var/lib/dpkg/status), whether it is
// usr-merged — so apt.txt installs on top of it, skipping what it has — and its accounts, so the
// image's user gets a name and a home on it.
#include <string>
#include <vector>

#include "buildpacks/debian_base/accounts.hpp"
#include "deb/dpkg_db.hpp"
#include "image/file_view.hpp"

namespace mlpack::buildpacks::debian_base {

struct BaseImage {
  std::string distribution;  // "debian:bookworm", or "" when os-release names no Debian release
  std::string os_id;         // ID from os-release ("debian", "ubuntu", "alpine"…)
  std::vector<deb::InstalledPackage> installed;
  bool usrmerged = false;  // /bin is a symlink into /usr
  // Python interpreters the image has, files or links: "/usr/local/bin/python3.12" (the official
  // python images), "/usr/bin/python3.11" (Debian's). Sorted.
  std::vector<std::string> pythons;
  // /etc/passwd, /etc/group and /etc/shadow (each taken up to account_file_limit) and every
  // directory the image has.
  BaseAccounts accounts;
};

inline constexpr std::size_t account_file_limit = 1 << 20;

// "usr/local/bin/python3.12" → true: a versioned CPython interpreter in a bin directory.
bool is_python_interpreter_path(std::string_view path);

// The files whose contents inspect_base needs from a base image's file view: os-release (both
// places), the dpkg status database and the account files; up to 256 MiB each (a dpkg database
// is the large one).
const image::FileViewRequest& base_files_wanted();

// What a base image is, from its files (read with base_files_wanted()). Pure: no I/O. An account
// file that is a link or larger than account_file_limit makes the accounts unreadable; a
// malformed dpkg status is an error.
util::Result<BaseImage> inspect_base(const image::FileView& view);

}  // namespace mlpack::buildpacks::debian_base
