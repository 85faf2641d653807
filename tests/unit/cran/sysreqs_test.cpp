#include "cran/sysreqs.hpp"

#include <doctest/doctest.h>

#include <map>

#include "corpora.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;

namespace {

using Packages = std::vector<std::string>;

// A requirement text as packages write it, for each builtin rule.
const std::map<std::string, std::string>& representative() {
  static const std::map<std::string, std::string> texts = {
      {"bzip2", "libbz2"},
      {"cairo", "cairo (>= 1.2 http://www.cairographics.org/)"},
      {"fftw", "fftw3 (>= 3.1.2)"},
      {"fontconfig", "fontconfig"},
      {"freetype", "freetype2"},
      {"fribidi", "fribidi"},
      {"gdal", "GDAL (>= 2.0.1)"},
      {"geos", "GEOS (>= 3.4.0)"},
      {"glpk", "GLPK (>= 4.42)"},
      {"gmp", "gmp (>= 4.2.3)"},
      {"harfbuzz", "harfbuzz"},
      {"hdf5", "HDF5 (>= 1.8.7)"},
      {"icu", "ICU4C (>= 55)"},
      {"imagemagick", "ImageMagick++: ImageMagick-c++-devel (rpm) or libmagick++-dev (deb)"},
      {"libcurl", "libcurl (>= 7.62): libcurl-devel (rpm)"},
      {"libgit2", "libgit2 (>= 1.0): libgit2-devel (rpm) or libgit2-dev (deb)"},
      {"libjpeg", "libjpeg"},
      {"libpng", "libpng"},
      {"libsodium", "libsodium (>= 1.0.3)"},
      {"libssh2", "libssh2"},
      {"libtiff", "libtiff"},
      {"libwebp", "libwebp"},
      {"libxml2", "libxml2: libxml2-dev (deb), libxml2-devel (rpm)"},
      {"mariadb", "libmysqlclient"},
      {"mpfr", "MPFR (>= 3.0.0)"},
      {"netcdf", "netcdf library version 4.1 or later"},
      {"odbc", "C++11, GNU make, An ODBC3 driver manager and drivers."},
      {"openssl", "OpenSSL >= 1.0.2"},
      {"pango", "pango"},
      {"pcre2", "pcre2"},
      {"poppler", "Poppler C++ API: poppler-cpp-devel (rpm) or libpoppler-cpp-dev (deb)"},
      {"postgresql", "libpq >= 9.0: libpq-dev (deb) or postgresql-devel (rpm)"},
      {"proj", "PROJ (>= 4.8.0)"},
      {"sqlite3", "sqlite3"},
      {"tesseract", "Tesseract >= 3.03 (libtesseract-dev / tesseract-devel)"},
      {"udunits2", "udunits-2"},
      {"xz", "liblzma"},
      {"zlib", "zlib"},
      {"zstd", "libzstd"},
  };
  return texts;
}

// Where our Debian table names another package than renv's rules, and why (checked against
// bookworm's package lists).
const std::map<std::string, std::string>& differs_from_renv() {
  static const std::map<std::string, std::string> reasons = {
      {"gmp", "renv names libgmp3-dev, only a virtual package on Debian 12; libgmp-dev provides it"},
      {"imagemagick", "renv adds gsfonts, a font package rather than a library"},
      {"mariadb", "renv adds libmariadb-dev-compat (mysql_config names) beside libmariadb-dev"},
      {"pcre2", "renv has no pcre2 rule"},
  };
  return reasons;
}

}  // namespace

TEST_CASE("cran sysreqs: the builtin Debian table") {
  const auto& rules = cran::builtin_rules();
  CHECK(rules.rules.size() == representative().size());
  for (const auto& rule : rules.rules) {
    auto it = representative().find(rule.name);
    REQUIRE_MESSAGE(it != representative().end(), "no representative text for ", rule.name);
    const auto got = cran::match(rules, it->second, "debian", "12");
    CHECK_MESSAGE(got == rule.dependencies.front().packages, rule.name);
    CHECK(cran::match(rules, it->second, "ubuntu", "22.04").empty());
  }
  CHECK(cran::match(rules, "GNU make, C++17", "debian", "12").empty());
  CHECK(cran::match(rules, "GDAL (>= 2.0.1), GEOS (>= 3.4.0), PROJ (>= 4.8.0), sqlite3", "debian", "12") ==
        Packages{"libgdal-dev", "libgeos-dev", "libproj-dev", "libsqlite3-dev"});
  CHECK(cran::match(rules, "libpngx", "debian", "12").empty());  // word-bounded
  // Only the first 4 KiB are searched.
  CHECK(cran::match(rules, std::string(5000, ' ') + "zlib", "debian", "12").empty());
  CHECK(cran::match(rules, std::string(4000, ' ') + "zlib", "debian", "12") == Packages{"zlib1g-dev"});
}

TEST_CASE("cran sysreqs: rules in renv's format") {
  auto rules = cran::parse_rules(R"({
    "libxml2": {"patterns": ["\\blibxml2\\b"], "dependencies": [
      {"packages": ["libxml2-dev"], "constraints": [{"os": "linux", "distribution": "debian"},
                                                     {"os": "linux", "distribution": "ubuntu", "versions": ["22.04"]}]},
      {"packages": ["libxml2-devel"], "constraints": [{"os": "linux", "distribution": "fedora"}]},
      {"packages": ["mingw-w64-x86_64-libxml2"], "constraints": [{"os": "windows"}]}]},
    "old": {"patterns": ["\\bold\\b"], "dependencies": [
      {"packages": ["libold-dev"], "pre_install": [{"command": "x"}],
       "constraints": [{"os": "linux", "distribution": "debian", "versions": ["11"]}]}]}})");
  REQUIRE_MESSAGE(rules, (rules ? "" : rules.error().message));
  CHECK(cran::match(*rules, "LIBXML2: libxml2-dev (deb)", "debian", "12") == Packages{"libxml2-dev"});
  CHECK(cran::match(*rules, "libxml2", "ubuntu", "22.04") == Packages{"libxml2-dev"});
  CHECK(cran::match(*rules, "libxml2", "ubuntu", "24.04").empty());
  CHECK(cran::match(*rules, "libxml2", "fedora", "40") == Packages{"libxml2-devel"});
  CHECK(cran::match(*rules, "old libxml2", "debian", "11") == Packages{"libold-dev", "libxml2-dev"});
  CHECK(cran::match(*rules, "old", "debian", "12").empty());
  for (std::string_view bad : {"[]", "{", R"({"a": 1})", R"({"a": {"patterns": "x", "dependencies": []}})",
                               R"({"a": {"patterns": ["("], "dependencies": []}})",
                               R"({"a": {"patterns": ["x"], "dependencies": [{"packages": [1]}]}})",
                               R"({"a": {"patterns": ["x"], "dependencies": [{"packages": [], "constraints": [{"os": 1}]}]}})"}) {
    auto r = cran::parse_rules(bad);
    REQUIRE_MESSAGE(!r, bad);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
  }
}

TEST_CASE("cran sysreqs: renv's database in ../shared/corpora/r_packages agrees with our table") {
  auto corpus = test::corpus_dir("r_packages");
  if (!corpus) {
    MLPACK_SKIP("corpus r_packages not found (set MLPACK_CORPORA)");
    return;
  }
  auto json = util::read_file(*corpus / "renv_sysreqs" / "sysreqs.json");
  REQUIRE(json);
  auto rules = cran::parse_rules(*json);
  REQUIRE_MESSAGE(rules, (rules ? "" : rules.error().message));
  CHECK(rules->rules.size() > 100);
  CHECK(cran::match(*rules, "libxml2: libxml2-dev (deb)", "debian", "12") == Packages{"libxml2-dev"});
  CHECK(cran::match(*rules, "GDAL (>= 2.0.1), GEOS (>= 3.4.0), PROJ (>= 4.8.0), sqlite3", "debian", "12") ==
        Packages{"gdal-bin", "libgdal-dev", "libgeos-dev", "libproj-dev", "libsqlite3-dev"});
  for (const auto& rule : cran::builtin_rules().rules) {
    const auto& text = representative().at(rule.name);
    const auto ours = cran::match(cran::builtin_rules(), text, "debian", "12");
    const auto theirs = cran::match(*rules, text, "debian", "12");
    if (differs_from_renv().contains(rule.name)) {
      CHECK_MESSAGE(ours != theirs, rule.name, " now agrees with renv: drop the exception");
      continue;
    }
    // Theirs may add tools (gdal-bin); every package of ours is in theirs.
    for (const auto& p : ours)
      CHECK_MESSAGE(std::find(theirs.begin(), theirs.end(), p) != theirs.end(), rule.name, ": ", p, " not in renv's answer");
  }
}
