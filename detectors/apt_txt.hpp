#pragma once
// apt.txt: one Debian package per line, `name` or `name=version`; `#` comments and blank lines
// are ignored (repo2docker's format, with optional version pins).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace mlpack::detectors {

struct AptRequest {
  std::string name;
  std::string version;  // empty: any
  std::string file;
  int line = 0;
};

// Errors are ErrorKind::invalid_input naming file:line.
util::Result<std::vector<AptRequest>> parse_apt_txt(std::string_view text, std::string_view file = "apt.txt");
// Reads the apt.txt of the environment folder (detectors::environment_dir: binder/, else
// .binder/, else DIR itself; the root's apt.txt is not read when a binder folder exists); none
// gives an empty list.
util::Result<std::vector<AptRequest>> read_apt_txt(const std::filesystem::path& dir);

}  // namespace mlpack::detectors
