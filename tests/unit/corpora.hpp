#pragma once
// Where conformance tests find third-party corpora: $MLPACK_CORPORA/<name>, else
// ../shared/corpora/<name> beside the repository. nullopt when absent (the test then says it is
// skipping with MLPACK_SKIP from skip.hpp, which under CI=true fails unless tests/skips.txt allows it).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlpack::test {

inline std::optional<std::filesystem::path> corpus_dir(std::string_view name) {
  std::filesystem::path dir;
  if (const char* env = std::getenv("MLPACK_CORPORA"); env && *env) {
    dir = std::filesystem::path(env) / name;
  } else {
    // this file is <repo>/tests/unit/corpora.hpp; __FILE__ is relative to the build folder when
    // the compiler was given relative paths (ccache's base_dir does that), which is where tests run
    dir =
        std::filesystem::absolute(__FILE__).lexically_normal().parent_path().parent_path().parent_path().parent_path() /
        "shared" / "corpora" / name;
    // Run from elsewhere: beside the repository that holds the build folder of the test binary.
    std::error_code ec;
    if (auto exe = std::filesystem::read_symlink("/proc/self/exe", ec); !std::filesystem::is_directory(dir) && !ec)
      dir = exe.parent_path().parent_path().parent_path() / "shared" / "corpora" / name;
  }
  if (!std::filesystem::is_directory(dir)) return std::nullopt;
  return dir;
}

// A corpus file holding one JSON document; a missing file fails the test.
inline nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in, p.string());
  return nlohmann::json::parse(in);
}

// A corpus file holding one JSON document per line (blank lines skipped).
inline std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in, p.string());
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace mlpack::test
