#pragma once
// A test that cannot test (a corpus absent, a fixture that exits 77, a tool missing) says so with
//   MLPACK_SKIP("corpus pip_test_data not found");  return;
// Outside CI that is a doctest MESSAGE ("skipped: ...") and the test passes. Under CI=true it is a
// failure unless tests/skips.txt names it: a skip counts as a pass, so a CI machine without the
// network, a tool or the corpora would otherwise pass without having tested. The same list and rule
// serve the Python suites (tests/skip_policy.py): `<pattern> | <why>`, the pattern a glob over
// `<test id>: <reason>`, the test id here `<file under tests/unit>: <test case name>`.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace mlpack::skips {

// tests/skips.txt: this file is <repo>/tests/unit/skip.hpp (see corpora.hpp on __FILE__: relative
// to the build folder, where tests run). Else beside the build folder that holds the test binary.
inline std::filesystem::path skips_file() {
  namespace fs = std::filesystem;
  auto beside_source = fs::absolute(__FILE__).lexically_normal().parent_path().parent_path() / "skips.txt";
  if (fs::is_regular_file(beside_source)) return beside_source;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto beside_build = exe.parent_path().parent_path() / "tests" / "skips.txt";
    if (fs::is_regular_file(beside_build)) return beside_build;
  }
  return beside_source;
}

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  if (!ci) return false;
  std::string v(ci);
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "true";
}

// Shell-style `*` and `?` (no classes), as Python's fnmatchcase reads the same patterns.
inline bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p, ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1, t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// `<file under tests/unit>: <test case name>` of the running test case.
inline std::string current_test_id() {
  const auto* options = doctest::getContextOptions();
  if (!options || !options->currentTest) return "?";
  std::string file = options->currentTest->m_file.c_str();
  std::replace(file.begin(), file.end(), '\\', '/');
  if (auto at = file.rfind("tests/unit/"); at != std::string::npos) file = file.substr(at + 11);
  return file + ": " + options->currentTest->m_name;
}

// Whether tests/skips.txt allows this skip. A malformed line or a missing list allows nothing.
inline bool skip_allowed(const std::string& test_id, const std::string& reason) {
  std::ifstream in(skips_file());
  if (!in) return false;  // no list: nothing is allowed (unexpected_skip names where it looked)
  const std::string subject = test_id + ": " + reason;
  for (std::string line; std::getline(in, line);) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    auto sep = line.find(" | ");
    if (sep == std::string::npos) continue;
    auto pattern = line.substr(first, sep - first);
    while (!pattern.empty() && (pattern.back() == ' ' || pattern.back() == '\t')) pattern.pop_back();
    if (!pattern.empty() && glob_match(pattern, subject)) return true;
  }
  return false;
}

// The failure message for a skip under CI=true that the list does not allow; nullopt when the
// skip may stand.
inline std::optional<std::string> unexpected_skip(const std::string& reason) {
  if (!under_ci()) return std::nullopt;
  auto id = current_test_id();
  if (skip_allowed(id, reason)) return std::nullopt;
  std::string where;
  if (!std::filesystem::is_regular_file(skips_file())) where = "; the list was not found at " + skips_file().string();
  return "unexpected skip under CI=true: " + id + ": " + reason +
         " (add it to tests/skips.txt with a reason if it is fine" + where + ")";
}

}  // namespace mlpack::skips

// Reports a skip at the caller's line; the caller then returns. Takes a stream expression:
// MLPACK_SKIP("cannot fetch `" << name << "`").
#define MLPACK_SKIP(...)                                                                         \
  do {                                                                                           \
    std::ostringstream mlpack_skip_reason_;                                                      \
    mlpack_skip_reason_ << __VA_ARGS__;                                                          \
    if (auto mlpack_skip_failure_ = ::mlpack::skips::unexpected_skip(mlpack_skip_reason_.str())) \
      FAIL_CHECK(*mlpack_skip_failure_);                                                         \
    else                                                                                         \
      MESSAGE("skipped: " << mlpack_skip_reason_.str());                                         \
  } while (false)
