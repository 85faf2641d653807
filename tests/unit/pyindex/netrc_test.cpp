#include <doctest/doctest.h>

#include "pyindex/netrc.hpp"

using namespace mlpack::pyindex;

TEST_CASE("netrc: machines, default, macdef, quotes, first entry wins") {
  auto n = Netrc::parse(
      "# comment\nmachine pypi.corp login alice password \"s3 cr\\\"et\"\n"
      "macdef init\nmachine evil.test login x password y\n\n"
      "machine Other.Test\n  login bob\n  account ignored\n  password pw\n"
      "machine pypi.corp login second password no\n"
      "default login anon password anonpw\n");
  auto a = n.lookup("pypi.corp:8443");
  REQUIRE(a);
  CHECK(a->user == "alice");
  CHECK(a->password == "s3 cr\"et");
  CHECK(n.lookup("other.test")->user == "bob");
  CHECK(n.lookup("other.test")->password == "pw");
  CHECK(n.lookup("evil.test")->user == "anon");  // the macdef body is not parsed
  CHECK(n.lookup("anywhere")->password == "anonpw");
  CHECK_FALSE(Netrc::parse("machine a login b password c").lookup("z"));
  CHECK(Netrc::load(std::filesystem::path("/nonexistent/netrc")).empty());
}

TEST_CASE("basic auth") {
  CHECK(basic_auth({"Aladdin", "open sesame"}) == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(basic_auth({"a", ""}) == "Basic YTo=");
}
