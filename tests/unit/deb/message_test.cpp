#include <doctest/doctest.h>

#include <string>

#include "deb/provider.hpp"
#include "deb/relation.hpp"
#include "deb/version.hpp"

using namespace mlpack;

// What a Packages index says is quoted in messages through printable_excerpt, so a mirror cannot
// send escape sequences to the terminal (the check fuzz_apt makes of every message).
TEST_CASE("deb: messages quote a Packages index's text printable") {
  auto v = deb::Version::parse("1.0\x1b[2J");
  REQUIRE_FALSE(v);
  CHECK(v.error().message.find('\x1b') == std::string::npos);
  CHECK(v.error().message.find("1.0\\x1b[2J") != std::string::npos);

  auto r = deb::parse_relations("libc6 (>= 2.36), foo\rbar", "Depends");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find('\r') == std::string::npos);

  auto alt = deb::parse_relations("a | \x7f | b", "Depends");
  REQUIRE_FALSE(alt);
  CHECK(alt.error().message.find('\x7f') == std::string::npos);

  deb::PackageIndex index;
  auto added = index.add_packages("Package: bad\x01name\nVersion: 1\nArchitecture: all\n", "test");
  REQUIRE_FALSE(added);
  CHECK(added.error().message.find('\x01') == std::string::npos);
  CHECK(added.error().message.find("bad\\x01name") != std::string::npos);
}

TEST_CASE("deb: an installed package's name from the dpkg status is quoted printable") {
  auto status = deb::parse_dpkg_status("Package: add\x1auser\nStatus: install ok installed\nVersion: 3.1\x01\nArchitecture: all\n");
  REQUIRE(status);
  deb::PackageIndex index;
  auto added = index.add_installed(*status);
  REQUIRE_FALSE(added);
  CHECK(added.error().message.find('\x1a') == std::string::npos);
  CHECK(added.error().message.find('\x01') == std::string::npos);
  CHECK(added.error().message.find("add\\x1auser") != std::string::npos);
}
