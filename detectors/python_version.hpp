#pragma once
// The Python version a project asks for: runtime.txt or .python-version, and the one rule for how a
// version request is spelt (shared with --python and mlpack.yaml `python`).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace mlpack::detectors {

// "3.11" → "3.11", "3.11.4" → "3.11.4", "3" → "3" (only with Precision::major_allowed); anything
// else (letters, empty parts, four parts, leading `+`…) → nullopt. Leading zeros are kept as
// written: "3.011" is refused, since no interpreter is spelt that way.
enum class Precision { minor_required, major_allowed };
std::optional<std::string> parse_python_request(std::string_view text,
                                                Precision precision = Precision::minor_required);

struct PythonVersionFile {
  // What the file asks for, as parse_python_request reads it: "3" (the base's Python 3, whatever
  // its minor version, as repo2docker reads `python-3`), "3.11" (any 3.11.x) or "3.11.4" (exactly).
  std::string version;
  std::string file;  // "runtime.txt", relative to the project root
};

// What the project asks for, from `dir` (relative to `project_root`, or absolute): runtime.txt
// ("python-3", "python-3.11" or "python-3.11.4"), else .python-version ("3", "3.11", "3.11.4",
// "cpython-3.11"). A runtime.txt that pins R (`r-…`, repo2docker's) or holds only comments counts as
// absent; none when neither file says. Other contents are invalid_input with file:line.
util::Result<std::optional<PythonVersionFile>> read_python_version(const std::filesystem::path& dir,
                                                                   const std::filesystem::path& project_root);

}  // namespace mlpack::detectors
