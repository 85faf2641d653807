#pragma once
// Where conformance tests find third-party corpora: $MLPACK_CORPORA/<name>, else
// ../shared/corpora/<name> beside the repository. nullopt when absent (the test then says it is
// skipping and passes).
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>

namespace mlpack::test {

inline std::optional<std::filesystem::path> corpus_dir(std::string_view name) {
  std::filesystem::path dir;
  if (const char* env = std::getenv("MLPACK_CORPORA"); env && *env)
    dir = std::filesystem::path(env) / name;
  else  // this file is <repo>/tests/unit/corpora.hpp
    dir = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "shared" /
          "corpora" / name;
  if (!std::filesystem::is_directory(dir)) return std::nullopt;
  return dir;
}

}  // namespace mlpack::test
