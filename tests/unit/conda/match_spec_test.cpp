#include "conda/match_spec.hpp"

#include <doctest/doctest.h>

#include <string>

#include "conformance.hpp"
#include "skip.hpp"

using namespace mlpack;
using conda::MatchSpec;
using conda::PackageRecord;

namespace {

MatchSpec ms(std::string_view s) {
  auto r = MatchSpec::parse(s);
  REQUIRE_MESSAGE(r, s, ": ", r ? "" : r.error().message);
  return *r;
}

// Why a corpus record is set aside, or empty when it must pass.
std::string exception_for(const nlohmann::json& rec) {
  if (rec.contains("parser")) return "conda's experimental v3 parser (when=/extras=/flags=)";
  if (rec.contains("test_is_xfail")) return "from an xfail test in conda";
  if (rec["args"].empty() || !rec["kwargs"].empty() || rec["args"][0].get<std::string>().starts_with("MatchSpec("))
    return "built from keyword arguments, no string form";
  auto input = rec["args"][0].get<std::string>();
  if (input.find("://") != std::string::npos && input.find("::") == std::string::npos && input.find('[') == std::string::npos)
    return "package URL or tarball spec (refused as unsupported)";
  if (input.ends_with(".tar.bz2") || input.ends_with(".conda")) return "package URL or tarball spec (refused as unsupported)";
  return {};
}

std::vector<std::string> python_tuple(const std::string& repr) {
  std::vector<std::string> out;
  for (std::size_t i = repr.find('\''); i != std::string::npos; i = repr.find('\'', i + 1)) {
    auto end = repr.find('\'', i + 1);
    out.push_back(repr.substr(i + 1, end - i - 1));
    i = end;
  }
  return out;
}

PackageRecord record(const nlohmann::json& j) {
  PackageRecord r;
  auto s = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  r.name = s("name");
  r.version = s("version");
  r.build = s("build");
  r.build_number = j.value("build_number", 0);
  r.channel = s("channel");
  r.subdir = s("subdir");
  r.fn = s("fn");
  r.url = s("url");
  r.md5 = s("md5");
  r.sha256 = s("sha256");
  r.license = s("license");
  r.license_family = s("license_family");
  r.track_features = python_tuple(s("track_features"));
  return r;
}

}  // namespace

TEST_CASE("match spec forms") {
  CHECK(ms("numpy 1.7*").str() == "numpy=1.7");
  CHECK(ms("numpy 1.7").str() == "numpy==1.7");
  CHECK(ms("numpy=1.7").str() == "numpy=1.7");
  CHECK(ms("numpy=1.7=py27_0").str() == "numpy==1.7=py27_0");
  CHECK(ms("numpy >=1.8,<1.9 py27*").str() == "numpy[version='>=1.8,<1.9',build=py27*]");
  CHECK(ms("conda-forge/linux-64::numpy").str() == "conda-forge/linux-64::numpy");
  CHECK(ms("pkgs/main::numpy").str() == "defaults::numpy");
  CHECK(ms("numpy[version='1.7.*', build_number='>=3']").str() == "numpy=1.7[build_number='>=3']");
  CHECK(ms("*[sha256=abc]").str() == "*[sha256=abc]");
  CHECK(ms("foo # comment").str() == "foo");
  for (const char* bad : {"", "blas [test=]", "'package'", "pkg--name", "-pkg", "numpy==", "a[version=)|("}) {
    auto r = MatchSpec::parse(bad);
    CHECK_MESSAGE(!r, bad);
  }
  PackageRecord r{.name = "numpy", .version = "1.7.1", .build = "py27_0", .build_number = 3, .subdir = "linux-64"};
  CHECK(ms("numpy=1.7").matches(r));
  CHECK(!ms("numpy==1.7").matches(r));
  CHECK(ms("numpy 1.7.1 py27*").matches(r));
  CHECK(!ms("numpy 1.7.1 py26*").matches(r));
  CHECK(ms("numpy[build_number='>=3']").matches(r));
  CHECK(!ms("numpy[build_number=<3]").matches(r));
  CHECK(ms("numpy[build='^py2.*$']").matches(r));
  CHECK(!ms("*/win-64::numpy").matches(r));
}

TEST_CASE("conformance: matchspec_parse.jsonl") {
  auto dir = test::conda_corpus();
  if (!dir) {
    MLPACK_SKIP("corpus conda_version_matchspec absent");
    return;
  }
  test::Tally tally{"matchspec_parse.jsonl"};
  for (const auto& rec : test::read_jsonl(*dir / "matchspec_parse.jsonl")) {
    if (auto why = exception_for(rec); !why.empty()) {
      tally.except(why);
      continue;
    }
    auto input = rec["args"][0].get<std::string>();
    auto r = MatchSpec::parse(input);
    if (rec.contains("error")) {
      CHECK_MESSAGE(!r, input);
      if (!r) CHECK(r.error().kind == util::ErrorKind::invalid_input);
    } else {
      REQUIRE_MESSAGE(r, input, ": ", r.error().message);
      CHECK_MESSAGE(r->str() == rec["str"].get<std::string>(), input, " -> ", r->str());
      CHECK_MESSAGE(r->name() == rec.value("name", std::string("*")), input);
      if (rec.contains("version")) {
        CHECK_MESSAGE((r->version() && r->version()->str() == rec["version"].get<std::string>()), input);
      }
      if (rec.contains("build")) CHECK_MESSAGE(r->build() == rec["build"].get<std::string>(), input);
      if (rec.contains("subdir")) CHECK_MESSAGE(r->subdir() == rec["subdir"].get<std::string>(), input);
    }
    ++tally.passed;
  }
}

TEST_CASE("conformance: matchspec_match.jsonl") {
  auto dir = test::conda_corpus();
  if (!dir) {
    MLPACK_SKIP("corpus conda_version_matchspec absent");
    return;
  }
  test::Tally tally{"matchspec_match.jsonl"};
  for (const auto& rec : test::read_jsonl(*dir / "matchspec_match.jsonl")) {
    auto spec = rec["spec"].get<std::string>();
    auto r = MatchSpec::parse(spec);
    REQUIRE_MESSAGE(r, spec);
    CHECK_MESSAGE(r->matches(record(rec["record"])) == rec["result"].get<bool>(), spec, " vs ", rec["record"].dump());
    ++tally.passed;
  }
}
