#include <doctest/doctest.h>

#include "deb/control.hpp"

using namespace mlpack;

// The format itself is tested in tests/unit/dcf; these are the Debian reading rules.

TEST_CASE("Debian control data: comment lines are skipped, malformed lines name file and line") {
  auto ps = deb::parse_paragraphs("# generated\nPackage: hello\n# note\nVersion: 2.10-3\n", "status");
  REQUIRE(ps);
  REQUIRE(ps->size() == 1);
  CHECK(ps->front().get("Version") == "2.10-3");
  CHECK(ps->front().line == 2);
  auto r = deb::parse_paragraphs("Package: a\nnot a field\n", "status");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "status:2: expected `Field: value`, got `not a field`");
}

TEST_CASE("Debian control data streams paragraph by paragraph") {
  int seen = 0;
  auto r = deb::for_each_paragraph("Package: a\n\nPackage: b\n", "Packages", [&](deb::Paragraph&& p) -> util::Result<void> {
    CHECK(p.get("Package") == (seen == 0 ? "a" : "b"));
    ++seen;
    return {};
  });
  REQUIRE(r);
  CHECK(seen == 2);
}
