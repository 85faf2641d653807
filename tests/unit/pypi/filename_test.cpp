#include "pypi/filename.hpp"

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
fs::path pypa_corpus_files() {
  return mlpack::test::corpus_dir("pypa_packaging").value_or(fs::path("/nonexistent/pypa_packaging"));
}
}  // namespace

TEST_CASE("parse_wheel_filename") {
  auto w = parse_wheel_filename("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
  REQUIRE(w);
  CHECK(w->name == "numpy");
  CHECK(w->version == "1.26.4");
  CHECK_FALSE(w->build);
  REQUIRE(w->tags.size() == 2);
  CHECK(w->tags[0].to_string() == "cp311-cp311-manylinux2014_x86_64");

  auto b = parse_wheel_filename("Foo_Bar-1.0-7local-py3-none-any.whl");
  REQUIRE(b);
  CHECK(b->name == "foo-bar");
  CHECK(b->build == BuildTag{7, "local"});

  auto e = parse_wheel_filename("foo-1.0-abc-py3-none-any.whl");
  REQUIRE_FALSE(e);
  CHECK(e.error().kind == mlpack::util::ErrorKind::invalid_input);
  CHECK(e.error().message.find("foo-1.0-abc-py3-none-any.whl") != std::string::npos);
  CHECK(e.error().message.find("digit") != std::string::npos);
  CHECK_FALSE(parse_wheel_filename("foo-1.0-py3-none-any.zip"));
}

TEST_CASE("parse_sdist_filename") {
  auto s = parse_sdist_filename("Django-4.2.1.tar.gz");
  REQUIRE(s);
  CHECK(s->name == "django");
  CHECK(s->version == "4.2.1");
  auto d = parse_sdist_filename("foo-bar-2.0rc1.zip");
  REQUIRE(d);
  CHECK(d->name == "foo-bar");
  CHECK(d->version == "2.0rc1");
  CHECK_FALSE(parse_sdist_filename("foo-1.0.tar.bz2"));
  CHECK(is_valid_version_string("1!2.0.post1.dev3+cu121"));
  CHECK_FALSE(is_valid_version_string("1.x"));
}

TEST_CASE("conformance: pypa utils/wheel_filenames.jsonl and sdist_filenames.jsonl") {
  const auto dir = pypa_corpus_files() / "utils";
  if (!fs::exists(dir / "wheel_filenames.jsonl")) {
    MLPACK_SKIP(dir.string() << " absent");
    return;
  }
  int wheels = 0, sdists = 0, order_excluded = 0;
  {
    std::ifstream in(dir / "wheel_filenames.jsonl");
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto v = nlohmann::json::parse(line);
      const std::string f = v["filename"];
      auto w = parse_wheel_filename(f);
      CHECK_MESSAGE(w.has_value() == v["valid"].get<bool>(), f);
      // Excluded: `valid_with_validate_order` is packaging 26's opt-in check that a
      // compressed tag set is sorted; we accept any order, as pip does.
      if (v.contains("valid_with_validate_order")) ++order_excluded;
      if (w && v.contains("name")) {
        CHECK_MESSAGE(w->name == v["name"].get<std::string>(), f);
        CHECK_MESSAGE(w->version == v["version"].get<std::string>(), f);
        const auto& build = v["build"];
        if (build.empty()) {
          CHECK_MESSAGE(!w->build, f);
        } else {
          REQUIRE_MESSAGE(w->build, f);
          CHECK(w->build->number == build[0].get<std::uint64_t>());
          CHECK(w->build->suffix == build[1].get<std::string>());
        }
        std::vector<std::string> tags;
        for (const auto& t : w->tags) tags.push_back(t.to_string());
        CHECK_MESSAGE(tags == v["tags"].get<std::vector<std::string>>(), f);
      }
      ++wheels;
    }
  }
  {
    std::ifstream in(dir / "sdist_filenames.jsonl");
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto v = nlohmann::json::parse(line);
      const std::string f = v["filename"];
      auto s = parse_sdist_filename(f);
      CHECK_MESSAGE(s.has_value() == v["valid"].get<bool>(), f);
      if (s && v.contains("name")) {
        CHECK(s->name == v["name"].get<std::string>());
        CHECK(s->version == v["version"].get<std::string>());
      }
      ++sdists;
    }
  }
  MESSAGE("wheel filenames: " << wheels << " (validate_order variant not checked: " << order_excluded
                              << "), sdist filenames: " << sdists);
  CHECK(wheels == 24);
  CHECK(sdists == 7);
}
