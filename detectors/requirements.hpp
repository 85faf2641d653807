#pragma once
// pip requirements files (requirements.txt and the files it includes), read as pip reads them but
// without touching the network: pip's line syntax, `-r`/`-c` includes, index and binary options,
// per-line `--hash`, `-e` local directories and direct references.
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detectors/python_requirement.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;
using util::Result;

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

struct RequirementsOptions {
  // Where `${NAME}` in a line is looked up (pip expands only ${NAME} of [A-Z0-9_], from its
  // process environment). Library code reads no environment variables: the CLI reads them once
  // and hands them down. Empty: nothing expands.
  util::Environment environment;
};

// Parses `path` and its includes. Malformed lines, unknown options, a missing include and a
// recursive -r are ErrorKind::invalid_input naming "file:line". URLs in -r are refused
// (detectors never touch the network), as are editable VCS URLs: ErrorKind::unsupported.
// A missing `path` itself is not_found. `path` may be relative to `project_root`.
// Paths on requirement lines and after -e are relative to the project root (pip takes them from
// its working directory, and repo2docker runs pip from the repository root); -r, -c and -f paths
// are relative to the including file, as pip has them. A local archive that does not exist is an
// error here (pip only warns, then fails installing it).
Result<RequirementsFile> parse_requirements_file(const fs::path& path, const fs::path& project_root,
                                                 const RequirementsOptions& options = {});

namespace detail {
// pip's split of a requirements line: the requirement before the first space-separated token
// that starts with `-`, the options from there on (joined with single spaces, as written).
std::pair<std::string, std::string> split_requirement_options(std::string_view line);
// pip's path_to_url: `file://` and the absolute path, percent-encoded except for `/` and the
// unreserved characters.
std::string path_to_url(const fs::path& p);
}  // namespace detail

}  // namespace mlpack::detectors
