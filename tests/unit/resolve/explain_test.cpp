// Conflict explanations are user-facing text: each shape is compared with a golden file in
// golden/. Run with MLPACK_UPDATE_GOLDEN=1 to rewrite them, then review the diff.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "resolve/test_provider.hpp"

using namespace mlpack;
using namespace mlpack::resolve;
using resolve::test::TestProvider;

namespace {

std::filesystem::path golden_dir() {
  return std::filesystem::path(__FILE__).parent_path() / "golden";
}

// The explanation for `roots`; fails the test if they resolve or fail for another reason.
std::string explanation(TestProvider& p, const std::vector<std::string>& roots) {
  auto r = solve(p, p.reqs(roots));
  if (r) {
    FAIL_CHECK("expected no solution, got " << r->selected.size() << " packages");
    return "";
  }
  CHECK(r.error().kind == util::ErrorKind::unsatisfiable);
  return r.error().message;
}

void check_golden(const std::string& name, const std::string& actual) {
  auto path = golden_dir() / (name + ".txt");
  if (std::getenv("MLPACK_UPDATE_GOLDEN")) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual << "\n";
    return;
  }
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing golden file " << path.string() << " (set MLPACK_UPDATE_GOLDEN=1)");
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK_MESSAGE(ss.str() == actual + "\n", "golden " << name << " differs; actual:\n" << actual);
}

}  // namespace

TEST_CASE("explain: a requirement nothing matches") {
  TestProvider p;
  p.add("foo", "1.0");
  p.add("foo", "2.0");
  check_golden("no_candidates", explanation(p, {"foo (>= 9)"}));
  CHECK(explanation(p, {"foo (>= 9)"}).find("no package matches `foo (>= 9)`") != std::string::npos);
}

TEST_CASE("explain: a chain down to the interpreter") {
  TestProvider p;
  p.add("app", "1.0", {"numpy (>= 2)"});
  p.add("numpy", "2.0.1", {"python (>= 3.10)"});
  p.add("numpy", "2.0.0", {"python (>= 3.10)"});
  p.add("numpy", "1.26.4", {"python (>= 3.9)"});
  p.add("python", "3.9.18");
  check_golden("chain", explanation(p, {"app", "python"}));
}

TEST_CASE("explain: a conflict between two branches") {
  TestProvider p;
  p.add("foo", "1.0", {"libx (>= 2)"});
  p.add("bar", "1.0", {}, {"libx (>= 2)"});
  p.add("libx", "2.0");
  p.add("libx", "1.0");
  check_golden("conflict", explanation(p, {"foo", "bar"}));
}

TEST_CASE("explain: two versions of one name") {
  TestProvider p;
  p.add("a", "2.0");
  p.add("a", "1.0");
  p.add("b", "2.0", {"a (= 2.0)"});
  p.add("b", "1.0", {"a (>= 2.0)"});
  check_golden("one_per_name", explanation(p, {"a (= 1.0)", "b"}));
}

TEST_CASE("explain: many versions are collapsed") {
  TestProvider p;
  p.add("app", "1.0", {"numpy"});
  for (int i = 0; i < 10; ++i) p.add("numpy", "1." + std::to_string(i), {"blas (>= 9)"});
  p.add("blas", "3.0");
  auto text = explanation(p, {"app"});
  check_golden("collapsed", text);
  CHECK(text.find("(10 versions)") != std::string::npos);
}

TEST_CASE("explain: every provider of a virtual package is excluded") {
  TestProvider p;
  p.add("postfix", "3.7", {}, {}, {"mail-transport-agent"});
  p.add("exim4", "4.96", {}, {}, {"mail-transport-agent"});
  p.add("mailer", "1.0", {"mail-transport-agent | sendmail"});
  p.add("legacy", "1.0", {}, {"exim4", "postfix (<< 4)"});
  check_golden("virtual", explanation(p, {"mailer", "legacy"}));
}

TEST_CASE("explain: backtracking over versions, each failing differently") {
  TestProvider p;
  p.add("app", "2.0", {"lib (>= 2)"});
  p.add("app", "1.0", {"lib (<< 2)", "tool"});
  p.add("lib", "2.1", {"missing-helper"});
  p.add("lib", "2.0", {"libc (>= 2.38)"});
  p.add("lib", "1.0");
  p.add("libc", "2.36");
  p.add("tool", "1.0", {}, {"lib (<< 2)"});
  check_golden("versions", explanation(p, {"app"}));
}

TEST_CASE("explain: a cycle that cannot close") {
  TestProvider p;
  p.add("a", "1.0", {"b"});
  p.add("b", "1.0", {"c"});
  p.add("c", "1.0", {"a (>= 2)"});
  check_golden("cycle", explanation(p, {"a"}));
}

TEST_CASE("explain: the same text whatever the id numbering") {
  auto build = [](std::uint32_t seed) {
    TestProvider p(seed);
    p.add("app", "2.0", {"lib (>= 2)"});
    p.add("app", "1.0", {"lib (<< 2)", "tool"});
    p.add("lib", "2.0", {"libc (>= 2.38)"});
    p.add("lib", "1.0");
    p.add("libc", "2.36");
    p.add("tool", "1.0", {}, {"lib (<< 2)"});
    return p;
  };
  auto a = build(0), b = build(77), c = build(0xdeadbeef);
  auto text = explanation(a, {"app"});
  CHECK(text == explanation(a, {"app"}));
  CHECK(text == explanation(b, {"app"}));
  CHECK(text == explanation(c, {"app"}));
}

TEST_CASE("explain: long lists are cut short") {
  TestProvider p;
  for (int i = 1; i <= 9; ++i) p.add("mta" + std::to_string(i), "1.0", {}, {}, {"mail-transport-agent"});
  p.add("blocker", "1.0", {}, {"mail-transport-agent"});
  check_golden("long_list", explanation(p, {"mail-transport-agent", "blocker"}));
}
