#include <doctest/doctest.h>

#include "resolve/test_provider.hpp"

using namespace mlpack;
using namespace mlpack::resolve;
using resolve::test::TestProvider;
using Names = std::vector<std::string>;

namespace {

// Solves and returns the selection as "name version", failing the test on an error or on a
// selection that breaks the rules.
Names solved(TestProvider& p, const std::vector<std::string>& roots) {
  auto reqs = p.reqs(roots);
  auto r = solve(p, reqs);
  if (!r) FAIL_CHECK(r.error().message);
  if (!r) return {};
  CHECK(p.violation(*r, reqs) == "");
  return p.names(*r);
}

}  // namespace

TEST_CASE("trivial: one package, no dependencies") {
  TestProvider p;
  p.add("a", "1.0");
  CHECK(solved(p, {"a"}) == Names{"a 1.0"});
  CHECK(solved(p, {}) == Names{});
}

TEST_CASE("picks the newest version") {
  TestProvider p;
  p.add("a", "1.0");
  p.add("a", "3.0");
  p.add("a", "2.0");
  CHECK(solved(p, {"a"}) == Names{"a 3.0"});
  CHECK(solved(p, {"a (<< 3)"}) == Names{"a 2.0"});
}

TEST_CASE("backtracks when the newest version cannot work") {
  TestProvider p;
  p.add("a", "3.0", {"c"});
  p.add("a", "2.0", {"b (>= 2)"});
  p.add("a", "1.0", {"b"});
  p.add("b", "1.0");
  p.add("c", "1.0", {"d (>= 5)"});  // d 5 does not exist: a 3.0 fails one level down
  p.add("d", "1.0");
  CHECK(solved(p, {"a"}) == Names{"a 1.0", "b 1.0"});
}

TEST_CASE("backtracks across requirements: an earlier choice is revised by a later one") {
  TestProvider p;
  p.add("app", "1.0", {"web", "db"});
  p.add("web", "2.0", {"json (>= 2)"});
  p.add("web", "1.0", {"json"});
  p.add("db", "1.0", {"json (<< 2)"});
  p.add("json", "2.0");
  p.add("json", "1.0");
  CHECK(solved(p, {"app"}) == Names{"app 1.0", "db 1.0", "json 1.0", "web 1.0"});
}

TEST_CASE("alternatives: the first that works") {
  TestProvider p;
  p.add("mawk", "1.3");
  p.add("gawk", "5.2");
  CHECK(solved(p, {"mawk | gawk"}) == Names{"mawk 1.3"});
  CHECK(solved(p, {"nawk | gawk"}) == Names{"gawk 5.2"});
  p.add("strict", "1.0", {}, {"mawk"});
  CHECK(solved(p, {"strict", "mawk | gawk"}) == Names{"gawk 5.2", "strict 1.0"});
  // An alternative already selected for another reason is not doubled.
  CHECK(solved(p, {"gawk", "mawk | gawk"}) == Names{"gawk 5.2"});
}

TEST_CASE("virtual package with several providers") {
  TestProvider p;
  p.add("postfix", "3.7", {}, {}, {"mail-transport-agent"});
  p.add("exim4", "4.96", {}, {}, {"mail-transport-agent"});
  p.add("mailer", "1.0", {"mail-transport-agent"});
  CHECK(solved(p, {"mailer"}) == Names{"exim4 4.96", "mailer 1.0"});
  p.add("no-exim", "1.0", {}, {"exim4"});
  CHECK(solved(p, {"no-exim", "mailer"}) == Names{"mailer 1.0", "no-exim 1.0", "postfix 3.7"});
}

TEST_CASE("a package conflicting with a virtual package it provides does not exclude itself") {
  TestProvider p;
  p.add("postfix", "3.7", {}, {"mail-transport-agent"}, {"mail-transport-agent"});
  p.add("exim4", "4.96", {}, {"mail-transport-agent"}, {"mail-transport-agent"});
  CHECK(solved(p, {"mail-transport-agent"}) == Names{"exim4 4.96"});
  CHECK(solved(p, {"postfix"}) == Names{"postfix 3.7"});
}

TEST_CASE("conflicts exclude the matching versions only") {
  TestProvider p;
  p.add("a", "1.0", {}, {"b (>= 2)"});
  p.add("b", "2.0");
  p.add("b", "1.0");
  CHECK(solved(p, {"a", "b"}) == Names{"a 1.0", "b 1.0"});
  // Conflicts are symmetric: declared by the one chosen later works as well.
  CHECK(solved(p, {"b", "a"}) == Names{"a 1.0", "b 1.0"});
}

TEST_CASE("one version per name") {
  TestProvider p;
  p.add("a", "2.0");
  p.add("a", "1.0");
  p.add("b", "2.0", {"a (= 2.0)"});
  p.add("b", "1.0", {"a"});
  CHECK(solved(p, {"a (= 1.0)", "b"}) == Names{"a 1.0", "b 1.0"});
  // Requirements on different versions of one name are met by one version.
  CHECK(solved(p, {"a (>= 1.0)", "a (<< 3)"}) == Names{"a 2.0"});
}

TEST_CASE("diamond dependencies meet in one version that suits both sides") {
  TestProvider p;
  p.add("app", "1.0", {"left", "right"});
  p.add("left", "1.0", {"base (>= 2)"});
  p.add("right", "1.0", {"base (<< 3)"});
  p.add("base", "3.0");
  p.add("base", "2.0");
  p.add("base", "1.0");
  CHECK(solved(p, {"app"}) == Names{"app 1.0", "base 2.0", "left 1.0", "right 1.0"});
}

TEST_CASE("cycles are fine") {
  TestProvider p;
  p.add("a", "1.0", {"b"});
  p.add("b", "1.0", {"a"});
  p.add("c", "1.0", {"c"});  // requires itself
  CHECK(solved(p, {"a"}) == Names{"a 1.0", "b 1.0"});
  CHECK(solved(p, {"c"}) == Names{"c 1.0"});
}

TEST_CASE("lazy: only what is reached is asked for, and each question once") {
  TestProvider p;
  p.add("a", "2.0", {"b", "shared"});
  p.add("a", "1.0", {"unreached-from-a1"});
  p.add("b", "1.0", {"shared"});
  p.add("shared", "1.0");
  p.add("island", "1.0", {"shared"});
  p.add("unreached-from-a1", "1.0");
  auto r = solve(p, p.reqs({"a"}));
  REQUIRE(r);
  CHECK(p.names(*r) == Names{"a 2.0", "b 1.0", "shared 1.0"});
  CHECK(p.dependency_calls == std::map<std::string, int>{{"a 2.0", 1}, {"b 1.0", 1}, {"shared 1.0", 1}});
  CHECK(p.candidate_calls == std::map<std::string, int>{{"a", 1}, {"b", 1}, {"shared", 1}});
}

TEST_CASE("the same input gives the same solution, whatever the id numbering") {
  auto build = [](std::uint32_t seed) {
    TestProvider p(seed);
    p.add("app", "1.0", {"x | y", "z"});
    p.add("x", "1.0", {"w (>= 2)"});
    p.add("y", "1.0", {"w"});
    p.add("z", "2.0", {}, {"w (>= 2)"});
    p.add("z", "1.0");
    p.add("w", "2.0");
    p.add("w", "1.0");
    return p;
  };
  auto a = build(0), b = build(0x9e3779b9), c = build(12345);
  auto first = solved(a, {"app"});
  CHECK(first == solved(a, {"app"}));
  CHECK(first == solved(b, {"app"}));
  CHECK(first == solved(c, {"app"}));
  CHECK(first == Names{"app 1.0", "w 2.0", "x 1.0", "z 1.0"});
}

TEST_CASE("provider errors pass through with their kind and context") {
  TestProvider p;
  p.add("app", "1.0", {"lib"});
  p.add("lib", "1.0");
  p.fail_dependencies_of = "lib 1.0";
  auto r = solve(p, p.reqs({"app"}));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::network);
  CHECK(r.error().message == "reading the dependencies of lib 1.0: GET https://index/lib.metadata: connection reset");

  TestProvider q;
  q.add("app", "1.0", {"numpy>=2"});
  q.fail_candidates_of = "numpy>=2";
  auto s = solve(q, q.reqs({"app"}));
  REQUIRE_FALSE(s);
  CHECK(s.error().kind == util::ErrorKind::http);
  CHECK(s.error().message ==
        "finding candidates for `numpy>=2` (required by app 1.0): GET /simple/x/: 503 Service Unavailable");
  auto t = solve(q, q.reqs({"numpy>=2"}));
  REQUIRE_FALSE(t);
  CHECK(t.error().message == "finding candidates for `numpy>=2`: GET /simple/x/: 503 Service Unavailable");
}

TEST_CASE("unsatisfiable is its own error kind") {
  TestProvider p;
  p.add("a", "1.0");
  auto r = solve(p, p.reqs({"a (>= 2)"}));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::unsatisfiable);
  CHECK(util::exit_code(r.error().kind) == 1);
}
