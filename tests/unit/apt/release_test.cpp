#include <doctest/doctest.h>

#include "apt/release.hpp"

using namespace mlpack;

namespace {
const char* debian_release = R"(Origin: Debian
Label: Debian-Security
Suite: stable-security
Version: 12
Codename: bookworm-security
Date: Wed, 18 Nov 2026 22:17:41 UTC
Valid-Until: Wed, 25 Nov 2026 22:17:41 UTC
Acquire-By-Hash: yes
Architectures: amd64 arm64 armhf i386 ppc64el
Components: updates/main updates/contrib
Description: Debian 12 - Security Updates
MD5Sum:
 d41d8cd98f00b204e9800998ecf8427e        0 main/binary-amd64/Packages
SHA256:
 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855        0 contrib/Contents-amd64
 0040F94D11D0039505328A90B2FF48968DB873E9E7967307631BF40EF5679275   123456 main/binary-amd64/Packages.xz
)";
}

TEST_CASE("a Release file is parsed") {
  auto r = apt::parse_release(debian_release, "InRelease");
  REQUIRE(r);
  CHECK(r->origin == "Debian");
  CHECK(r->suite == "stable-security");
  CHECK(r->codename == "bookworm-security");
  CHECK(r->version == "12");
  CHECK(r->acquire_by_hash);
  CHECK(r->architectures == std::vector<std::string>{"amd64", "arm64", "armhf", "i386", "ppc64el"});
  CHECK(r->components == std::vector<std::string>{"updates/main", "updates/contrib"});
  REQUIRE(r->date);
  CHECK(*r->date == 1795040261);  // 2026-11-18T22:17:41Z
  REQUIRE(r->valid_until);
  CHECK(*r->valid_until - *r->date == 7 * 24 * 3600);
  CHECK(r->files.size() == 2);
  auto e = r->find("main/binary-amd64/Packages.xz");
  REQUIRE(e);
  CHECK(e->size == 123456);
  CHECK(e->sha256 == "0040f94d11d0039505328a90b2ff48968db873e9e7967307631bf40ef5679275");
  // MD5Sum entries are not trusted, so only the SHA256 list counts.
  CHECK(!r->find("main/binary-amd64/Packages"));
}

TEST_CASE("Release dates in the forms archives write") {
  CHECK(apt::parse_release_date("Sat, 10 Jun 2023 08:52:18 UTC") == 1686387138);
  CHECK(apt::parse_release_date("Sat, 10 Jun 2023 08:52:18 +0000") == 1686387138);
  CHECK(apt::parse_release_date("10 Jun 2023 08:52:18 GMT") == 1686387138);
  CHECK(apt::parse_release_date("Sat, 10 Jun 2023 10:52:18 +0200") == 1686387138);
  CHECK(apt::parse_release_date("Sat, 10 Jun 2023 08:52:18") == 1686387138);
  CHECK(!apt::parse_release_date("yesterday"));
  CHECK(!apt::parse_release_date("Sat, 10 Foo 2023 08:52:18 UTC"));
  CHECK(!apt::parse_release_date("Sat, 10 Jun 2023 08:52 UTC"));
  CHECK(!apt::parse_release_date("Sat, 10 Jun 2023 08:52:18 CEST"));
}

TEST_CASE("malformed Release files are refused") {
  auto no_sha = apt::parse_release("Suite: x\nMD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 Packages\n", "R");
  REQUIRE(!no_sha);
  CHECK(no_sha.error().message.find("SHA256") != std::string::npos);
  CHECK(!apt::parse_release("Suite: x\nSHA256:\n nothex 0 Packages\n", "R"));
  CHECK(!apt::parse_release("Suite: x\nSHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 -1 P\n", "R"));
  CHECK(!apt::parse_release("Suite: x\nDate: someday\nSHA256:\n", "R"));
  CHECK(!apt::parse_release("", "R"));
}
