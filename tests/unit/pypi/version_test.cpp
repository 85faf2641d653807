#include "pypi/version.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "corpora.hpp"
#include "skip.hpp"

using namespace mlpack;
using mlpack::test::read_json;
using pypi::Version;

namespace {

Version v(std::string_view s) {
  auto r = Version::parse(s);
  REQUIRE_MESSAGE(r, s);
  return *r;
}

std::optional<std::filesystem::path> corpus() { return mlpack::test::corpus_dir("pypa_packaging"); }

}  // namespace

TEST_CASE("normalisation") {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"1.0", "1.0"},
      {"v1.0", "1.0"},
      {"  1.0\n", "1.0"},
      {"1.0ALPHA", "1.0a0"},
      {"1.0-beta.2", "1.0b2"},
      {"1.0c1", "1.0rc1"},
      {"1.0pre1", "1.0rc1"},
      {"1.0preview_3", "1.0rc3"},
      {"1.0-1", "1.0.post1"},
      {"1.0rev2", "1.0.post2"},
      {"1.0r", "1.0.post0"},
      {"1.0-post", "1.0.post0"},
      {"1.0.dev", "1.0.dev0"},
      {"1.0a1-dev-3", "1.0a1.dev3"},
      {"01.002", "1.2"},
      {"0!1.0", "1.0"},
      {"2!1.0", "2!1.0"},
      {"1.0+CU121", "1.0+cu121"},
      {"1.0+ubuntu-1_2.x", "1.0+ubuntu.1.2.x"},
  };
  for (const auto& c : cases) CHECK_MESSAGE(v(c.in).str() == c.out, c.in);
}

TEST_CASE("ordering table") {
  const char* ascending[] = {
      "1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0a1.post1.dev1", "1.0a1.post1", "1.0b1", "1.0rc1",
      "1.0",      "1.0+abc",   "1.0+abc.5", "1.0+5",            "1.0+10",      "1.0.post1.dev1",
      "1.0.post1", "1.0.1",    "1.1",       "2!0.1",
  };
  for (std::size_t i = 0; i + 1 < std::size(ascending); ++i)
    CHECK_MESSAGE(v(ascending[i]) < v(ascending[i + 1]), ascending[i], " < ", ascending[i + 1]);
  CHECK(v("1.0") == v("1.0.0"));
  CHECK(v("1.0+Local") == v("1.0+local"));
  CHECK(v("1.0+local") > v("1.0"));
  CHECK(v("1.0+0010") == v("1.0+10"));
}

TEST_CASE("components") {
  auto x = v("3!1.2.3rc4.post5.dev6+ab-7");
  CHECK(x.epoch() == 3);
  CHECK(std::vector<std::uint64_t>(x.release().begin(), x.release().end()) == std::vector<std::uint64_t>{1, 2, 3});
  REQUIRE(x.pre());
  CHECK(x.pre()->kind == pypi::PreKind::rc);
  CHECK(x.pre()->number == 4);
  CHECK(x.post() == 5u);
  CHECK(x.dev() == 6u);
  CHECK(x.local() == "ab.7");
  CHECK(x.is_prerelease());
  CHECK(x.is_postrelease());
  CHECK(x.is_devrelease());
  CHECK(x.public_version().str() == "3!1.2.3rc4.post5.dev6");
  CHECK(x.base_version().str() == "3!1.2.3");
  CHECK_FALSE(v("1.0.post1").is_prerelease());
  CHECK(v("1.0.dev1").is_prerelease());
}

TEST_CASE("errors name the text") {
  for (const char* bad : {"", "french toast", "1.0+", "1.0+a+", "1..0", "1.0.", "1. 0", "1.0+_x"}) {
    auto r = Version::parse(bad);
    REQUIRE_FALSE_MESSAGE(r, bad);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK_MESSAGE(r.error().message.find("`" + std::string(bad) + "`") != std::string::npos, r.error().message);
  }
  CHECK(Version::parse("1.0 x").error().message ==
        "`1.0 x` is not a valid PEP 440 version: unexpected ` x`");
  CHECK(Version::parse("99999999999999999999").error().message.find("too large") != std::string::npos);
}

TEST_CASE("conformance: pypa/packaging version vectors") {
  auto dir = corpus();
  if (!dir) {
    MLPACK_SKIP("pypa_packaging corpus not found (set MLPACK_CORPORA)");
    return;
  }
  int passed = 0;
  int total = 0;

  for (const auto& c : read_json(*dir / "version" / "versions_normalized.json")) {
    ++total;
    auto in = c["input"].get<std::string>();
    auto r = Version::parse(in);
    if (r && r->str() == c["normalized"].get<std::string>())
      ++passed;
    else
      FAIL_CHECK("normalized: ", in);
  }

  for (const auto& c : read_json(*dir / "version" / "versions_invalid.json")) {
    ++total;
    auto in = c.get<std::string>();
    if (!Version::parse(in))
      ++passed;
    else
      FAIL_CHECK("accepted invalid: ", in);
  }

  std::vector<Version> ordered;
  {
    std::ifstream in(*dir / "version" / "versions_ordered.txt");
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      ++total;
      auto r = Version::parse(line);
      if (r) {
        ++passed;
        ordered.push_back(*r);
      } else {
        FAIL_CHECK("ordered list entry rejected: ", line);
      }
    }
  }
  // Every pair, both ways round, as the upstream tests derive them.
  for (std::size_t i = 0; i < ordered.size(); ++i)
    for (std::size_t j = 0; j < ordered.size(); ++j) {
      ++total;
      auto expected = i <=> j;
      if ((ordered[i] <=> ordered[j]) == expected && ((ordered[i] == ordered[j]) == (i == j)))
        ++passed;
      else
        FAIL_CHECK("order: ", ordered[i].str(), " vs ", ordered[j].str());
    }

  for (const auto& c : read_json(*dir / "version" / "version_components.json")) {
    ++total;
    auto in = c["version"].get<std::string>();
    auto r = Version::parse(in);
    bool ok = r.has_value();
    // Each vector carries only the fields its upstream test asserts.
    auto has = [&](const char* key) { return c.contains(key); };
    if (ok && has("public")) ok = r->public_version().str() == c["public"].get<std::string>();
    if (ok && has("base_version")) ok = r->base_version().str() == c["base_version"].get<std::string>();
    if (ok && has("epoch")) ok = r->epoch() == c["epoch"].get<std::uint64_t>();
    if (ok && has("release"))
      ok = std::vector<std::uint64_t>(r->release().begin(), r->release().end()) ==
           c["release"].get<std::vector<std::uint64_t>>();
    if (ok && has("local"))
      ok = c["local"].is_null() ? r->local().empty() : r->local() == c["local"].get<std::string>();
    if (ok && has("pre")) {
      const auto& pre = c["pre"];
      ok = pre.is_null() ? !r->pre()
                         : r->pre() && to_string(r->pre()->kind) == pre.at(0).get<std::string>() &&
                               r->pre()->number == pre.at(1).get<std::uint64_t>();
    }
    if (ok && has("post")) ok = c["post"].is_null() ? !r->post() : r->post() == c["post"].get<std::uint64_t>();
    if (ok && has("dev")) ok = c["dev"].is_null() ? !r->dev() : r->dev() == c["dev"].get<std::uint64_t>();
    if (ok && has("is_prerelease")) ok = r->is_prerelease() == c["is_prerelease"].get<bool>();
    if (ok && has("is_postrelease")) ok = r->is_postrelease() == c["is_postrelease"].get<bool>();
    if (ok && has("is_devrelease")) ok = r->is_devrelease() == c["is_devrelease"].get<bool>();
    if (ok)
      ++passed;
    else
      FAIL_CHECK("components: ", in);
  }

  MESSAGE("pypa/packaging version vectors: ", passed, "/", total, " passed");
  CHECK(passed == total);
}
