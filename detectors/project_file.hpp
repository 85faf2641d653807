#pragma once
// The one rule for every file mlpack reads on a project's behalf (the ecosystem files, the files
// they include, lockfiles, mlpack.yaml, Procfile, ignore files): it must resolve, after symbolic
// links, inside the project's real path, and be a regular file of a bounded size. A project is
// untrusted input: without this rule, `-r /proc/self/environ` in requirements.txt, or a
// requirements.txt that links to a registry credentials file, would have its first unparsable
// line quoted in an error that lands in a CI log; a FIFO named mlpack.yaml would hang the run.
//
// And the one rule for quoting what a project file says in a message: `quote_text`.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;

// What a project file is, once it passed the rule.
struct ProjectFileInfo {
  fs::path real;            // its real path: inside the project's real path
  std::uint64_t size = 0;
  bool executable = false;  // the owner may execute it
};

// Checks `file` against the rule without reading it (`file` and `project_root` are paths as
// the caller has them: a relative one is relative to the working directory):
//  - not_found when nothing is there (a dangling link included);
//  - invalid_input when it resolves outside the project's real path (`..`, an absolute path, a
//    link anywhere on the way), or is not a regular file (a FIFO, a device, a socket, a
//    directory). The message names `file` as the project shows it (display_path), never what
//    it resolves to or holds.
// The file is opened without following a last link and without blocking, so a FIFO or a device
// is looked at, never waited on.
// `shown` is how messages name the file (an include as its line writes it); empty: display_path.
util::Result<ProjectFileInfo> check_project_file(const fs::path& file, const fs::path& project_root,
                                                 std::string_view shown = {});

// check_project_file, then the whole content. A file over `max_bytes` is invalid_input naming
// the file, its size and the bound. Between the check and the read a link could be swapped by
// someone writing into the project at the same time; the rule guards against what a project
// contains, not against a concurrent writer on the build machine.
util::Result<std::string> read_project_file(const fs::path& file, const fs::path& project_root,
                                            std::size_t max_bytes, std::string_view shown = {});

// Whether `file` should be read as a project file at all: something is there that is not a
// directory (a link followed). What read_project_file refuses (a FIFO, a link out of the
// project) counts as there, so that it is refused, not silently skipped; a dangling link does
// not.
bool project_file_present(const fs::path& file);

// Text from a project file, ready for a message: in backticks, control characters, NUL and
// bytes that are not UTF-8 escaped, cut to about 200 bytes (util::printable_excerpt). Every
// detector quotes a project's text through this.
std::string quote_text(std::string_view text);

}  // namespace mlpack::detectors
