#pragma once
// Lockfiles other tools wrote, taken as they are (never re-resolved): uv.lock, poetry.lock,
// Pipfile.lock and pylock.toml (PEP 751). Markers are evaluated here for the target; what remains
// is the exact set of distributions with the files and hashes the lockfile allows.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "detectors/requirements.hpp"
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

// A Pipfile (pipenv's TOML manifest), for a project that has no Pipfile.lock: what pipenv would
// lock from it, as requirements. [packages] are always in; [dev-packages] carry the group `dev`
// (pipenv's `--dev`; `--group dev`, `develop` or `dev-packages` select them). A package's value is
// `"*"`, a specifier (`"==1.2"`, `">=1,<2"`; a bare version `"1.2"` is `==1.2`, as pipenv takes
// it) or a table of `version`, `extras`, `markers`, PEP 508 marker keys (`sys_platform = "==
// 'linux'"`), `git`/`hg`/`svn`/`bzr` with `ref` and `subdirectory` (a VCS reference: listed, never
// built), `file` (a URL), `path` (a local archive or project directory, relative to the Pipfile and
// inside the project, as every project file), `editable` and `index` (a [[source]] by name).
// [[source]] urls are the indexes in order, the first replacing PyPI (pipenv's first source is its
// index); [requires] python_version (or python_full_version's X.Y) is the Python it asks for.
// Malformed TOML, values of the wrong type and invalid requirements are invalid_input naming
// file:line:column. `path` is relative to `project_root` or absolute.
struct Pipfile {
  RequirementsFile requirements;  // `files` holds the Pipfile, relative to the project root
  std::optional<std::string> python_version;  // "3.11"
  int python_version_line = 0;
};
util::Result<Pipfile> parse_pipfile(const fs::path& path, const fs::path& project_root);

// The group name of Pipfile's [dev-packages] when `group` (as --group gives it) selects them.
bool selects_pipfile_dev(std::string_view group);

// The lockfile names mlpack recognises, in precedence order.
const std::vector<std::string>& lockfile_names();

}  // namespace mlpack::detectors
