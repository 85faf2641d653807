#pragma once
// The Python version a project asks for: runtime.txt or .python-version.
#include <filesystem>
#include <optional>
#include <string>

#include "util/error.hpp"

namespace mlpack::detectors {

struct PythonVersionFile {
  std::string version;  // "3.11"
  std::string file;     // "runtime.txt", relative to the project root
};

// The X.Y the project asks for, from `dir` (relative to `project_root`, or absolute): runtime.txt
// ("python-3.11" or "python-3.11.4"), else .python-version ("3.11", "3.11.4", "cpython-3.11"). A
// runtime.txt that pins R (`r-…`, repo2docker's) or holds only comments counts as absent; none
// when neither file says. Other contents are invalid_input with file:line.
util::Result<std::optional<PythonVersionFile>> read_python_version(const std::filesystem::path& dir,
                                                                   const std::filesystem::path& project_root);

}  // namespace mlpack::detectors
