#include <doctest/doctest.h>

#include "oci/reference.hpp"

using namespace mlpack;

TEST_CASE("references: valid forms and Docker's defaults") {
  struct Case {
    const char* text;
    const char* registry;
    const char* repository;
    const char* tag;
    bool has_digest;
  };
  const std::string hex(64, 'a');
  const Case cases[] = {
      {"ubuntu", "docker.io", "library/ubuntu", "latest", false},
      {"ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", false},
      {"team/model", "docker.io", "team/model", "latest", false},
      {"docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", false},
      {"index.docker.io/team/model:v1", "docker.io", "team/model", "v1", false},
      {"localhost/model", "localhost", "model", "latest", false},
      {"localhost:5000/team/model:v1", "localhost:5000", "team/model", "v1", false},
      {"127.0.0.1:5000/a/b/c:V_1.0-rc", "127.0.0.1:5000", "a/b/c", "V_1.0-rc", false},
      {"[::1]:5000/model:v1", "[::1]:5000", "model", "v1", false},
      {"ghcr.io/org/my-image__x.y", "ghcr.io", "org/my-image__x.y", "latest", false},
      {"docker://quay.io/org/app:1", "quay.io", "org/app", "1", false},
      {"Registry/app", "Registry", "app", "latest", false},  // uppercase first part: a host
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto r = oci::Reference::parse(c.text);
    REQUIRE_MESSAGE(r, r.error().message);
    CHECK(r->registry == c.registry);
    CHECK(r->repository == c.repository);
    CHECK(r->tag == c.tag);
    CHECK(r->digest.has_value() == c.has_digest);
  }

  auto d = oci::Reference::parse("localhost:5000/model@sha256:" + hex);
  REQUIRE(d);
  CHECK(d->tag.empty());
  CHECK(d->digest->hex() == hex);
  CHECK(d->manifest_ref() == "sha256:" + hex);
  CHECK(d->str() == "localhost:5000/model@sha256:" + hex);

  auto both = oci::Reference::parse("model:v1@sha256:" + hex);
  REQUIRE(both);
  CHECK(both->tag == "v1");
  CHECK(both->manifest_ref() == "sha256:" + hex);
}

TEST_CASE("references: str, api host, loopback") {
  auto r = oci::Reference::parse("ubuntu");
  REQUIRE(r);
  CHECK(r->str() == "docker.io/library/ubuntu:latest");
  CHECK(r->manifest_ref() == "latest");
  CHECK(r->api_host() == "registry-1.docker.io");
  CHECK_FALSE(r->is_loopback());
  for (const char* text : {"localhost/a", "localhost:5000/a", "127.0.0.1:5000/a", "127.1.2.3/a", "[::1]:5000/a"}) {
    CAPTURE(text);
    auto l = oci::Reference::parse(text);
    REQUIRE(l);
    CHECK(l->is_loopback());
    CHECK(l->api_host() == l->registry);
  }
  for (const char* text : {"127.0.0.1.nip.io/a", "10.0.0.1:5000/a", "localhost.example/a"}) {
    CAPTURE(text);
    CHECK_FALSE(oci::Reference::parse(text)->is_loopback());
  }
}

TEST_CASE("references: invalid input says what is wrong") {
  struct Case {
    std::string text;
    const char* why;
  };
  const Case cases[] = {
      {"", "empty"},
      {"Ubuntu", "lowercase"},
      {"team/Model", "lowercase"},
      {"model:", "bad tag"},
      {"model:.hidden", "bad tag"},
      {"model:" + std::string(129, 'a'), "bad tag"},
      {"model:a/b", "bad registry host"},  // a ':' before a '/' makes a host, as in Docker
      {"model@sha256:abc", "bad digest"},
      {"model@md5:" + std::string(32, 'a'), "bad digest"},
      {"team//model", "empty path component"},
      {"team/-model", "bad repository component"},
      {"team/model-", "bad repository component"},
      {"team/mo..del", "bad repository component"},
      {"team/mo___del", "bad repository component"},
      {"localhost:5000/", "no repository"},
      {"bad_host.io/model", "bad registry host"},
      {"host:port/model", "bad registry host"},
      {"[::1/model", "bad registry host"},
      {"has space/model", "whitespace"},
      {"r.io/" + std::string(260, 'a'), "longer than 255"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto r = oci::Reference::parse(c.text);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK_MESSAGE(r.error().message.find(c.why) != std::string::npos, r.error().message);
  }
}

TEST_CASE("references: credentials before the host are redacted wherever the text is shown") {
  CHECK(oci::redact_reference("user:tok@reg.example/app:v1") == "***@reg.example/app:v1");
  CHECK(oci::redact_reference("docker://tok@reg.example/app") == "docker://***@reg.example/app");
  CHECK(oci::redact_reference("https://u:p@ss/w@reg.example/app@sha256:ab") == "https://***@reg.example/app@sha256:ab");
  CHECK(oci::redact_reference("reg.example/app@sha256:ab") == "reg.example/app@sha256:ab");
  CHECK(oci::redact_reference("app:v1@sha256:ab") == "app:v1@sha256:ab");
  CHECK(oci::redact_reference("@") == "***@");
  CHECK(oci::redact_reference("reg.example/app:v1") == "reg.example/app:v1");
  auto r = oci::Reference::parse("user:hunter2@reg.example/app:v1");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
  CHECK(r.error().message.find("hunter2") == std::string::npos);
  CHECK(r.error().message.find("credentials") != std::string::npos);
}
