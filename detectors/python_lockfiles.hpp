#pragma once
// Lockfiles other tools wrote, taken as they are (never re-resolved): uv.lock, poetry.lock,
// Pipfile.lock and pylock.toml (PEP 751). Markers are evaluated here for the target; what remains
// is the exact set of distributions with the files and hashes the lockfile allows.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pypi/marker.hpp"
#include "util/error.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;

struct LockedFile {
  std::string filename;  // may be empty when only a URL is known
  std::string url;       // empty when the lockfile names only the file and hash (poetry, Pipfile)
  std::string sha256;    // hex; empty when the lockfile has none for this file
  std::optional<std::uint64_t> size;
  std::string path;      // absolute, when the lockfile names a local file instead of a URL
};

// Where a distribution comes from. Only `index` and `archive` come with files and hashes; a
// directory is built from the tree, a VCS checkout is pinned by its commit.
enum class LockedSource { index, archive, directory, vcs };

struct LockedDistribution {
  std::string name;     // normalised
  std::string version;
  std::string index;    // the index URL the lockfile names for it, if any
  std::vector<LockedFile> files;     // wheels (and sdists) the lockfile lists for it
  std::vector<std::string> hashes;   // Pipfile.lock style: allowed "sha256:<hex>" without files
  bool direct = false;  // a requirement of the project itself (REQUESTED)
  LockedSource source = LockedSource::index;
  std::string directory;  // LockedSource::directory: absolute path of the source tree
  bool editable = false;  // LockedSource::directory: install in development mode
  std::string vcs_url;    // LockedSource::vcs: the repository ("https://github.com/…/x.git")
  std::string commit;     // LockedSource::vcs: the exact commit
  std::string subdirectory;  // directory/vcs/archive: where the project sits inside it, if not the top
};

struct ImportedLock {
  std::string format;  // "uv.lock" | "poetry.lock" | "Pipfile.lock" | "pylock.toml" | "requirements.txt"
  std::string file;    // relative to the project root
  std::optional<std::string> requires_python;
  // Only those whose markers hold on the target, sorted by name. The project itself (uv's root
  // package) is not among them.
  std::vector<LockedDistribution> distributions;
};

struct LockSelection {
  std::vector<std::string> extras;  // the project's extras to include
  std::vector<std::string> groups;  // dependency groups (uv/pylock/poetry groups; Pipfile "develop")
};

// Reads one lockfile (format chosen by its name; `pylock.<name>.toml` is pylock). An unknown
// lockfile version, a malformed file, or a package without any hash is ErrorKind::invalid_input
// naming the file (and line and package where known). A uv.lock or pylock.toml whose
// requires-python (or pylock `environments`) excludes the target is ErrorKind::unsatisfiable.
// Groups: none unless asked (pylock: its `default-groups`); poetry's "main" and Pipfile's
// "default" are always in.
util::Result<ImportedLock> import_lockfile(const fs::path& path, const fs::path& project_root,
                                           const pypi::MarkerEnvironment& env,
                                           const LockSelection& selection = {});

// The lockfile names mlpack recognises, in precedence order.
const std::vector<std::string>& lockfile_names();

}  // namespace mlpack::detectors
