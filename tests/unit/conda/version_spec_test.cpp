#include "conda/version_spec.hpp"

#include <doctest/doctest.h>

#include <string>

#include "conformance.hpp"
#include "skip.hpp"

using namespace mlpack;
using conda::Version;
using conda::VersionSpec;

namespace {

VersionSpec spec(std::string_view s) {
  auto r = VersionSpec::parse(s);
  REQUIRE_MESSAGE(r, s, ": ", r ? "" : r.error().message);
  return *r;
}

bool match(std::string_view s, std::string_view version) {
  auto v = Version::parse(version);
  REQUIRE_MESSAGE(v, version);
  return spec(s).matches(*v);
}

// conda's tests also build specs from tuples, recorded as their Python repr: no string form.
bool is_tuple_repr(const std::string& s) { return s.starts_with("('"); }

}  // namespace

TEST_CASE("version spec rules") {
  CHECK(match("1.7", "1.7.0"));
  CHECK(!match("1.7", "1.7.1"));
  CHECK(match("1.7*", "1.7.1"));
  CHECK(spec("1.7*").str() == "1.7.*");
  CHECK(match("=1.7", "1.7.1"));
  CHECK(!match("=1.7", "1.70"));
  CHECK(!match("!=1.3.*", "1.3.5"));
  CHECK(match("!=1.3.*", "1.4"));
  CHECK(match("~=1.10", "1.11"));
  CHECK(!match("~=1.10.1", "1.11"));
  CHECK(match(">=1,<2|>3", "3.1"));
  CHECK(!match(">=1,<2|>3", "2.5"));
  CHECK(match("(>=1|<0),<2", "1.5"));
  CHECK(spec(">=1 , (<2|>3)").str() == ">=1,(<2|>3)");
  CHECK(spec("(1.7|1.8)").str() == "1.7|1.8");
  CHECK(match("^1\\.7.*$", "1.7.3"));
  CHECK(match("1.*.1", "1.5.1"));
  CHECK(match("*", "0"));
  CHECK(spec("==1.7").is_exact());
  CHECK(spec("1.7").is_exact());
  CHECK(!spec("1.7|1.8").is_exact());
  for (const char* bad : {"", "(1.5", "1.5||1.6", "^", "==", ">=", "===3.3.2", "!!2.4.5", ">=1.0.0<py312", "~=1.*"}) {
    auto r = VersionSpec::parse(bad);
    CHECK_MESSAGE(!r, bad);
    if (!r) CHECK(r.error().kind == util::ErrorKind::invalid_input);
  }
}

TEST_CASE("conformance: versionspec_parse.jsonl") {
  auto dir = test::conda_corpus();
  if (!dir) {
    MLPACK_SKIP("corpus conda_version_matchspec absent");
    return;
  }
  test::Tally tally{"versionspec_parse.jsonl"};
  for (const auto& rec : test::read_jsonl(*dir / "versionspec_parse.jsonl")) {
    auto input = rec["input"].get<std::string>();
    if (is_tuple_repr(input)) {
      tally.except("built from a Python tuple, no string form");
      continue;
    }
    auto r = VersionSpec::parse(input);
    if (rec.contains("error")) {
      CHECK_MESSAGE(!r, input);
      if (!r) CHECK(r.error().kind == util::ErrorKind::invalid_input);
    } else {
      REQUIRE_MESSAGE(r, input, ": ", r.error().message);
      CHECK_MESSAGE(r->str() == rec["str"].get<std::string>(), input);
      CHECK_MESSAGE(r->is_exact() == rec["exact"].get<bool>(), input);
    }
    ++tally.passed;
  }
}

TEST_CASE("conformance: versionspec_match.jsonl and ver_eval.jsonl") {
  auto dir = test::conda_corpus();
  if (!dir) {
    MLPACK_SKIP("corpus conda_version_matchspec absent");
    return;
  }
  for (const char* file : {"versionspec_match.jsonl", "ver_eval.jsonl"}) {
    test::Tally tally{file};
    for (const auto& rec : test::read_jsonl(*dir / file)) {
      auto s = rec["spec"].get<std::string>();
      auto version = rec["version"].get<std::string>();
      if (rec.contains("error")) {
        CHECK_MESSAGE(!VersionSpec::parse(s), s);
        ++tally.passed;
        continue;
      }
      CHECK_MESSAGE(match(s, version) == rec["result"].get<bool>(), s, " vs ", version);
      ++tally.passed;
    }
  }
}

TEST_CASE("specs from outside cannot make matching slow (fuzz_conda_spec findings)") {
  // Many stars: matched as a glob, in linear-ish time, with conda's answers.
  auto stars = VersionSpec::parse("**********************J");
  REQUIRE(stars);
  auto v = Version::parse("1.2.3");
  REQUIRE(v);
  CHECK_FALSE(stars->matches(*v));
  auto glob = VersionSpec::parse("1.*.3");
  REQUIRE(glob);
  CHECK(glob->matches(*v));
  CHECK_FALSE(glob->matches(*Version::parse("1.2.4")));
  // Regexes std::regex would backtrack on, or whose counts overflow, are refused as invalid input.
  for (const char* bad : {"^(1*)*$", "^1**$", "^1{99999999999999999999}$", "^(1)\\1$",
                          "^1*2*3*4*5*6*7*8*9*$"}) {
    auto r = VersionSpec::parse(bad);
    CHECK_MESSAGE(!r, bad);
    if (!r) CHECK(r.error().kind == util::ErrorKind::invalid_input);
  }
  CHECK(VersionSpec::parse("^1\\.2\\..*$"));
}
