#include "pypi/name.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "corpora.hpp"
#include "skip.hpp"

using namespace mlpack::pypi;
namespace fs = std::filesystem;

namespace {
fs::path pypa_corpus_name() {
  return mlpack::test::corpus_dir("pypa_packaging").value_or(fs::path("/nonexistent/pypa_packaging"));
}
}  // namespace

TEST_CASE("normalize_name follows PEP 503") {
  CHECK(normalize_name("Foo.Bar") == "foo-bar");
  CHECK(normalize_name("foo___bar") == "foo-bar");
  CHECK(normalize_name("a-_.b") == "a-b");
  CHECK(normalize_name("_x") == "-x");
}

TEST_CASE("is_valid_name follows PEP 508") {
  CHECK(is_valid_name("numpy"));
  CHECK(is_valid_name("a"));
  CHECK(is_valid_name("zope.interface"));
  CHECK_FALSE(is_valid_name(""));
  CHECK_FALSE(is_valid_name("_x"));
  CHECK_FALSE(is_valid_name("x-"));
  CHECK_FALSE(is_valid_name("a b"));
  CHECK(is_normalized_name("foo-bar"));
  CHECK_FALSE(is_normalized_name("foo--bar"));
}

TEST_CASE("conformance: pypa utils/canonicalize_name.json") {
  const auto path = pypa_corpus_name() / "utils" / "canonicalize_name.json";
  if (!fs::exists(path)) {
    MLPACK_SKIP(path.string() << " absent");
    return;
  }
  const auto doc = nlohmann::json::parse(std::ifstream(path));
  int checked = 0;
  for (const auto& v : doc["valid"]) {
    const std::string name = v["name"];
    CHECK_MESSAGE(normalize_name(name) == v["canonical"].get<std::string>(), name);
    ++checked;
  }
  for (const auto& v : doc["invalid"]) {
    const std::string name = v["name"];
    CHECK_MESSAGE(normalize_name(name) == v["canonical_unvalidated"].get<std::string>(), name);
    CHECK_MESSAGE(!is_valid_name(name), name);
    ++checked;
  }
  for (const auto& v : doc["is_normalized"]) {
    const std::string name = v["name"];
    CHECK_MESSAGE(normalize_name(name) == v["normalized_form"].get<std::string>(), name);
    CHECK_MESSAGE(is_normalized_name(name) == v["name_is_normalized"].get<bool>(), name);
    ++checked;
  }
  MESSAGE("canonicalize_name vectors checked: " << checked);
  CHECK(checked == 29);
}
