#include <doctest/doctest.h>

#include "deb/control.hpp"

using namespace mlpack;

TEST_CASE("deb822 paragraphs with continuation lines") {
  const char* text =
      "Package: hello\n"
      "Version: 2.10-3\n"
      "Description: example package\n"
      " The long description.\n"
      " .\n"
      " Second paragraph.\n"
      "\n"
      "\n"
      "package: other\n"
      "Depends: libc6 (>= 2.34)\n";
  auto ps = deb::parse_paragraphs(text, "Packages");
  REQUIRE(ps);
  REQUIRE(ps->size() == 2);
  CHECK((*ps)[0].get("package") == "hello");
  CHECK((*ps)[0].get("Description") == "example package\nThe long description.\n\nSecond paragraph.");
  CHECK((*ps)[0].line == 1);
  CHECK((*ps)[1].get("Package") == "other");
  CHECK((*ps)[1].line == 9);
  CHECK_FALSE((*ps)[1].get("Version"));
  CHECK((*ps)[0].str() ==
        "Package: hello\nVersion: 2.10-3\nDescription: example package\n The long description.\n .\n Second "
        "paragraph.\n");
}

TEST_CASE("malformed control data names the file and line") {
  auto r = deb::parse_paragraphs("Package: a\nnot a field\n", "status");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "status:2: expected `Field: value`, got `not a field`");
  auto c = deb::parse_paragraphs(" leading continuation\n", "Release");
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("Release:1") == 0);
}
