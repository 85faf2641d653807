#include <doctest/doctest.h>

#include <cstdlib>

#include "pyindex/netrc.hpp"
#include "util/fs.hpp"

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

TEST_CASE("netrc: the file given, or none; $NETRC and $HOME only through the environment given") {
  auto dir = mlpack::util::TempDir::create();
  REQUIRE(dir);
  const auto given = dir->path() / "given";
  const auto process = dir->path() / "process";
  REQUIRE(mlpack::util::write_file_atomic(given, "machine idx.test login alice password a\n"));
  REQUIRE(mlpack::util::write_file_atomic(process, "machine idx.test login mallory password m\n"));
  ::setenv("NETRC", process.c_str(), 1);
  const char* old_home = std::getenv("HOME");
  const std::string saved_home = old_home ? old_home : "";
  ::setenv("HOME", dir->path().c_str(), 1);

  CHECK(Netrc::load(given).lookup("idx.test")->user == "alice");
  CHECK(Netrc::load(std::nullopt).empty());  // not the process's $NETRC

  mlpack::util::Environment env;
  CHECK_FALSE(Netrc::default_path(env));
  env.set("HOME", "/home/alice");
  CHECK(Netrc::default_path(env) == std::filesystem::path("/home/alice/.netrc"));
  env.set("NETRC", "");  // set but empty: not given
  CHECK(Netrc::default_path(env) == std::filesystem::path("/home/alice/.netrc"));
  env.set("NETRC", given.string());
  CHECK(Netrc::default_path(env) == given);
  ::unsetenv("NETRC");
  if (old_home) ::setenv("HOME", saved_home.c_str(), 1);
  else ::unsetenv("HOME");
}
