#pragma once
// Shared by the conda conformance tests: where the corpus is, and a tally of passed and excepted
// vectors printed at the end of each test case.
#include <doctest/doctest.h>

#include "corpora.hpp"

#include <iostream>
#include <map>
#include <optional>
#include <string>

namespace mlpack::test {

inline std::optional<std::filesystem::path> conda_corpus() { return corpus_dir("conda_version_matchspec"); }

struct Tally {
  std::string name;
  int passed = 0;
  std::map<std::string, int> excepted;  // reason -> count

  void except(const std::string& reason) { ++excepted[reason]; }
  ~Tally() {
    std::cout << name << ": " << passed << " passed";
    for (const auto& [reason, n] : excepted) std::cout << ", " << n << " excepted (" << reason << ")";
    std::cout << "\n";
  }
};

}  // namespace mlpack::test
