// Solves over real channels from rattler's test data (../shared/corpora/conda_channels_packages);
// skipped with a message when the corpus is absent.
#include <doctest/doctest.h>

#include "conda/repodata.hpp"
#include "condaresolve/solve.hpp"
#include "corpora.hpp"
#include "skip.hpp"

using namespace mlpack;

namespace {

std::optional<conda::Repodata> channel(const char* name, const char* subdir) {
  auto dir = test::corpus_dir("conda_channels_packages");
  if (!dir) return std::nullopt;
  auto path = *dir / "rattler_channels" / name / subdir / "repodata.json";
  auto rd = conda::parse_repodata_file(path, std::string("https://conda.anaconda.org/") + name, path.string());
  REQUIRE_MESSAGE(rd, (rd ? "" : rd.error().message));
  return std::move(*rd);
}

condaresolve::Request request(const conda::Repodata& rd, std::vector<const char*> specs,
                              std::optional<std::string> cuda = std::nullopt) {
  condaresolve::Request r;
  r.channels = {{"dummy", {&rd}}};
  for (const char* s : specs) {
    auto spec = conda::MatchSpec::parse(s);
    REQUIRE_MESSAGE(spec, s);
    r.specs.push_back({*spec, "environment.yml", s});
  }
  r.virtual_packages = *condaresolve::target_virtual_packages("amd64", "2.36", cuda);
  return r;
}

std::vector<std::string> solved(const condaresolve::Request& r) {
  auto s = condaresolve::solve(r);
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  std::vector<std::string> out;
  for (const auto& p : s->packages) out.push_back(p.name + " " + p.version + " " + p.build);
  return out;
}

std::string failure(const condaresolve::Request& r) {
  auto s = condaresolve::solve(r);
  REQUIRE_FALSE(s);
  CHECK(s.error().kind == util::ErrorKind::unsatisfiable);
  return s.error().message;
}

}  // namespace

TEST_CASE("rattler's dummy channel") {
  auto rd = channel("dummy", "linux-64");
  if (!rd) {
    MLPACK_SKIP("../shared/corpora/conda_channels_packages is absent");
    return;
  }
  CHECK(solved(request(*rd, {"foo"})) == std::vector<std::string>{"foo 4.0.2 py36h1af98f8_2"});
  // foo 3.0.2's best build (build number 3) constrains bors below 2.
  CHECK(solved(request(*rd, {"foo 3.0.2", "bors"})) ==
        std::vector<std::string>{"bors 1.2.1 bla_1", "foo 3.0.2 py36h1af98f8_3"});
  CHECK(solved(request(*rd, {"foobar"})) == std::vector<std::string>{"bors 1.2.1 bla_1", "foobar 2.1 bla_1"});
  CHECK(solved(request(*rd, {"xbar"})) == std::vector<std::string>{"xbar 1 xxx", "xfoo 2 xxx"});
  // One tracked feature beats two, whatever the versions ("foo,bar" and ["  foo  ", "  bar  "] are two).
  CHECK(solved(request(*rd, {"track-features"})) == std::vector<std::string>{"track-features 1 xxx"});
  // `__unix` is met by the target (bar's file name says 1.0, its record 1.2.3).
  CHECK(solved(request(*rd, {"bar"})) == std::vector<std::string>{"bar 1.2.3 unix_py36h1af98f8_2"});

  // cuda-version 12.5 constrains `__cuda >=12.1`: free without a CUDA version, refused with 11.8.
  CHECK(solved(request(*rd, {"cuda-version"})) == std::vector<std::string>{"cuda-version 12.5 hd4f0392_3"});
  CHECK(solved(request(*rd, {"cuda-version"}, "12.4")) == std::vector<std::string>{"cuda-version 12.5 hd4f0392_3"});
  auto why = failure(request(*rd, {"cuda-version"}, "11.8"));
  CHECK(why.find("cuda-version 12.5 hd4f0392_3 conflicts with `__cuda` other than `__cuda >=12.1`, which matches "
                 "__cuda 11.8") != std::string::npos);

  // issue_717's constrains (`ray[default,data] >=2.9.0,<3.0.0`) is not a match spec conda reads.
  CHECK(failure(request(*rd, {"issue_717"}))
            .find("(a `constrains` entry that does not parse: invalid match spec `ray[default,data] >=2.9.0,<3.0.0`") !=
        std::string::npos);
  CHECK(failure(request(*rd, {"foo >=5"})).find("(`foo` has 4.0.2, 3.0.2 in dummy)") != std::string::npos);
}

TEST_CASE("rattler's pytorch channel alone cannot install pytorch, and says why") {
  auto rd = channel("pytorch", "linux-64");
  if (!rd) {
    MLPACK_SKIP("../shared/corpora/conda_channels_packages is absent");
    return;
  }
  auto r = request(*rd, {"pytorch=2.1.0=py3.11_cpu_0"});
  auto why = failure(r);
  CHECK(why.find("the request requires `pytorch=2.1.0=py3.11_cpu_0`, satisfied only by pytorch 2.1.0 py3.11_cpu_0") !=
        std::string::npos);
  CHECK(why.find("no channel has a package named `") != std::string::npos);
  // The same request twice gives the same text.
  CHECK(failure(r) == why);
  // magma-cuda121 has no dependencies.
  CHECK(solved(request(*rd, {"magma-cuda121"})).size() == 1);
}
