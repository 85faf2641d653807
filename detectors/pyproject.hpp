#pragma once
// pyproject.toml: the PEP 621 `[project]` table and PEP 735 `[dependency-groups]`.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "detectors/python_requirement.hpp"
#include "util/error.hpp"

namespace mlpack::detectors {

namespace fs = std::filesystem;
using util::Result;

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

// Syntax errors and wrong types are ErrorKind::invalid_input naming "file:line:column". `path`
// may be relative to `project_root`.
Result<PyProject> parse_pyproject(const fs::path& path, const fs::path& project_root);

}  // namespace mlpack::detectors
