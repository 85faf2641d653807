#include <doctest/doctest.h>

#include "pyindex/index.hpp"

using namespace mlpack;

TEST_CASE("core metadata: repeated fields, continuations, CRLF, body ignored") {
  auto m = pyindex::parse_core_metadata(
      "Metadata-Version: 2.1\r\nName: Foo.Bar\r\nVersion: 2.0.1\r\nSummary: x\r\nLicense: MIT\r\n  and more\r\n"
      "Requires-Python: >=3.8\r\nRequires-Dist: a>=1\r\nRequires-Dist: b ; extra == 'x'\r\n"
      "requires-dist: c\r\n (>=2)\r\nProvides-Extra: x\r\n\r\nRequires-Dist: not-a-field\r\n");
  REQUIRE(m);
  CHECK(m->name == "Foo.Bar");
  CHECK(m->version == "2.0.1");
  CHECK(m->requires_python == ">=3.8");
  REQUIRE(m->requires_dist.size() == 3);
  CHECK(m->requires_dist[2] == "c (>=2)");
  CHECK(m->provides_extra == std::vector<std::string>{"x"});

  auto none = pyindex::parse_core_metadata("Metadata-Version: 2.1\nVersion: 1\n");
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == util::ErrorKind::invalid_input);
  CHECK(none.error().message.find("`Name`") != std::string::npos);
}
