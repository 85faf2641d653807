#include "cran/package.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>

#include "cran/base_packages.hpp"
#include "corpora.hpp"
#include "skip.hpp"
#include "util/fs.hpp"
#include "util/process.hpp"

using namespace mlpack;
using cran::PackageRecord;

namespace {

PackageRecord description(std::string_view text) {
  auto r = cran::parse_description(text, "DESCRIPTION");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  return *r;
}

std::string names(const std::vector<cran::Dependency>& deps) {
  std::string out;
  for (const auto& d : deps) out += (out.empty() ? "" : ", ") + d.str();
  return out;
}

cran::Version ver(std::string_view s) {
  return *cran::Version::parse_numeric(s);
}

// A PACKAGES file of the corpus, gunzipped with the system's gzip for the .gz ones (this test
// links only lib/cran, which knows no compression); nullopt when gzip is missing.
std::optional<std::string> read_index(const std::filesystem::path& p) {
  if (p.extension() == ".gz") return util::program_output({"gzip", "-dc", p.string()}, std::size_t{64} << 20);
  auto text = util::read_file(p);
  REQUIRE_MESSAGE(text, p.string());
  return *text;
}

}  // namespace

TEST_CASE("cran package: a DESCRIPTION") {
  auto r = description(
      "Package: breakfast\n"
      "Version: 1.0-2\n"
      "Depends: R (>= 3.5.0), oatmeal,\n  toast (>= 1.0.0), methods, R (>= 4.0)\n"
      "Imports: Rcpp (>= 1.0.5), stats, oatmeal\n"
      "LinkingTo: Rcpp, BH\n"
      "Suggests: egg, testthat (>= 3.0.0)\n"
      "SystemRequirements: GDAL (>= 2.0.1),\n        sqlite3\n"
      "NeedsCompilation: yes\n"
      "License: GPL (>= 2)\n"
      "MD5sum: 027EBDD8AFFCE8F0EFFAECFCD5F5ADE2\n");
  CHECK(r.name == "breakfast");
  CHECK(r.version.str() == "1.0-2");
  CHECK(names(r.depends) == "oatmeal, toast (>= 1.0.0), methods");
  REQUIRE(r.r_min);
  CHECK(r.r_min->str() == "4.0");
  CHECK(r.r_constraints.size() == 2);
  CHECK(names(r.imports) == "Rcpp (>= 1.0.5), stats, oatmeal");
  CHECK(names(r.linking_to) == "Rcpp, BH");
  CHECK(names(r.suggests) == "egg, testthat (>= 3.0.0)");
  CHECK(r.system_requirements == "GDAL (>= 2.0.1), sqlite3");
  CHECK(r.needs_compilation == true);
  CHECK(r.license == "GPL (>= 2)");
  CHECK(r.md5sum == "027ebdd8affce8f0effaecfcd5f5ade2");
  CHECK(!r.built);
  // Depends (without R and base packages), Imports, LinkingTo; each name once, first wins.
  CHECK(names(r.runtime_dependencies()) == "oatmeal, toast (>= 1.0.0), Rcpp (>= 1.0.5), BH");
}

TEST_CASE("cran package: refusals name the file and line") {
  struct Case {
    std::string_view text, message;
  };
  for (const auto& c : std::initializer_list<Case>{
           {"Version: 1.0\n", "DESCRIPTION:1: no `Package:` field"},
           {"Package: x_y\nVersion: 1.0\n", "DESCRIPTION:1: `Package: x_y` is not a valid R package name"},
           {"Package: abc\n", "DESCRIPTION:1: package `abc`: no `Version:` field"},
           {"Package: abc\nVersion: 1\n", "DESCRIPTION:1: package `abc`: invalid R version `1`"},
           {"Package: abc\nVersion: 1.0\nImports: x (= 1)\n", "DESCRIPTION:1: package `abc`: `Imports:`: invalid dependency `x (= 1)`"},
           {"Package: abc\nVersion: 1.0\nNeedsCompilation: maybe\n", "`NeedsCompilation: maybe` is neither yes nor no"},
           {"Package: abc\nVersion: 1.0\nBuilt: R 4.3.1\n", "invalid `Built:` field `R 4.3.1`"},
           {"Package: abc\nVersion: 1.0\n\nPackage: def\nVersion: 1.0\n", "DESCRIPTION:4: a DESCRIPTION file holds one paragraph"},
           {"", "DESCRIPTION: empty DESCRIPTION"},
       }) {
    auto r = cran::parse_description(c.text, "DESCRIPTION");
    REQUIRE_MESSAGE(!r, c.text);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK_MESSAGE(r.error().message.find(c.message) != std::string::npos, r.error().message);
  }
}

TEST_CASE("cran package: Latin-1 values are kept as bytes") {
  auto r = description("Package: pkgcache\nVersion: 1.2.2.9000\nAuthors@R: person(\"G\xe1""bor\")\nEncoding: latin1\n"
                       "License: MIT \xa9\n");
  CHECK(r.license == "MIT \xa9");
  auto bad = cran::parse_description("Package: pkg\xe1\nVersion: 1.0\n", "DESCRIPTION");
  REQUIRE(!bad);
  CHECK(bad.error().message.find("\\xe1") != std::string::npos);
}

TEST_CASE("cran package: Built") {
  auto b = cran::parse_built("R 4.2.2; x86_64-pc-linux-gnu; 2023-01-10 12:00:00 UTC; unix");
  REQUIRE(b);
  CHECK(b->r_version.str() == "4.2.2");
  CHECK(b->platform == "x86_64-pc-linux-gnu");
  CHECK(b->date == "2023-01-10 12:00:00 UTC");
  CHECK(b->os_type == "unix");
  b = cran::parse_built("R 4.3.1; ; 2023-06-16 11:22:33 UTC; unix");
  REQUIRE(b);
  CHECK(b->platform.empty());
  for (std::string_view bad : {"", "R 4.3.1", "4.3.1; ; 2023; unix", "R four; ; 2023; unix", "R 4.3.1; a; b; c; d"})
    CHECK_MESSAGE(!cran::parse_built(bad), bad);
}

TEST_CASE("cran package: the loadability rule") {
  auto record = [](std::string_view built, std::string_view extra = "") {
    std::string text = "Package: abc\nVersion: 1.0\n" + std::string(extra);
    if (!built.empty()) text += "Built: " + std::string(built) + "\n";
    return description(text);
  };
  const auto r432 = ver("4.3.2");
  auto ok = [&](const PackageRecord& p, const cran::Version& r = *cran::Version::parse("4.3.2"),
                std::string_view arch = "x86_64") {
    auto res = cran::check_loadable(p, r, arch);
    CHECK_MESSAGE(res, (res ? "" : res.error().message));
  };
  auto refused = [&](const PackageRecord& p, std::string_view why, std::string_view arch = "x86_64") {
    auto res = cran::check_loadable(p, r432, arch);
    REQUIRE(!res);
    CHECK(res.error().kind == util::ErrorKind::unsatisfiable);
    CHECK_MESSAGE(res.error().message.find(why) != std::string::npos, res.error().message);
  };
  ok(record("R 4.3.1; x86_64-pc-linux-gnu; 2023-06-16 11:22:33 UTC; unix"));
  ok(record("R 4.3.2; x86_64-pc-linux-gnu; 2023-06-16 11:22:33 UTC; unix"));
  ok(record("R 4.0.0; ; 2020-06-16 11:22:33 UTC; unix"));                        // no compiled code
  ok(record("R 4.1.0; x86_64-redhat-linux-gnu; 2021-06-16 11:22:33 UTC; unix"));  // vendor does not count
  ok(record("R 4.3.0; aarch64-unknown-linux-gnu; 2023-06-16 11:22:33 UTC; unix"), r432, "aarch64");
  refused(record(""), "`abc` 1.0: a source package");
  // A newer patch of the same series is what binary repositories ship (PPM builds 4.3 with 4.3.3).
  ok(record("R 4.3.3; x86_64-pc-linux-gnu; 2024-01-16 11:22:33 UTC; unix"));
  refused(record("R 4.4.1; x86_64-pc-linux-gnu; 2024-07-16 11:22:33 UTC; unix"), "built by R 4.4.1, newer than R 4.3.2");
  refused(record("R 4.4.0; ; 2024-01-16 11:22:33 UTC; unix"), "newer than R 4.3.2");
  refused(record("R 3.6.3; ; 2020-01-16 11:22:33 UTC; unix"), "before R 4.0.0");
  refused(record("R 3.6.3; x86_64-pc-linux-gnu; 2020-01-16 11:22:33 UTC; unix"), "before R 4.0.0");
  refused(record("R 4.3.0; aarch64-unknown-linux-gnu; 2023-06-16 11:22:33 UTC; unix"), "not for x86_64 Linux");
  refused(record("R 4.3.0; x86_64-pc-linux-gnu; 2023-06-16 11:22:33 UTC; unix"), "not for aarch64 Linux", "aarch64");
  refused(record("R 4.0.5; x86_64-apple-darwin17.0; 2021-08-18 15:27:06 UTC; unix"), "built for `x86_64-apple-darwin17.0`");
  refused(record("R 4.3.0; x86_64-w64-mingw32; 2023-06-16 11:22:33 UTC; windows"), "OS type `windows`");
  refused(record("R 4.3.0; x86_64-pc-linux-musl; 2023-06-16 11:22:33 UTC; unix"), "not for x86_64 Linux");
  refused(record("R 4.3.0; ; 2023-06-16 11:22:33 UTC; unix", "Depends: R (>= 4.4)\n"), "needs R >= 4.4, this is R 4.3.2");
  refused(record("R 4.3.0; ; 2023-06-16 11:22:33 UTC; unix", "Depends: R (>= 4.3), R (< 4.3.1)\n"), "needs R < 4.3.1, this is R 4.3.2");
  ok(record("R 4.3.0; ; 2023-06-16 11:22:33 UTC; unix", "Depends: R (>= 4.3), R (< 4.3.99)\n"));
  // R 5 one day: another major version.
  auto five = cran::check_loadable(record("R 4.3.0; ; 2023-06-16 11:22:33 UTC; unix"), ver("5.0.0"), "x86_64");
  REQUIRE(!five);
  CHECK(five.error().message.find("another major version") != std::string::npos);
}

TEST_CASE("cran package: PACKAGES keeps the highest version, skips other OS types, sorts by name") {
  auto r = cran::parse_packages_index(
      "Package: zeta\nVersion: 1.0\n\n"
      "Package: alpha\nVersion: 1.2\nMD5sum: aa\n\n"
      "Package: alpha\nVersion: 1.10\nMD5sum: bb\n\n"
      "Package: alpha\nVersion: 1.9\n\n"
      "Package: alpha\nVersion: 1.10.0\nOS_type: windows\n\n"
      "Package: beta\nVersion: 2.0\nOS_type: unix\nSuggests: \n\n"
      "Package: beta\nVersion: 2.0-0\n\n"
      "Package: gamma\nVersion: 1.0\nPath: 3.5.0/Recommended\nFile: gamma_1.0_R4.tar.gz\n",
      "PACKAGES");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  REQUIRE(r->size() == 4);
  CHECK((*r)[0].name == "alpha");
  CHECK((*r)[0].version.str() == "1.10");
  CHECK((*r)[0].md5sum == "bb");
  CHECK((*r)[1].name == "beta");
  CHECK((*r)[1].version.str() == "2.0-0");  // 2.0 < 2.0-0 in R's order
  CHECK((*r)[1].os_type.empty());
  CHECK((*r)[2].path == "3.5.0/Recommended");
  CHECK((*r)[2].file == "gamma_1.0_R4.tar.gz");
  CHECK((*r)[3].name == "zeta");
  auto bad = cran::parse_packages_index("Package: ok\nVersion: 1.0\n\nPackage: bad\nVersion: x\n", "https://r.example/PACKAGES");
  REQUIRE(!bad);
  CHECK_MESSAGE(bad.error().message.starts_with("https://r.example/PACKAGES:4: package `bad`: invalid R version"),
                bad.error().message);
}

TEST_CASE("cran package: every DESCRIPTION of ../shared/corpora/r_packages") {
  auto corpus = test::corpus_dir("r_packages");
  if (!corpus) {
    MLPACK_SKIP("corpus r_packages not found (set MLPACK_CORPORA)");
    return;
  }
  std::map<std::string, PackageRecord> by_file;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(*corpus)) {
    const auto name = entry.path().filename().string();
    if (!entry.is_regular_file() || !(name == "DESCRIPTION" || name.ends_with(".DESCRIPTION"))) continue;
    const auto rel = entry.path().lexically_relative(*corpus).generic_string();
    auto text = util::read_file(entry.path());
    REQUIRE_MESSAGE(text, rel);
    auto r = cran::parse_description(*text, rel);
    if (rel == "pkgcache_fixtures/lib3/foo/DESCRIPTION") {  // pkgcache's deliberately broken file
      REQUIRE(!r);
      CHECK(r.error().message.starts_with(rel + ":1: expected `Field: value`"));
      continue;
    }
    REQUIRE_MESSAGE(r, rel, ": ", (r ? "" : r.error().message));
    if (name.ends_with(".DESCRIPTION"))  // <pkg>_<Version>.DESCRIPTION
      CHECK(name == r->name + "_" + r->version.str() + ".DESCRIPTION");
    else if (!rel.starts_with("pkgcache_fixtures/description/"))  // there the folder names the case
      CHECK(entry.path().parent_path().filename() == r->name);
    for (const auto& dep : r->runtime_dependencies()) {
      CHECK(cran::is_valid_package_name(dep.name));
      CHECK(!cran::is_base_package(dep.name));
    }
    by_file.emplace(rel, std::move(*r));
  }
  CHECK(by_file.size() >= 40);
  auto get = [&](const std::string& rel) -> const PackageRecord& {
    auto it = by_file.find(rel);
    REQUIRE_MESSAGE(it != by_file.end(), rel);
    return it->second;
  };
  // Facts read off the files by hand.
  const auto& sf = get("cran_DESCRIPTION/sf_1.1-0.DESCRIPTION");
  CHECK(names(sf.depends) == "methods");
  CHECK(sf.r_min->str() == "3.3.0");
  CHECK(names(sf.imports) == "classInt (>= 0.4-1), DBI (>= 0.8), graphics, grDevices, grid, magrittr, s2 (>= 1.1.0), "
                             "stats, tools, units (>= 0.7-0), utils");
  CHECK(names(sf.runtime_dependencies()) == "classInt (>= 0.4-1), DBI (>= 0.8), magrittr, s2 (>= 1.1.0), units (>= 0.7-0), Rcpp");
  CHECK(sf.system_requirements == "GDAL (>= 2.0.1), GEOS (>= 3.4.0), PROJ (>= 4.8.0), sqlite3");
  CHECK(sf.needs_compilation == true);
  const auto& matrix = get("cran_DESCRIPTION/Matrix_0.999375-7.DESCRIPTION");
  CHECK(names(matrix.depends) == "stats, methods, utils, lattice");
  CHECK(matrix.r_min->str() == "2.5.1");
  CHECK(names(matrix.runtime_dependencies()) == "lattice");  // recommended, not base: a requirement
  const auto& breakfast = get("renv_test_repo_packages/breakfast/DESCRIPTION");
  CHECK(names(breakfast.depends) == "oatmeal, toast (>= 1.0.0)");
  CHECK(names(breakfast.suggests) == "egg");
  // An installed package's DESCRIPTION (Built:), and a Latin-1 one.
  const auto& rlang = get("pkgcache_fixtures/lib5/rlang/DESCRIPTION");
  REQUIRE(rlang.built);
  CHECK(!rlang.built->r_version.str().empty());
  const auto& latin1 = get("pkgcache_fixtures/description/pkgcachel1/DESCRIPTION");
  CHECK(latin1.name == "pkgcache");
  CHECK(latin1.version.str() == "1.2.2.9000");
  // CRLF files read as their LF twins.
  const auto& crlf = get("pkgcache_fixtures/lib4/cli/DESCRIPTION");
  CHECK(crlf.name == "cli");
  CHECK(crlf.version.str().find('\r') == std::string::npos);
}

TEST_CASE("cran package: every PACKAGES index of ../shared/corpora/r_packages/pkgcache_fixtures") {
  auto corpus = test::corpus_dir("r_packages");
  if (!corpus) {
    MLPACK_SKIP("corpus r_packages not found (set MLPACK_CORPORA)");
    return;
  }
  const auto dir = *corpus / "pkgcache_fixtures";
  // file -> records kept (highest version per name, OS_type other than unix left out), counted
  // by hand from the files.
  const std::map<std::string, std::size_t> expected = {
      {"PACKAGES-rhub", 2}, {"packages/PACKAGES", 6}, {"PACKAGES-ppm1.gz", 4}, {"PACKAGES-ppm2.gz", 4},
      {"PACKAGES-src.gz", 45}, {"PACKAGES-mac.gz", 69}, {"PACKAGES-win.gz", 34}, {"PACKAGES-win2.gz", 4},
  };
  for (const auto& [rel, count] : expected) {
    auto text = read_index(dir / rel);
    if (!text) {
      MLPACK_SKIP(rel << ": gzip is not installed");
      continue;
    }
    auto r = cran::parse_packages_index(*text, rel);
    REQUIRE_MESSAGE(r, rel, ": ", (r ? "" : r.error().message));
    CHECK_MESSAGE(r->size() == count, rel, ": ", r->size());
    CHECK(!r->empty());
    CHECK(std::is_sorted(r->begin(), r->end(), [](const auto& a, const auto& b) { return a.name < b.name; }));
    CHECK(std::adjacent_find(r->begin(), r->end(), [](const auto& a, const auto& b) { return a.name == b.name; }) == r->end());
    for (const auto& p : *r) CHECK((p.os_type.empty() || p.os_type == "unix"));
  }
  auto rhub = cran::parse_packages_index(*read_index(dir / "PACKAGES-rhub"), "PACKAGES-rhub");
  REQUIRE(rhub);
  const auto& cli = rhub->front();
  CHECK(cli.name == "cli");
  REQUIRE(cli.built);
  CHECK(cli.built->platform == "x86_64-pc-linux-gnu");
  CHECK(cli.sha256 == "6ac4efbb3a6ba79e290e43fcc5424e1e73a09d501f6b06334e15aadedc99d4fd");
  CHECK(cli.file == "cli_3.6.1_R4.4_x86_64-pc-linux-gnu-ubuntu-22.04.tar.gz");
  CHECK(cli.r_min->str() == "4.4");
  CHECK(cli.r_constraints.size() == 3);  // R (>= 3.4), R (>= 4.4), R (< 4.4.99)
  CHECK(cran::check_loadable(cli, ver("4.4.1"), "x86_64"));
  CHECK(!cran::check_loadable(cli, ver("4.5.0"), "x86_64"));  // R (< 4.4.99)
}
