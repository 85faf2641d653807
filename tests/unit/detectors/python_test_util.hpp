#pragma once
// A project folder in a temp dir, for the tests of the Python project-file readers.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "util/environment.hpp"
#include "util/fs.hpp"

namespace mlpack::test {

struct Project {
  util::TempDir dir = std::move(*util::TempDir::create());
  std::filesystem::path root() const { return dir.path(); }
  void write(const std::string& rel, std::string_view text) const {
    auto path = root() / rel;
    REQUIRE(util::make_dirs(path.parent_path()));
    REQUIRE(util::write_file_atomic(path, text));
  }
  // A directory pip would accept as a project.
  void project_dir(const std::string& rel) const { write(rel + "/pyproject.toml", "[project]\nname = \"x\"\nversion = \"1\"\n"); }
};

inline util::Environment env_of(const std::map<std::string, std::string>& vars) {
  return util::Environment(std::map<std::string, std::string, std::less<>>(vars.begin(), vars.end()));
}

}  // namespace mlpack::test
