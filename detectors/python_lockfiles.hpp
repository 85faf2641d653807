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
};

struct LockedDistribution {
  std::string name;     // normalised
  std::string version;
  std::string index;    // the index URL the lockfile names for it, if any
  std::vector<LockedFile> files;     // wheels (and sdists) the lockfile lists for it
  std::vector<std::string> hashes;   // Pipfile.lock style: allowed "sha256:<hex>" without files
  bool direct = false;  // a requirement of the project itself (REQUESTED)
};

struct ImportedLock {
  std::string format;  // "uv.lock" | "poetry.lock" | "Pipfile.lock" | "pylock.toml" | "requirements.txt"
  std::string file;    // relative to the project root
  std::optional<std::string> requires_python;
  std::vector<LockedDistribution> distributions;  // only those whose markers hold on the target
};

struct LockSelection {
  std::vector<std::string> extras;  // the project's extras to include
  std::vector<std::string> groups;  // dependency groups (uv/pylock/poetry groups; Pipfile "develop")
};

// Reads one lockfile. An unknown lockfile version, a malformed file, or a package without any
// hash is ErrorKind::invalid_input naming the file (and the package).
util::Result<ImportedLock> import_lockfile(const fs::path& path, const fs::path& project_root,
                                           const pypi::MarkerEnvironment& env,
                                           const LockSelection& selection = {});

// The lockfile names mlpack recognises, in precedence order.
const std::vector<std::string>& lockfile_names();

}  // namespace mlpack::detectors
