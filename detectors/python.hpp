#pragma once
// Python project files, read without touching the network: requirements.txt (pip's syntax, with
// its includes), pyproject.toml (PEP 621, PEP 735), runtime.txt / .python-version, and the
// binder/ or .binder/ folder that repo2docker users keep them in.
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pypi/requirement.hpp"
#include "util/error.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;
using util::Result;

// One requirement line (or pyproject entry), with where it came from.
// A line that is a URL or a path becomes a direct reference (`requirement.url` set; for a local
// file or directory also `path`). Its name comes from a wheel's filename or an `#egg=` fragment;
// otherwise (an sdist or directory, as pip) only building would tell it, and the name is empty.
struct PythonRequirement {
  pypi::Requirement requirement;
  std::string text;                 // the requirement as written, options and comments removed
  std::vector<std::string> hashes;  // per-line --hash values: "sha256:<hex>", as written
  std::string path;                 // a local wheel/sdist/directory it names, absolute; else empty
  bool constraint = false;          // from a -c file: limits versions, installs nothing
  bool editable = false;            // -e (accepted for local directories only)
  std::string file;                 // path relative to the project root ("requirements.txt")
  int line = 0;                     // 1-based line where the requirement starts
  int column = 0;                   // pyproject.toml: 1-based column of the string; else 0
  // --config-settings KEY=VALUE on the line, in order (a key given twice keeps both values).
  std::map<std::string, std::vector<std::string>> config_settings;
};

// What a requirements.txt and the files it includes (-r, -c) say, merged in reading order.
struct RequirementsFile {
  std::vector<PythonRequirement> requirements;  // constraints included, marked `constraint`
  std::vector<std::string> index_urls;          // --index-url (replaces the default) then extras
  bool index_url_set = false;                   // --index-url given (else PyPI comes first)
  bool no_index = false;
  std::vector<std::string> find_links;          // as written; made absolute when it exists relative to its file
  bool pre = false;
  std::vector<std::string> only_binary;         // ":all:", ":none:" or normalised names
  std::vector<std::string> no_binary;
  bool prefer_binary = false;
  bool require_hashes = false;
  std::vector<std::string> trusted_hosts;
  std::vector<std::string> files;               // every file read, relative to the project root
};

// Looks up ${VAR} in requirement files (pip expands only ${NAME} of [A-Z0-9_]).
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_environment();

// Parses `path` and its includes. Malformed lines, unknown options, a missing include and a
// recursive -r are ErrorKind::invalid_input naming "file:line". URLs in -r are refused
// (detectors never touch the network), as are editable VCS URLs: ErrorKind::unsupported.
// A missing `path` itself is not_found. `path` may be relative to `project_root`.
// Paths on requirement lines and after -e are relative to the project root (pip takes them from
// its working directory, and repo2docker runs pip from the repository root); -r, -c and -f paths
// are relative to the including file, as pip has them. A local archive that does not exist is an
// error here (pip only warns, then fails installing it).
Result<RequirementsFile> parse_requirements_file(const fs::path& path, const fs::path& project_root,
                                                 const EnvLookup& env = process_environment());

// pyproject.toml
struct PyProject {
  bool has_project = false;  // a [project] table exists
  std::optional<std::string> name;
  std::optional<std::string> version;
  std::optional<std::string> requires_python;
  std::vector<PythonRequirement> dependencies;
  std::map<std::string, std::vector<PythonRequirement>> optional_dependencies;  // normalised extra
  // PEP 735, with {include-group = "…"} expanded (a cycle is invalid_input).
  std::map<std::string, std::vector<PythonRequirement>> dependency_groups;     // normalised group
  std::map<std::string, std::string> scripts;      // [project.scripts]: name → "module:attr"
  std::map<std::string, std::string> gui_scripts;  // [project.gui-scripts]
  std::vector<std::string> dynamic;
};

// Syntax errors and wrong types are ErrorKind::invalid_input naming "file:line:column".
Result<PyProject> parse_pyproject(const fs::path& path, const fs::path& project_root);

// runtime.txt ("python-3.11" or "python-3.11.4") or .python-version ("3.11", "3.11.4",
// "cpython-3.11"): the X.Y the project asks for. Other contents are invalid_input with file:line.
struct PythonVersionFile {
  std::string version;  // "3.11"
  std::string file;     // "runtime.txt"
};
Result<std::optional<PythonVersionFile>> read_python_version(const fs::path& dir,
                                                            const fs::path& project_root);

// Where the project's environment files live: `binder/` when it exists, else `.binder/`, else the
// root (repo2docker's rule: a binder folder makes files at the root ignored).
fs::path environment_dir(const fs::path& project_root);

namespace detail {
// pip's split of a requirements line: the requirement before the first space-separated token
// that starts with `-`, the options from there on (joined with single spaces, as written).
std::pair<std::string, std::string> split_requirement_options(std::string_view line);
}  // namespace detail

}  // namespace mlpack::detectors
