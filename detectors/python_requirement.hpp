#pragma once
// One Python requirement as the project states it, from requirements.txt or pyproject.toml.
#include <map>
#include <string>
#include <vector>

#include "pypi/requirement.hpp"

namespace mlpack::detectors {

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
  // The dependency group that brings it, installed only when selected ("dev": a Pipfile's
  // [dev-packages]); empty: always installed.
  std::string group;
  std::string file;                 // path relative to the project root ("requirements.txt")
  int line = 0;                     // 1-based line where the requirement starts
  int column = 0;                   // pyproject.toml: 1-based column of the string; else 0
  // --config-settings KEY=VALUE on the line, in order (a key given twice keeps both values).
  std::map<std::string, std::vector<std::string>> config_settings;
};

}  // namespace mlpack::detectors
