#include "deb/version.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "deb/control.hpp"
#include "deb_test_util.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using deb::Version;
namespace test = deb::test;

namespace {
Version v(std::string_view s) {
  auto r = Version::parse(s);
  REQUIRE_MESSAGE(r, s);
  return *r;
}
}  // namespace

TEST_CASE("version parts") {
  auto a = v("1:2.30-1+deb12u2");
  CHECK(a.epoch() == 1);
  CHECK(a.upstream() == "2.30");
  CHECK(a.revision() == "1+deb12u2");
  auto b = v("2.0-rc1-3");  // the last hyphen splits
  CHECK(b.upstream() == "2.0-rc1");
  CHECK(b.revision() == "3");
  auto c = v("7");
  CHECK(c.epoch() == 0);
  CHECK(c.revision().empty());
  CHECK(v("1.0") == v("0:1.0-0"));
  CHECK(v("1.0~rc1") < v("1.0"));
  CHECK(v("1.0") < v("1.0a"));
  CHECK(v("1.0a") < v("1.0+"));  // letters sort before non-letters
  CHECK(v("1.9") < v("1.10"));
  CHECK(v("1:0.1") > v("9.9"));
  CHECK(v("1.0~~") < v("1.0~"));
  CHECK(v("1.100000000000000000000000000000000") > v("1.99"));
  CHECK(v("1.000000000000000000000000000000001") < v("1.2"));  // digit runs of any length
}

TEST_CASE("invalid versions are refused like dpkg refuses them") {
  for (const char* bad : {"", "  ", "1:", ":1", "a:1", "1.0-", "1 0", "1.0:0", "1.0-a:b", "1_0", "1.0-1_2"}) {
    auto r = Version::parse(bad);
    CHECK_MESSAGE(!r, bad);
    if (!r) CHECK(r.error().kind == util::ErrorKind::invalid_input);
  }
  CHECK(Version::parse("a1.0"));   // dpkg only warns
  CHECK(Version::parse("1:2:3"));  // upstream may hold colons when there is an epoch
  // Compared with dpkg itself: its errors (exit 2) must be ours, what it accepts cleanly (0) too.
  if (test::run("command -v dpkg >/dev/null").status != 0) return;
  for (const char* s : {"1:", ":1", "1.0-", "1.0:0", "1.0-a:b", "1.0", "1:2.3-4", "2.0-rc1-3", "0:0", "1.0+b1"}) {
    int st = test::run("dpkg --validate-version " + test::quote(s) + " 2>/dev/null").status;
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (code == 2) CHECK_MESSAGE(!Version::parse(s), s);
    if (code == 0) CHECK_MESSAGE(Version::parse(s), s);
  }
}

TEST_CASE("version comparison matches dpkg --compare-versions") {
  if (test::run("command -v dpkg >/dev/null").status != 0) {
    MLPACK_SKIP("dpkg not found");
    return;
  }
  std::vector<std::string> versions = {
      "1.0",
      "1.0-1",
      "1.0-0",
      "0:1.0",
      "1:1.0",
      "1.0~rc1",
      "1.0~rc1-1",
      "1.0~~",
      "1.0~",
      "1.0a",
      "1.0+",
      "1.0.",
      "1.0-1~bpo1",
      "1.0-1+b1",
      "1.00",
      "1.000",
      "01.0",
      "1.0a~",
      "2.30-1+deb12u2",
      "2.30-1",
      "2.30-1+deb12u10",
      "9",
      "10",
      "1.2.3-4ubuntu0.1",
      "1.2.3-4ubuntu0.1~22.04",
      "3.11.2-1+b1",
      "3.11.2-1",
      "1:2.3",
      "1:2.3~",
      "2:0",
      "0.0",
      "0",
      "a",
      "A",
      "1.0A",
      "1.0Z",
      "1.0z",
      "1.0-a",
      "1.0-A",
      "1.0-+",
      "1.0-.",
      "1.0-~",
      "1:1:1",
      "1.2-3-4",
      "7.88.1-10+deb12u5",
      "1.21.22",
      "20230311",
      "2024a-0+deb12u1",
      "12.4+deb12u15",
      "6.4",
      "2.36-9+deb12u14",
  };
  // Real versions from this machine's dpkg database, for breadth.
  if (auto text = util::read_file("/var/lib/dpkg/status"); text) {
    std::set<std::string> real;
    (void)deb::for_each_paragraph(*text, "status", [&](deb::Paragraph&& p) -> util::Result<void> {
      if (auto ver = p.get("Version")) real.insert(std::string(*ver));
      return {};
    });
    std::size_t i = 0;
    for (const auto& r : real)
      if (i++ % 3 == 0) versions.push_back(r);
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::size_t i = 0; i < versions.size(); ++i) {
    pairs.emplace_back(versions[i], versions[(i + 1) % versions.size()]);
    pairs.emplace_back(versions[i], versions[(i * 7 + 3) % versions.size()]);
    pairs.emplace_back(versions[i], versions[i]);
  }
  auto dir = util::TempDir::create();
  REQUIRE(dir);
  auto script_path = dir->path() / "compare.sh";
  {
    std::ofstream script(script_path);
    for (const auto& [a, b] : pairs)
      script << "if dpkg --compare-versions " << test::quote(a) << " lt " << test::quote(b)
             << " 2>/dev/null; then echo '<'; elif dpkg --compare-versions " << test::quote(a) << " eq "
             << test::quote(b) << " 2>/dev/null; then echo '='; else echo '>'; fi\n";
  }
  auto result = test::run("sh " + test::quote(script_path.string()));
  REQUIRE(result.status == 0);
  std::vector<std::string> lines;
  for (std::size_t s = 0, nl; (nl = result.out.find('\n', s)) != std::string::npos; s = nl + 1)
    lines.push_back(result.out.substr(s, nl - s));
  REQUIRE(lines.size() == pairs.size());
  MESSAGE("compared " << pairs.size() << " version pairs with dpkg");
  CHECK(pairs.size() >= 200);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    auto a = Version::parse(pairs[i].first), b = Version::parse(pairs[i].second);
    if (!a || !b) continue;  // "a", "A": dpkg warns and compares; we refuse nothing of those, see below
    auto c = *a <=> *b;
    std::string ours = c < 0 ? "<" : c == 0 ? "=" : ">";
    CHECK_MESSAGE(ours == lines[i], pairs[i].first << " vs " << pairs[i].second);
  }
}
