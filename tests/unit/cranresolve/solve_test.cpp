#include "cranresolve/solve.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "corpora.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using cranresolve::Request;
using cranresolve::Requirement;

namespace {

cran::Version ver(std::string_view s) {
  return *cran::Version::parse_numeric(s);
}

std::vector<cran::PackageRecord> index(std::string_view text) {
  auto r = cran::parse_packages_index(text, "PACKAGES");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  return *r;
}

Requirement req(std::string name, std::optional<std::pair<cran::Op, std::string>> c = std::nullopt,
                std::string where = "DESCRIPTION:7") {
  Requirement r{std::move(name), std::nullopt, std::move(where)};
  if (c) r.constraint = cran::Constraint{c->first, ver(c->second)};
  return r;
}

// "name version" of each package selected, in order.
std::string chosen(const Request& request) {
  auto r = cranresolve::solve(request);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  std::string out;
  for (const auto& s : r->packages) out += (out.empty() ? "" : ", ") + s.record->name + " " + s.record->version.str();
  return out;
}

util::Error failure(const Request& request) {
  auto r = cranresolve::solve(request);
  REQUIRE_MESSAGE(!r, "solved unexpectedly");
  return r.error();
}

// renv's test repository: the DESCRIPTIONs of tests/testthat/packages, as one PACKAGES index.
std::optional<std::vector<cran::PackageRecord>> renv_repo() {
  auto corpus = test::corpus_dir("r_packages");
  if (!corpus) return std::nullopt;
  std::string packages;
  for (const auto& entry : std::filesystem::directory_iterator(*corpus / "renv_test_repo_packages")) {
    auto text = util::read_file(entry.path() / "DESCRIPTION");
    REQUIRE(text);
    packages += *text + "\n\n";
  }
  return index(packages);
}

}  // namespace

TEST_CASE("cranresolve: renv's test repository") {
  auto packages = renv_repo();
  if (!packages) {
    MLPACK_SKIP("corpus r_packages not found (set MLPACK_CORPORA)");
    return;
  }
  CHECK(std::none_of(packages->begin(), packages->end(), [](const auto& p) { return p.name == "windowsonly"; }));
  Request request;
  request.repositories.push_back({"http://127.0.0.1:9/renv", *packages});
  request.r_version = ver("4.3.2");

  request.requirements = {req("breakfast")};
  CHECK(chosen(request) == "bread 1.0.0, breakfast 1.0.0, oatmeal 1.0.0, toast 1.0.0");  // egg is only suggested

  request.requirements = {req("jamie"), req("unixonly"), req("utils"), req("R", std::pair{cran::Op::ge, "4.0"})};
  CHECK(chosen(request) == "jamie 1.0.0, kevin 1.0.0, phone 1.0.0, unixonly 1.0.0");

  // brunch needs toast (>= 1.0.1); the repository has toast 1.0.0.
  request.requirements = {req("brunch")};
  auto e = failure(request);
  CHECK(e.kind == util::ErrorKind::unsatisfiable);
  CHECK(e.message ==
        "cannot install the requested packages:\n"
        "  the request requires `brunch`, satisfied only by brunch 1.0.0\n"
        "    brunch 1.0.0 requires `toast (>= 1.0.1)`, but no package matches `toast (>= 1.0.1)` (`toast` has 1.0.0)\n"
        "  the requirements come from: `brunch` (DESCRIPTION:7)");

  // future depends on today, which needs R (>= 99.99.99).
  request.requirements = {req("future", std::nullopt, "renv.lock")};
  e = failure(request);
  CHECK(e.kind == util::ErrorKind::unsatisfiable);
  CHECK_MESSAGE(e.message.find("today 1.0.0 (needs R >= 99.99.99) matches but was set aside: the R chosen is 4.3.2") !=
                    std::string::npos,
                e.message);

  // halloween imports skeleton (a GitHub remote), which no repository has.
  request.requirements = {req("halloween", std::nullopt, "DESCRIPTION:3")};
  e = failure(request);
  CHECK(e.kind == util::ErrorKind::not_found);
  CHECK_MESSAGE(e.message.starts_with("no repository has `skeleton` (required by halloween 1.0.0); looked in "
                                      "http://127.0.0.1:9/renv\n"),
                e.message);

  request.requirements = {req("nosuchpkg", std::nullopt, "install.R:2")};
  e = failure(request);
  CHECK(e.kind == util::ErrorKind::not_found);
  CHECK_MESSAGE(e.message.starts_with("no repository has `nosuchpkg` (required by install.R:2)"), e.message);
}

TEST_CASE("cranresolve: versions, R, pins and repositories") {
  Request request;
  request.r_version = ver("4.3.2");
  request.repositories.push_back({"https://user:secret@ppm.example/cran/__linux__/bookworm/latest",
                                  index("Package: app\nVersion: 2.0\nImports: lib (>= 1.5), stats, methods\nLinkingTo: hdr\n\n"
                                        "Package: app\nVersion: 1.0\nImports: lib\n\n"
                                        "Package: lib\nVersion: 1.10\nDepends: R (>= 4.4)\n\n"
                                        "Package: hdr\nVersion: 0.1\nSuggests: nothere\n")});
  // parse_packages_index keeps one version per name; a second repository brings older versions,
  // and the same version twice (hdr 0.1) comes from the first.
  request.repositories.push_back({"https://cran.example",
                                  index("Package: lib\nVersion: 1.9\n\nPackage: hdr\nVersion: 0.1\nImports: extra\n\n"
                                        "Package: app\nVersion: 1.5\n")});
  request.requirements = {req("app")};
  auto r = cranresolve::solve(request);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  REQUIRE(r->packages.size() == 3);
  CHECK(r->packages[0].record->name == "app");
  CHECK(r->packages[0].record->version.str() == "2.0");
  CHECK(r->packages[0].repository == 0);
  CHECK(r->packages[1].record->name == "hdr");
  CHECK(r->packages[1].repository == 0);  // not the second repository's hdr 0.1 (which imports extra)
  CHECK(r->packages[2].record->name == "lib");
  CHECK(r->packages[2].record->version.str() == "1.9");  // lib 1.10 needs R 4.4
  CHECK(r->packages[2].repository == 1);

  request.r_version = ver("4.4.0");
  CHECK(chosen(request) == "app 2.0, hdr 0.1, lib 1.10");

  // A pin takes that version only.
  request.pins.emplace("app", ver("1.5"));
  CHECK(chosen(request) == "app 1.5");
  request.pins.clear();
  request.pins.emplace("lib", ver("1.9"));
  CHECK(chosen(request) == "app 2.0, hdr 0.1, lib 1.9");

  // Pinned below what the request asks: explained, with the credentials of the URL redacted.
  request.requirements = {req("lib", std::pair{cran::Op::ge, "1.10"}, "DESCRIPTION:9")};
  auto e = failure(request);
  CHECK(e.kind == util::ErrorKind::unsatisfiable);
  CHECK_MESSAGE(e.message.find("lib 1.10 matches but was set aside: `lib` is pinned to 1.9") != std::string::npos, e.message);
  CHECK_MESSAGE(e.message.find("`lib (>= 1.10)` (DESCRIPTION:9)") != std::string::npos, e.message);
  CHECK(e.message.find("secret") == std::string::npos);

  // The project's own R requirement.
  request.pins.clear();
  request.requirements = {req("R", std::pair{cran::Op::ge, "4.5"}, "DESCRIPTION:4")};
  e = failure(request);
  CHECK(e.kind == util::ErrorKind::unsatisfiable);
  CHECK(e.message == "DESCRIPTION:4: the project needs R >= 4.5, and the R chosen is 4.4.0");

  request.requirements = {req("not_a_name")};
  e = failure(request);
  CHECK(e.kind == util::ErrorKind::invalid_input);

  // Base packages need nothing and are never selected, even when a repository lists one.
  request.repositories[1].packages.push_back(index("Package: stats\nVersion: 9.9\n").front());
  request.requirements = {req("stats"), req("hdr")};
  CHECK(chosen(request) == "hdr 0.1");
}

TEST_CASE("cranresolve: the same request gives the same answer whatever the repository order of records") {
  Request a;
  a.r_version = ver("4.3.2");
  a.repositories.push_back({"https://one.example", index("Package: x1\nVersion: 1.0\nImports: y1\n\nPackage: y1\nVersion: 2.0\n")});
  a.repositories.push_back({"https://two.example", index("Package: y1\nVersion: 3.0\n\nPackage: x1\nVersion: 1.0\nImports: z1\n")});
  a.requirements = {req("x1")};
  // x1 1.0 from the first repository; y1 3.0 (highest across repositories) from the second.
  auto r = cranresolve::solve(a);
  REQUIRE(r);
  REQUIRE(r->packages.size() == 2);
  CHECK(r->packages[0].repository == 0);
  CHECK(r->packages[1].record->version.str() == "3.0");
  CHECK(r->packages[1].repository == 1);
}
