#include <doctest/doctest.h>

#include <string>

#include "apt/release.hpp"

using namespace mlpack;

// Found by fuzz_apt's check that messages show, rather than pass on, control characters a
// mirror's Release file may hold.
TEST_CASE("Release: a bad date or SHA256 entry is quoted printable") {
  auto date = apt::parse_release("Date: Sat, 10 Jun 2023 \x1b[2J\nSHA256:\n", "Release");
  REQUIRE_FALSE(date);
  CHECK(date.error().kind == util::ErrorKind::invalid_input);
  CHECK(date.error().message.find('\x1b') == std::string::npos);
  CHECK(date.error().message.find("Date `Sat, 10 Jun 2023 \\x1b[2J`") != std::string::npos);

  auto entry = apt::parse_release("SHA256:\n 0123 12 main/\rbinary-amd64/Packages\n", "Release");
  REQUIRE_FALSE(entry);
  CHECK(entry.error().message.find('\r') == std::string::npos);
  CHECK(entry.error().message.find("main/\\rbinary") != std::string::npos);
}
