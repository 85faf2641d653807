#include "condaresolve/solve.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

using namespace mlpack;
using condaresolve::Request;

namespace {

// A repodata record, built field by field.
struct Rec {
  conda::PackageRecord r;
  Rec(std::string name, std::string version, std::string build = "h0_0") {
    r.name = std::move(name);
    r.version = std::move(version);
    r.build = std::move(build);
  }
  Rec& number(std::uint64_t n) {
    r.build_number = n;
    return *this;
  }
  Rec& depends(std::vector<std::string> d) {
    r.depends = std::move(d);
    return *this;
  }
  Rec& constrains(std::vector<std::string> c) {
    r.constrains = std::move(c);
    return *this;
  }
  Rec& track(std::vector<std::string> t) {
    r.track_features = std::move(t);
    return *this;
  }
  Rec& time(std::uint64_t t) {
    r.timestamp = t;
    return *this;
  }
};

conda::Repodata subdir(std::string channel, std::string name, std::vector<Rec> recs) {
  conda::Repodata rd;
  rd.subdir = name;
  for (auto& x : recs) {
    auto r = x.r;
    r.subdir = name;
    r.channel = "https://conda.example/" + channel;
    r.fn = r.name + "-" + r.version + "-" + r.build + ".conda";
    r.url = r.channel + "/" + name + "/" + r.fn;
    rd.packages.push_back(std::move(r));
  }
  return rd;
}

condaresolve::Spec spec(std::string_view text, std::string origin = "") {
  auto s = conda::MatchSpec::parse(text);
  REQUIRE_MESSAGE(s, std::string(text));
  return {*s, std::move(origin), std::string(text)};
}

std::vector<condaresolve::VirtualPackage> target(std::string glibc = "2.36",
                                                 std::optional<std::string> cuda = std::nullopt) {
  auto v = condaresolve::target_virtual_packages("amd64", glibc, cuda);
  REQUIRE(v);
  return *v;
}

// "name version build" per package, in solution order.
std::vector<std::string> solved(const Request& request) {
  auto s = condaresolve::solve(request);
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  std::vector<std::string> out;
  for (const auto& p : s->packages) out.push_back(p.name + " " + p.version + " " + p.build);
  return out;
}

std::string failure(const Request& request) {
  auto s = condaresolve::solve(request);
  REQUIRE_FALSE(s);
  CHECK(s.error().kind == util::ErrorKind::unsatisfiable);
  return s.error().message;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST_CASE("target virtual packages describe the target, not the build machine") {
  auto v = condaresolve::target_virtual_packages("arm64", "2.31", std::nullopt);
  REQUIRE(v);
  std::vector<std::string> shown;
  for (const auto& p : *v) shown.push_back(p.name + "=" + p.version + "=" + p.build);
  CHECK(shown == std::vector<std::string>{"__unix=0=0",
                                          "__linux=" + std::string(condaresolve::linux_kernel_floor) + "=0",
                                          "__glibc=2.31=0", "__archspec=1=aarch64"});

  auto cuda = condaresolve::target_virtual_packages("amd64", "2.36", "12.4");
  REQUIRE(cuda);
  CHECK(cuda->back().name == "__cuda");
  CHECK(cuda->back().version == "12.4");
  CHECK((*cuda)[3].build == "x86_64");

  auto musl = condaresolve::target_virtual_packages("amd64", "", std::nullopt);
  REQUIRE(musl);
  CHECK(std::none_of(musl->begin(), musl->end(), [](const auto& p) { return p.name == "__glibc"; }));

  auto bad = condaresolve::target_virtual_packages("riscv64", "2.36", std::nullopt);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
  CHECK_FALSE(condaresolve::target_virtual_packages("amd64", "2.36", "twelve!"));
}

TEST_CASE("candidates: version, then build number, then what dependencies allow, then timestamp") {
  auto linux64 = subdir("cf", "linux-64",
                        {Rec("numpy", "1.26.4", "py311_0").depends({"python >=3.11,<3.12.0a0"}),
                         Rec("numpy", "1.26.4", "py311_1").number(1).depends({"python >=3.11,<3.12.0a0"}),
                         Rec("numpy", "1.25.0", "py311_9").number(9).depends({"python >=3.11,<3.12.0a0"}),
                         Rec("numpy", "1.26.4", "py310_1").number(1).depends({"python >=3.10,<3.11.0a0"}).time(100),
                         Rec("python", "3.11.8", "h0_0").depends({"libzlib >=1.2"}),
                         Rec("python", "3.10.14", "h0_0").depends({"libzlib >=1.2"}), Rec("libzlib", "1.3.1", "h0_0"),
                         Rec("libzlib", "1.2.13", "h0_0"), Rec("six", "1.16.0", "old").time(1700000000),
                         Rec("six", "1.16.0", "new").time(1700000001000)});
  Request request;
  request.channels = {{"conda-forge", {&linux64}}};
  request.virtual_packages = target();

  SUBCASE("the best build number, its dependencies pulled in, sorted by name") {
    request.specs = {spec("numpy")};
    // py310_1 and py311_1 tie on version and build number: py311_1's python allows the higher
    // version (rattler's dependency tie-break), though py310_1 is newer.
    CHECK(solved(request) ==
          std::vector<std::string>{"libzlib 1.3.1 h0_0", "numpy 1.26.4 py311_1", "python 3.11.8 h0_0"});
  }
  SUBCASE("a spec narrows it") {
    request.specs = {spec("numpy"), spec("python=3.11")};
    CHECK(solved(request) ==
          std::vector<std::string>{"libzlib 1.3.1 h0_0", "numpy 1.26.4 py311_1", "python 3.11.8 h0_0"});
    request.specs = {spec("numpy <1.26"), spec("libzlib 1.2.*")};
    CHECK(solved(request) ==
          std::vector<std::string>{"libzlib 1.2.13 h0_0", "numpy 1.25.0 py311_9", "python 3.11.8 h0_0"});
    request.specs = {spec("numpy=1.26.4=py311_0")};
    CHECK(has(solved(request), "numpy 1.26.4 py311_0"));
  }
  SUBCASE("timestamps in seconds and in milliseconds compare as times") {
    request.specs = {spec("six")};
    CHECK(solved(request) == std::vector<std::string>{"six 1.16.0 new"});
  }
}

TEST_CASE("noarch records merge with the platform subdir's") {
  auto linux64 = subdir("cf", "linux-64", {Rec("tqdm", "4.65.0", "py311_0"), Rec("python", "3.11.8")});
  auto noarch = subdir("cf", "noarch", {Rec("tqdm", "4.66.4", "pyhd8ed1ab_0").depends({"python >=3.7"})});
  Request request;
  request.channels = {{"conda-forge", {&linux64, &noarch}}};
  request.virtual_packages = target();
  request.specs = {spec("tqdm")};
  auto s = condaresolve::solve(request);
  REQUIRE(s);
  REQUIRE(s->packages.size() == 2);
  CHECK(s->packages[1].name == "tqdm");
  CHECK(s->packages[1].version == "4.66.4");
  CHECK(s->packages[1].subdir == "noarch");

  request.channels = {{"conda-forge", {&noarch, &linux64}}};  // the subdirs' order does not matter
  auto again = condaresolve::solve(request);
  REQUIRE(again);
  CHECK(again->packages[1].subdir == "noarch");

  request.specs = {spec("tqdm[subdir=linux-64]")};
  CHECK(solved(request) == std::vector<std::string>{"tqdm 4.65.0 py311_0"});
}

TEST_CASE("constrains limit a package only when it is installed") {
  auto linux64 = subdir("cf", "linux-64",
                        {Rec("foo", "3.0", "h0_0").constrains({"bors <2.0"}), Rec("bors", "2.1"), Rec("bors", "1.2"),
                         Rec("bar", "1.0").depends({"bors"})});
  Request request;
  request.channels = {{"conda-forge", {&linux64}}};
  request.virtual_packages = target();

  request.specs = {spec("foo")};
  CHECK(solved(request) == std::vector<std::string>{"foo 3.0 h0_0"});

  request.specs = {spec("foo"), spec("bar")};
  CHECK(solved(request) == std::vector<std::string>{"bar 1.0 h0_0", "bors 1.2 h0_0", "foo 3.0 h0_0"});

  request.specs = {spec("foo"), spec("bors >=2", "environment.yml:6")};
  auto why = failure(request);
  CHECK(why.find("foo 3.0 h0_0 conflicts with `bors` other than `bors <2.0`, which matches bors 2.1 h0_0") !=
        std::string::npos);
  CHECK(why.find("the request requires `bors >=2`, satisfied only by bors 2.1 h0_0") != std::string::npos);
  CHECK(why.find("the request's specs come from: `bors >=2` (environment.yml:6)") != std::string::npos);
  request.specs[1].text.clear();  // shown in conda's canonical form
  CHECK(failure(request).find("`bors[version='>=2']` (environment.yml:6)") != std::string::npos);
}

TEST_CASE("track_features push a record below those without") {
  auto linux64 = subdir("cf", "linux-64",
                        {Rec("blas", "2.0", "mkl_debug").track({"debug"}), Rec("blas", "1.0", "openblas"),
                         Rec("blas", "2.0", "mkl_two").track({"  a  ", "b"}).number(3)});
  Request request;
  request.channels = {{"conda-forge", {&linux64}}};
  request.virtual_packages = target();
  request.specs = {spec("blas")};
  CHECK(solved(request) == std::vector<std::string>{"blas 1.0 openblas"});
  request.specs = {spec("blas >=2")};
  // One feature is better than two, whatever the build number says.
  CHECK(solved(request) == std::vector<std::string>{"blas 2.0 mkl_debug"});
  request.specs = {spec("blas * mkl_t*")};
  CHECK(solved(request) == std::vector<std::string>{"blas 2.0 mkl_two"});
}

TEST_CASE("virtual packages come from the target only") {
  auto linux64 =
      subdir("cf", "linux-64",
             {Rec("libgcc", "14.1", "h0_0").depends({"__glibc >=2.34"}),
              Rec("libgcc", "13.2", "h0_0").depends({"__glibc >=2.17,<3.0.a0"}),
              // a channel that ships a "virtual" package is not believed
              Rec("__glibc", "9.99", "0"), Rec("pytorch", "2.1.0", "cuda_0").number(1).depends({"__cuda >=11.8"}),
              Rec("pytorch", "2.1.0", "cpu_0")});
  Request request;
  request.channels = {{"conda-forge", {&linux64}}};

  SUBCASE("the base's glibc is the floor") {
    request.specs = {spec("libgcc")};
    request.virtual_packages = target("2.31");
    CHECK(solved(request) == std::vector<std::string>{"libgcc 13.2 h0_0"});
    request.virtual_packages = target("2.36");
    CHECK(solved(request) == std::vector<std::string>{"libgcc 14.1 h0_0"});

    request.virtual_packages = target("2.12");
    auto why = failure(request);
    CHECK(why.find("requires `__glibc >=2.17,<3.0.a0`, but no package matches") != std::string::npos);
    CHECK(why.find("the target provides __glibc 2.12") != std::string::npos);
  }
  SUBCASE("a __cuda build only with a CUDA version") {
    request.specs = {spec("pytorch")};
    request.virtual_packages = target("2.36");
    CHECK(solved(request) == std::vector<std::string>{"pytorch 2.1.0 cpu_0"});
    request.virtual_packages = target("2.36", "12.1");
    CHECK(solved(request) == std::vector<std::string>{"pytorch 2.1.0 cuda_0"});

    request.virtual_packages = target("2.36");
    request.specs = {spec("pytorch=*=cuda*", "environment.yml:3")};
    auto why = failure(request);
    CHECK(why.find("pytorch 2.1.0 cuda_0 requires `__cuda >=11.8`, but no package matches `__cuda >=11.8`") !=
          std::string::npos);
    CHECK(why.find("`__cuda` is not provided by the target (it provides __unix 0, __linux 4.18, __glibc 2.36, "
                   "__archspec 1 x86_64)") != std::string::npos);
    CHECK(why.find("(environment.yml:3)") != std::string::npos);
  }
  SUBCASE("a spec naming a virtual package") {
    request.virtual_packages = target("2.36");
    request.specs = {spec("__glibc >=2.17")};
    CHECK(solved(request).empty());  // met, and virtual packages are left out of the solution
    request.specs = {spec("__glibc >=3")};
    CHECK(failure(request).find("the target provides __glibc 2.36") != std::string::npos);
  }
}

TEST_CASE("strict channel priority") {
  auto pytorch =
      subdir("pytorch", "linux-64", {Rec("numpy", "1.24.0"), Rec("pytorch", "2.1.0").depends({"numpy >=1.26"})});
  auto cf = subdir("conda-forge", "linux-64", {Rec("numpy", "1.26.4"), Rec("numpy", "2.0.1"), Rec("scipy", "1.13.0")});
  Request request;
  request.channels = {{"pytorch", {&pytorch}}, {"conda-forge", {&cf}}};
  request.virtual_packages = target();

  request.specs = {spec("numpy"), spec("scipy")};
  CHECK(solved(request) == std::vector<std::string>{"numpy 1.24.0 h0_0", "scipy 1.13.0 h0_0"});

  request.specs = {spec("pytorch")};
  auto why = failure(request);
  CHECK(why.find("pytorch 2.1.0 h0_0 (pytorch) requires `numpy >=1.26`, but no package matches `numpy >=1.26`") !=
        std::string::npos);
  CHECK(why.find("numpy 2.0.1 h0_0 (conda-forge), numpy 1.26.4 h0_0 (conda-forge) match but were set aside: strict "
                 "channel priority takes `numpy` only from pytorch, the highest-priority channel that has it") !=
        std::string::npos);

  SUBCASE("off: every channel competes") {
    request.strict_channel_priority = false;
    CHECK(solved(request) == std::vector<std::string>{"numpy 2.0.1 h0_0", "pytorch 2.1.0 h0_0"});
  }
  SUBCASE("a spec with a channel takes the name from that channel") {
    request.specs = {spec("pytorch"), spec("conda-forge::numpy <2")};
    CHECK(solved(request) == std::vector<std::string>{"numpy 1.26.4 h0_0", "pytorch 2.1.0 h0_0"});
    request.specs = {spec("pytorch::numpy >=1.26")};
    CHECK(failure(request).find("`numpy` has 1.24.0") != std::string::npos);
    request.specs = {spec("pytorch::numpy"), spec("pytorch")};
    CHECK(failure(request).find(
              "numpy 2.0.1 h0_0 (conda-forge), numpy 1.26.4 h0_0 (conda-forge) match but were set aside: "
              "the request takes `numpy` only from channel `pytorch`") != std::string::npos);
    request.specs = {spec("bioconda::numpy")};
    CHECK(failure(request).find(
              "it asks for channel `bioconda`, which is not among the channels (pytorch, conda-forge)") !=
          std::string::npos);
  }
}

TEST_CASE("explanations for missing names and specs that do not parse") {
  auto linux64 = subdir(
      "cf", "linux-64",
      {Rec("app", "1.0").depends({"nothere >=1"}), Rec("odd", "1.0").depends({"x[[bad"}),
       Rec("strict", "1.0").constrains({"ray[default,data] >=2.9.0,<3.0.0"}), Rec("lib", "1.0"), Rec("lib", "2.0")});
  Request request;
  request.channels = {{"conda-forge", {&linux64}}};
  request.virtual_packages = target();

  request.specs = {spec("app")};
  CHECK(failure(request).find("no channel has a package named `nothere` (looked in conda-forge)") != std::string::npos);
  request.specs = {spec("odd")};
  CHECK(failure(request).find("odd 1.0 h0_0 requires `x[[bad`, but no package matches `x[[bad` (it does not parse: ") !=
        std::string::npos);
  request.specs = {spec("strict")};
  CHECK(failure(request).find(
            "(a `constrains` entry that does not parse: invalid match spec `ray[default,data] >=2.9.0,<3.0.0`") !=
        std::string::npos);
  request.specs = {spec("lib >=3")};
  CHECK(failure(request).find("(`lib` has 2.0, 1.0 in conda-forge)") != std::string::npos);

  request.specs = {spec("*[md5=0123]")};
  auto bad = condaresolve::solve(request);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
}

TEST_CASE("the same input in any record order gives the same solution") {
  std::vector<Rec> recs = {Rec("a", "1.0", "x_0").depends({"b >=1"}),
                           Rec("a", "1.0", "y_0").depends({"b <2"}),
                           Rec("b", "1.5", "h_0"),
                           Rec("b", "1.5", "g_0"),
                           Rec("b", "2.0", "h_0").constrains({"c <1"}),
                           Rec("c", "1.0", "h_0"),
                           Rec("c", "0.5", "h_0"),
                           Rec("d", "1.0", "h_0").depends({"a", "c"})};
  std::vector<std::string> first;
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(recs.begin(), recs.end(), rng);
    auto linux64 = subdir("cf", "linux-64", recs);
    Request request;
    request.channels = {{"conda-forge", {&linux64}}};
    request.virtual_packages = target();
    request.specs = {spec("d")};
    auto got = solved(request);
    if (round == 0)
      first = got;
    else
      CHECK(got == first);
  }
  CHECK(first.size() == 4);
}
