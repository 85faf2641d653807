// Syntax errors quote their source; a source from a project file with control characters or
// thousands of bytes is shown escaped and cut (issue 15), packaging's own shape otherwise.
#include <doctest/doctest.h>

#include <string>

#include "pypi/filename.hpp"
#include "pypi/requirement.hpp"
#include "pypi/version.hpp"

using namespace mlpack;

TEST_CASE("requirement syntax errors: control characters escaped, long sources cut") {
  auto r = pypi::Requirement::parse(std::string("SECRET=x\0HOME=/root\x1b[2J", 24));
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find('\0') == std::string::npos);
  CHECK(r.error().message.find('\x1b') == std::string::npos);
  CHECK(r.error().message.find("SECRET=x\\x00HOME=/root\\x1b[2J") != std::string::npos);

  auto long_line = pypi::Requirement::parse("name " + std::string(10000, 'x'));
  REQUIRE_FALSE(long_line);
  CHECK(long_line.error().message.size() < 400);

  auto plain = pypi::Requirement::parse("name>=1 x");
  REQUIRE_FALSE(plain);
  CHECK_MESSAGE(plain.error().message.ends_with("\n    name>=1 x\n        ~~~~^"), plain.error().message);
}

TEST_CASE("filename and tag errors quote the name escaped (found by fuzz_requirements_file)") {
  auto bad = pypi::parse_wheel_filename(std::string("na\x1bme-1.0-py3-none-any.whl"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find('\x1b') == std::string::npos);
  CHECK(bad.error().message.find("na\\x1bme") != std::string::npos);
  auto tag = pypi::parse_wheel_filename(std::string("name-1.0-py3-none-an\x7fy.whl"));
  REQUIRE_FALSE(tag);
  CHECK(tag.error().message.find('\x7f') == std::string::npos);
}

TEST_CASE("specifier and version errors quote their text escaped (found by fuzz_pyproject)") {
  auto r = pypi::Requirement::parse(std::string("p=========<===y\bst>=,,,N"));
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find('\b') == std::string::npos);
  CHECK(r.error().message.find("y\\x08st") != std::string::npos);
  auto v = pypi::Version::parse(std::string("1.0\x1b[2J"));
  REQUIRE_FALSE(v);
  CHECK(v.error().message.find('\x1b') == std::string::npos);
}
