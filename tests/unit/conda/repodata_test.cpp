#include "conda/repodata.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>

#include "conda/channel_url.hpp"
#include "conda/version.hpp"
#include "corpora.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using conda::parse_repodata;
using conda::Repodata;

namespace {

Repodata parse_ok(std::string_view json, std::string_view channel = "https://conda.example/ch") {
  auto r = parse_repodata(json, channel, "repodata.json");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  return *r;
}

util::Error parse_error(std::string_view json) {
  auto r = parse_repodata(json, "https://conda.example/ch", "https://conda.example/ch/linux-64/repodata.json");
  REQUIRE_MESSAGE(!r, json);
  return r.error();
}

const conda::PackageRecord* find(const Repodata& r, std::string_view fn) {
  for (const auto& p : r.packages)
    if (p.fn == fn) return &p;
  return nullptr;
}

}  // namespace

TEST_CASE("repodata: every field of a record") {
  auto r = parse_ok(R"({
    "info": {"subdir": "linux-64", "arch": "x86_64"},
    "packages": {
      "zlib-1.2.13-h1_0.tar.bz2": {
        "name": "zlib", "version": "1.2.13", "build": "h1_0", "build_number": 0,
        "depends": ["libgcc-ng >=12"], "constrains": ["zlib-ng <0"],
        "track_features": "feat1 feat2,feat3", "features": "", "license": "Zlib", "license_family": "Other",
        "md5": "0123456789ABCDEF0123456789abcdef",
        "sha256": "1f07873d6aa0cd18760a7b215d9956f7fa63c2f2761b03f293c659fe982923fa",
        "size": 122456, "subdir": "linux-64", "timestamp": 1542814864,
        "noarch": null, "python_site_packages_path": "lib/python3.13t/site-packages",
        "unknown_key": {"nested": [1, 2, {"x": null}]}
      }
    },
    "removed": ["old-1-0.tar.bz2"], "repodata_version": 1
  })");
  CHECK(r.subdir == "linux-64");
  CHECK(r.base_url.empty());
  REQUIRE(r.packages.size() == 1);
  const auto& p = r.packages[0];
  CHECK(p.name == "zlib");
  CHECK(p.version == "1.2.13");
  CHECK(p.build == "h1_0");
  CHECK(p.build_number == 0);
  CHECK(p.depends == std::vector<std::string>{"libgcc-ng >=12"});
  CHECK(p.constrains == std::vector<std::string>{"zlib-ng <0"});
  CHECK(p.track_features == std::vector<std::string>{"feat1", "feat2", "feat3"});
  CHECK(p.features.empty());
  CHECK(p.license == "Zlib");
  CHECK(p.license_family == "Other");
  CHECK(p.md5 == "0123456789abcdef0123456789abcdef");
  CHECK(p.sha256 == "1f07873d6aa0cd18760a7b215d9956f7fa63c2f2761b03f293c659fe982923fa");
  CHECK(p.size == 122456);
  CHECK(p.timestamp == 1542814864000);  // seconds, scaled
  CHECK(p.noarch.empty());
  CHECK(p.python_site_packages_path == "lib/python3.13t/site-packages");
  CHECK(p.subdir == "linux-64");
  CHECK(p.channel == "https://conda.example/ch");
  CHECK(p.fn == "zlib-1.2.13-h1_0.tar.bz2");
  CHECK(p.url == "https://conda.example/ch/linux-64/zlib-1.2.13-h1_0.tar.bz2");
}

TEST_CASE("repodata: timestamps in milliseconds stay, seconds are scaled") {
  auto r = parse_ok(R"({"info": {"subdir": "noarch"}, "packages": {
    "a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "timestamp": 1534516107109},
    "b-1-0.tar.bz2": {"name": "b", "version": "1", "build": "0", "timestamp": 253402300799},
    "c-1-0.tar.bz2": {"name": "c", "version": "1", "build": "0", "timestamp": 253402300800},
    "d-1-0.tar.bz2": {"name": "d", "version": "1", "build": "0", "timestamp": 1700000000.5}}})");
  CHECK(find(r, "a-1-0.tar.bz2")->timestamp == 1534516107109);
  CHECK(find(r, "b-1-0.tar.bz2")->timestamp == 253402300799000);
  CHECK(find(r, "c-1-0.tar.bz2")->timestamp == 253402300800);
  CHECK(find(r, "d-1-0.tar.bz2")->timestamp == 1700000000000);
}

TEST_CASE("repodata: noarch as conda coerces it") {
  auto r = parse_ok(R"({"info": {"subdir": "noarch"}, "packages": {
    "a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "noarch": "python"},
    "b-1-0.tar.bz2": {"name": "b", "version": "1", "build": "0", "noarch": true},
    "c-1-0.tar.bz2": {"name": "c", "version": "1", "build": "0", "noarch": false},
    "d-1-0.tar.bz2": {"name": "d", "version": "1", "build": "0", "noarch": ""},
    "e-1-0.tar.bz2": {"name": "e", "version": "1", "build": "0", "noarch": "Generic"},
    "f-1-0.tar.bz2": {"name": "f", "version": "1", "build": "0"}}})");
  CHECK(find(r, "a-1-0.tar.bz2")->noarch == "python");
  CHECK(find(r, "b-1-0.tar.bz2")->noarch == "generic");
  CHECK(find(r, "c-1-0.tar.bz2")->noarch.empty());
  CHECK(find(r, "d-1-0.tar.bz2")->noarch.empty());
  CHECK(find(r, "e-1-0.tar.bz2")->noarch == "generic");
  CHECK(find(r, "f-1-0.tar.bz2")->noarch.empty());
  auto e = parse_error(R"({"info": {"subdir": "noarch"}, "packages": {
    "bar-1-x.tar.bz2": {"name": "bar", "version": "1", "build": "x", "noarch": "notempty-this-should-fail"}}})");
  CHECK(e.kind == util::ErrorKind::invalid_input);
  CHECK(e.message.find("bar-1-x.tar.bz2") != std::string::npos);
  CHECK(e.message.find("noarch") != std::string::npos);
}

TEST_CASE("repodata: .conda wins over .tar.bz2 of the same name-version-build; order is by name, version, build") {
  auto r = parse_ok(R"({
    "packages.conda": {
      "b-1.10-h_1.conda": {"name": "b", "version": "1.10", "build": "h_1", "build_number": 1, "size": 2},
      "a-2-0.conda": {"name": "a", "version": "2", "build": "0"}
    },
    "packages": {
      "b-1.10-h_1.tar.bz2": {"name": "b", "version": "1.10", "build": "h_1", "build_number": 1, "size": 1},
      "b-1.9-h_0.tar.bz2": {"name": "b", "version": "1.9", "build": "h_0"},
      "b-1.10-h_0.tar.bz2": {"name": "b", "version": "1.10", "build": "h_0"},
      "b-1.10a-h_0.tar.bz2": {"name": "b", "version": "1.10a", "build": "h_0"}
    },
    "info": {"subdir": "linux-64"}
  })");
  std::vector<std::string> fns;
  for (const auto& p : r.packages) fns.push_back(p.fn);
  // conda's order: 1.9 < 1.10a < 1.10 (a letter before the final release); build_number breaks ties
  CHECK(fns == std::vector<std::string>{"a-2-0.conda", "b-1.9-h_0.tar.bz2", "b-1.10a-h_0.tar.bz2", "b-1.10-h_0.tar.bz2",
                                        "b-1.10-h_1.conda"});
  CHECK(find(r, "b-1.10-h_1.conda")->size == 2);
}

TEST_CASE("repodata: base_url, absolute or relative to the repodata (CEP 15)") {
  auto rel = parse_ok(R"({"info": {"subdir": "noarch", "base_url": "../linux-64"}, "packages": {
    "a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "subdir": "linux-64"}}})",
                      "https://conda.example/ch/");
  CHECK(rel.base_url == "../linux-64");
  CHECK(rel.packages.at(0).url == "https://conda.example/ch/linux-64/a-1-0.tar.bz2");
  CHECK(rel.packages.at(0).subdir == "noarch");  // info.subdir, as conda keeps it
  CHECK(rel.packages.at(0).channel == "https://conda.example/ch");
  auto abs = parse_ok(R"({"info": {"subdir": "linux-64", "base_url": "https://mirror.example/pkgs/"}, "packages": {
    "a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0"}}})");
  CHECK(abs.packages.at(0).url == "https://mirror.example/pkgs/a-1-0.tar.bz2");
  auto file = parse_ok(R"({"info": {"subdir": "linux-64"}, "packages": {
    "a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0"}}})",
                       "file:///srv/my%20channel");
  CHECK(file.packages.at(0).url == "file:///srv/my%20channel/linux-64/a-1-0.tar.bz2");
}

TEST_CASE("repodata: features as a list or a string; nulls read as absent") {
  auto r = parse_ok(R"({"info": {"subdir": "linux-64"}, "packages": {
    "a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "track_features": ["   foo   ", "  bar  ", ""],
                      "features": "mkl  blas", "depends": null, "license": null, "md5": null, "sha256": null}}})");
  const auto& p = r.packages.at(0);
  CHECK(p.track_features == std::vector<std::string>{"foo", "bar"});
  CHECK(p.features == std::vector<std::string>{"mkl", "blas"});
  CHECK(p.depends.empty());
  CHECK(p.license.empty());
  CHECK(p.md5.empty());
}

TEST_CASE("repodata: errors name the file and the record") {
  auto check = [](std::string_view json, std::string_view says) {
    auto e = parse_error(json);
    CHECK(e.kind == util::ErrorKind::invalid_input);
    CHECK_MESSAGE(e.message.find("https://conda.example/ch/linux-64/repodata.json") == 0, e.message);
    CHECK_MESSAGE(e.message.find(says) != std::string::npos, e.message);
  };
  check("", "not valid repodata JSON");
  check("<html>nope</html>", "not valid repodata JSON");
  check("[1, 2]", "not a JSON object");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0")",
        "not valid repodata JSON");
  check(R"({"packages": {}})", "no `info.subdir`");
  check(R"({"info": {"platform": "linux"}, "packages": {}})", "no `info.subdir`");
  check(R"({"info": {"subdir": 64}})", "`info.subdir` must be a string");
  check(R"({"info": {"subdir": "linux-64"}, "packages": []})", "`packages` must be an object");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"version": "1", "build": "0"}}})",
        "package `a-1-0.tar.bz2`: no `name`");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "build": "0"}}})",
        "package `a-1-0.tar.bz2`: no `version`");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1"}}})",
        "package `a-1-0.tar.bz2`: no `build`");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0",
        "sha256": "xyz"}}})",
        "`sha256: xyz` is not 64 hex digits");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0",
        "sha256": "1f07873d6aa0cd18760a7b215d9956f7fa63c2f2761b03f293c659fe982923fg"}}})",
        "is not 64 hex digits");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0",
        "md5": "0123"}}})",
        "`md5: 0123` is not 32 hex digits");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0",
        "size": -1}}})",
        "`size` must be a non-negative number");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0",
        "depends": "b"}}})",
        "`depends` must be a list of strings");
  check(
      R"({"info": {"subdir": "linux-64"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1!!2", "build": "0"}}})",
      "package `a-1-0.tar.bz2`: invalid version");
  check(
      R"({"info": {"subdir": "linux-64"}, "packages": {"../evil.conda": {"name": "a", "version": "1", "build": "0"}}})",
      "not a file name");
  check(R"({"info": {"subdir": "linux-64"}, "packages": {"a\n-1-0.tar.bz2": {"version": "1", "build": "0"}}})",
        "package `a?-1-0.tar.bz2`");
}

TEST_CASE("repodata: deep nesting and long input are refused, not crashed on") {
  std::string deep =
      R"({"info": {"subdir": "noarch"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "x": )";
  deep += std::string(5000, '[') + std::string(5000, ']') + "}}}";
  auto r = parse_repodata(deep, "https://c", "deep.json");
  if (r)
    CHECK(r->packages.size() == 1);  // skipped unread is fine too; what matters is no crash
  else
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
}

TEST_CASE("repodata: a file on disk") {
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  auto path = dir->path() / "repodata.json";
  REQUIRE(util::write_file_atomic(
      path,
      R"({"info": {"subdir": "noarch"}, "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0"}}})"));
  auto r = conda::parse_repodata_file(path, "https://c", "c/noarch/repodata.json");
  REQUIRE(r);
  CHECK(r->packages.size() == 1);
  auto missing = conda::parse_repodata_file(dir->path() / "absent.json", "https://c", "absent");
  REQUIRE(!missing);
  CHECK(missing.error().kind == util::ErrorKind::io);
}

// ---- the corpus: real channels from conda's and rattler's test data --------------------------

namespace {

struct Expected {
  std::size_t records;  // after .conda-over-.tar.bz2
  std::string error;    // non-empty: the file must be refused with this in the message
};

// Counted independently of the parser (python3: json.load, stems, .conda preferred).
const std::map<std::string, Expected>& corpus_expectations() {
  static const std::map<std::string, Expected> expected = {
      {"conda_format_repo/linux-64/repodata.json", {2, ""}},
      {"conda_format_repo/noarch/repodata.json", {0, ""}},
      {"conda_format_repo/osx-64/repodata.json", {1, ""}},
      {"conda_format_repo/win-32/repodata.json", {1, ""}},
      {"conda_format_repo/win-64/repodata.json", {4, ""}},
      {"conda_test_recipes_channel/linux-fake/repodata.json", {3, ""}},
      {"conda_test_recipes_channel/noarch/repodata.json", {32, ""}},
      {"conda_test_recipes_channel/osx-fake/repodata.json", {3, ""}},
      {"conda_test_recipes_channel/win-fake/repodata.json", {3, ""}},
      {"rattler_channels/conditional-repodata/noarch/repodata.json", {7, ""}},
      {"rattler_channels/dummy-no-conda-packages/linux-64/repodata.json", {12, ""}},
      {"rattler_channels/dummy-noarch-str-not-empty/linux-64/repodata.json", {0, "noarch: notempty-this-should-fail"}},
      {"rattler_channels/dummy-noarch-str/linux-64/repodata.json", {3, ""}},
      {"rattler_channels/dummy-optional-dependencies/noarch/repodata.json", {4, ""}},
      {"rattler_channels/dummy/linux-64/repodata.json", {24, ""}},
      {"rattler_channels/empty/noarch/repodata.json", {0, ""}},
      {"rattler_channels/openssl-run-exports-test/linux-64/repodata.json", {1, ""}},
      {"rattler_channels/pytorch/linux-64/repodata.json", {2181, ""}},
      {"rattler_channels/with-wheels/linux-64/repodata.json", {25, ""}},
      {"rattler_channels/with-wheels/noarch/repodata.json", {4, ""}},
      {"rattler_test-server/repo/noarch/repodata.json", {1, ""}},
  };
  return expected;
}

}  // namespace

TEST_CASE("repodata: every repodata.json of ../shared/corpora/conda_channels_packages") {
  auto corpus = test::corpus_dir("conda_channels_packages");
  if (!corpus) {
    MLPACK_SKIP("corpus conda_channels_packages not found (set MLPACK_CORPORA)");
    return;
  }
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(*corpus)) {
    if (entry.path().filename() != "repodata.json") continue;
    auto rel = entry.path().lexically_relative(*corpus).generic_string();
    auto it = corpus_expectations().find(rel);
    REQUIRE_MESSAGE(it != corpus_expectations().end(), "no expectation for ", rel);
    ++seen;
    auto subdir = entry.path().parent_path().filename().string();
    auto r = conda::parse_repodata_file(entry.path(), "https://conda.example/corpus", rel);
    if (!it->second.error.empty()) {
      REQUIRE_MESSAGE(!r, rel);
      CHECK_MESSAGE(r.error().message.find(it->second.error) != std::string::npos, r.error().message);
      continue;
    }
    REQUIRE_MESSAGE(r, rel, ": ", (r ? "" : r.error().message));
    CHECK_MESSAGE(r->packages.size() == it->second.records, rel);
    for (const auto& p : r->packages) {
      CHECK(!p.name.empty());
      CHECK(p.subdir == r->subdir);
      CHECK((p.fn.ends_with(".conda") || p.fn.ends_with(".tar.bz2")));
      CHECK(p.url.ends_with("/" + p.fn));
      CHECK((p.sha256.empty() || p.sha256.size() == 64));
    }
    // Sorted by name, then conda's version order.
    CHECK(std::is_sorted(r->packages.begin(), r->packages.end(), [](const auto& a, const auto& b) {
      if (a.name != b.name) return a.name < b.name;
      return *conda::Version::parse(a.version) < *conda::Version::parse(b.version);
    }));
  }
  CHECK(seen == corpus_expectations().size());
}

TEST_CASE("repodata corpus: .conda preferred, base_url, fields as the files say") {
  auto corpus = test::corpus_dir("conda_channels_packages");
  if (!corpus) {
    MLPACK_SKIP("corpus conda_channels_packages not found (set MLPACK_CORPORA)");
    return;
  }
  auto zlib = conda::parse_repodata_file(*corpus / "conda_format_repo/linux-64/repodata.json",
                                         "https://repo.example/pkgs/main", "zlib");
  REQUIRE(zlib);
  auto* z = find(*zlib, "zlib-1.2.11-h7b6447c_3.conda");
  REQUIRE(z);
  CHECK(find(*zlib, "zlib-1.2.11-h7b6447c_3.tar.bz2") == nullptr);
  CHECK(z->sha256 == "f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b");
  CHECK(z->md5 == "cb23839f06da92ec92c6d2d2d5e0cb4a");
  CHECK(z->size == 105917);
  CHECK(z->timestamp == 1542814864621);
  CHECK(z->url == "https://repo.example/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda");
  CHECK(z->depends == std::vector<std::string>{"libgcc-ng >=7.3.0"});

  auto dummy = conda::parse_repodata_file(*corpus / "rattler_channels/dummy/linux-64/repodata.json",
                                          "https://c.example/dummy", "dummy");
  REQUIRE(dummy);
  CHECK(dummy->base_url == "../linux-64");
  std::map<std::string, std::vector<std::string>> tf;
  for (const auto& p : dummy->packages)
    if (p.name == "track-features") tf[p.version] = p.track_features;
  CHECK(tf["1"] == std::vector<std::string>{"foo"});
  CHECK(tf["2"] == std::vector<std::string>{"foo", "bar"});
  CHECK(tf["3"] == std::vector<std::string>{"foo", "bar"});
  CHECK(tf["4"] == std::vector<std::string>{"foo", "bar"});

  auto openssl = conda::parse_repodata_file(
      *corpus / "rattler_channels/openssl-run-exports-test/linux-64/repodata.json", "https://c.example/x", "openssl");
  REQUIRE(openssl);
  REQUIRE(openssl->packages.size() == 1);
  CHECK(openssl->packages[0].url.starts_with("https://conda.anaconda.org/conda-forge/linux-64/"));

  auto recipes = conda::parse_repodata_file(*corpus / "conda_test_recipes_channel/noarch/repodata.json",
                                            "file:///channel", "recipes");
  REQUIRE(recipes);
  std::size_t python_noarch = 0, site_packages = 0;
  for (const auto& p : recipes->packages) {
    python_noarch += p.noarch == "python";
    site_packages += !p.python_site_packages_path.empty();
  }
  CHECK(python_noarch > 0);
  CHECK(site_packages > 0);
}

TEST_CASE("channel URLs: secrets masked for messages, removed for records") {
  CHECK(conda::redact_channel_url("https://u:p@conda.anaconda.org/t/abc-123/channel/linux-64/x.conda") ==
        "https://***@conda.anaconda.org/t/***/channel/linux-64/x.conda");
  CHECK(conda::redact_channel_url("https://repo.example.org/t/tok") == "https://repo.example.org/t/***");
  CHECK(conda::redact_channel_url("conda-forge") == "conda-forge");
  CHECK(conda::strip_channel_credentials("https://u:p@conda.anaconda.org/t/abc-123/channel/noarch/x.conda") ==
        "https://conda.anaconda.org/channel/noarch/x.conda");
}
