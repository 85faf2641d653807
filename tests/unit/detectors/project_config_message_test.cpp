#include <doctest/doctest.h>

#include <string>

#include "detectors/project_config.hpp"

using namespace mlpack;

// Found by fuzz_project_config: yaml-cpp's "unknown escape character: X" quotes the character as
// is, so a control character in mlpack.yaml reached the terminal raw.
TEST_CASE("mlpack.yaml: a YAML syntax error quotes the file's text printable") {
  auto c = detectors::parse_project_config(std::string("name: \"a\\\x1b\"\n"), "mlpack.yaml");
  REQUIRE_FALSE(c);
  CHECK(c.error().kind == util::ErrorKind::invalid_input);
  CHECK(c.error().message.find('\x1b') == std::string::npos);
  CHECK(c.error().message.find("unknown escape character: \\x1b") != std::string::npos);
}
