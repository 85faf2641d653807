#pragma once
// R binary packages into the site library, as layer entries, without R: a binary package is a
// gzip tarball (`<pkg>_<version>.tar.gz`, what `R CMD INSTALL --build` and Posit Package
// Manager's Linux binaries are) whose single top folder is the package, already installed:
// DESCRIPTION with `Built:`, R/, libs/*.so, Meta/, help/… Installing it is unpacking it under
// the site library, which is all R itself does with a binary. Nothing in it is run.
//
// Everything returned is ordered and a pure function of the tarball and the options (no clock,
// no host path in the entries' bytes), so the same lock gives the same layer bytes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "archive/decompress.hpp"
#include "archive/layer.hpp"
#include "cran/package.hpp"
#include "cran/version.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace mlpack::rpkg {

namespace fs = std::filesystem;
using util::Result;

// Where Debian's R looks first for site packages (R_LIBS_SITE), relative to the image root.
inline constexpr std::string_view default_site_library = "usr/local/lib/R/site-library";

// The package's DESCRIPTION, read from the tarball just far enough to find `<top>/DESCRIPTION`
// (the top folder taken from the first member). integrity, naming the tarball, for a member
// outside that folder before DESCRIPTION, no DESCRIPTION at all, or a DESCRIPTION whose
// `Package:` is not the top folder's name; invalid_input from parse_description for a bad one;
// the archive reader's errors (not a gzip tar, truncated, over `limits`) as they come.
Result<cran::PackageRecord> inspect(const fs::path& tarball, const archive::UnpackLimits& limits = {});

struct InstallOptions {
  std::string site_library = std::string(default_site_library);  // relative to the image root
  cran::Version target_r;                                        // the R the image runs: check_loadable's target
  std::string arch = "x86_64";                                   // "x86_64" or "aarch64"
  archive::UnpackLimits limits;
  // Files over `inline_limit` bytes (and all files once `max_inline` bytes are held in memory)
  // are written here, one file each, and the entries point at them (Entry::source): the folder
  // must outlive the entries. Empty: such a file is an internal error.
  fs::path staging_dir;
  std::uint64_t inline_limit = 64 * 1024;
  std::uint64_t max_inline = 64ULL << 20;
};

struct Installed {
  std::string name;
  std::string version;
  cran::PackageRecord record;  // its DESCRIPTION
  // `<site_library>/<pkg>` and everything below it, sorted by path: directories 0755, files 0644
  // or 0755 when the archive gave any execute bit, symlinks 0777, all owned by 0:0. Hardlinks
  // become copies of their file. Directories the archive implies but does not list are added.
  std::vector<archive::Entry> entries;
  std::uint64_t size = 0;  // the files' bytes
  // Image paths of the ELF files under `<pkg>/libs/` (by their magic), sorted: for the caller's
  // check that their DT_NEEDED libraries are in the image (lib/elf). Each is an entry of
  // `entries`, its bytes in Entry::data or the staged Entry::source.
  std::vector<std::string> shared_objects;
  // The staging folder of its large files (`<staging_dir>/<pkg>.tmp-XXXXXX`), removed when the
  // last copy of this is dropped (keep it while the entries are written) or, after a SIGKILL, by
  // the next run's sweep; null when every file was held in memory.
  std::shared_ptr<util::TempDir> staging;
};

// Installs the binary package `tarball`, which the lock says is `name` `version` with `sha256`
// (lowercase hex), under options.site_library.
//  - the file's sha256 is checked first, before anything in it is read;
//  - members: every one under `<name>/` (the top folder is the package name), no absolute paths,
//    `..`, devices or FIFOs, no path twice, hardlinks only to earlier files of the package,
//    symlinks checked together by archive::check_links (relative, never leaving `<name>/`, never
//    through another link);
//  - `<name>/DESCRIPTION` must be there, its Package and Version the lock's, and the build one
//    options.target_r on options.arch can load (cran::check_loadable);
//  - decompression bounded by options.limits (ratio and total).
// Refusals are integrity errors (check_loadable's are unsatisfiable), every message led by
// "R package `name` version (<file name>)".
Result<Installed> install(const fs::path& tarball, std::string_view name, std::string_view version,
                          std::string_view sha256, const InstallOptions& options);

// The directories from the image root down to the site library itself ("usr", "usr/local", …,
// "usr/local/lib/R/site-library"), 0755 and owned by root: readable by every user, writable by none.
std::vector<archive::Entry> site_library_dirs(std::string_view site_library = default_site_library);

}  // namespace mlpack::rpkg
