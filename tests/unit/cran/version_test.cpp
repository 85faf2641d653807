#include "cran/version.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace mlpack;
using cran::Version;

namespace {

Version v(std::string_view text) {
  auto r = Version::parse(text);
  REQUIRE_MESSAGE(r, text, ": ", (r ? "" : r.error().message));
  return *r;
}

}  // namespace

TEST_CASE("cran version: parses R's forms and keeps the text") {
  CHECK(v("1.1.1-1.1").components() == std::vector<std::uint64_t>{1, 1, 1, 1, 1});
  CHECK(v("0.999375-7").components() == std::vector<std::uint64_t>{0, 999375, 7});
  CHECK(v("1.84.0-0").components() == std::vector<std::uint64_t>{1, 84, 0, 0});
  CHECK(v(" 1.0-1\n").str() == "1.0-1");
  CHECK(v("4.3.2").major() == 4);
  CHECK(v("4.3.2").minor() == 3);
  CHECK(v("0010.02").components() == std::vector<std::uint64_t>{10, 2});
}

TEST_CASE("cran version: refusals") {
  for (std::string_view bad : {"", "1", "1.", ".1", "1..2", "1.0a", "1.0 beta", "v1.0", "1.0-", "1.-0", "1_0",
                               "99999999999999999999.1"}) {
    auto r = Version::parse(bad);
    REQUIRE_MESSAGE(!r, bad);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK(r.error().message.starts_with("invalid R version"));
  }
  // numeric_version accepts one component (R (>= 4), Built: R 4.2.2).
  REQUIRE(Version::parse_numeric("4"));
  CHECK(Version::parse_numeric("4")->components() == std::vector<std::uint64_t>{4});
  CHECK(!Version::parse_numeric("4."));
  CHECK(!Version::parse_numeric(""));
}

TEST_CASE("cran version: R's order") {
  // compareVersion: numeric per component; a prefix is older ("1.0" < "1.0-1", "1.0" < "1.0.0").
  CHECK(v("1.0") < v("1.0-1"));
  CHECK(v("1.0") < v("1.0.0"));
  CHECK(v("7.2-0") > v("7.1-12"));
  CHECK(v("2.0-5") < v("3.0"));
  CHECK(v("1.0-1") == v("1.0.1"));  // the separator does not count
  CHECK(v("1.10") > v("1.9"));
  CHECK(v("0.999375-7") < v("1.0-0"));
  CHECK(v("01.2") == v("1.2"));
  // Corpus-style versions, in ascending order.
  std::vector<std::string> sorted = {"0.1",   "0.1-25",  "0.2-0",  "0.2-1",    "0.6.0",    "0.9-0", "0.10.6",
                                     "0.999375-7", "1.0",  "1.0-0", "1.0.1",  "1.1-0",    "1.1.1-1.1", "1.1.2",
                                     "1.7-4", "1.10.4", "1.18.0", "1.84.0-0", "2.0.0",   "4.0.1"};
  std::vector<Version> versions;
  for (const auto& s : sorted) versions.push_back(v(s));
  CHECK(std::is_sorted(versions.begin(), versions.end()));
  auto shuffled = versions;
  std::reverse(shuffled.begin(), shuffled.end());
  std::sort(shuffled.begin(), shuffled.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) CHECK(shuffled[i].str() == sorted[i]);
}
