#include <doctest/doctest.h>

#include "registry/credentials.hpp"

using namespace mlpack;
using namespace mlpack::registry;

TEST_CASE("docker config text: inline credentials, or the helper to ask, nothing run") {
  auto inline_auth = parse_docker_config(R"({"auths":{"https://index.docker.io/v1/":{"auth":"YWxpY2U6czNjcmV0"}},
                                             "credsStore":"desktop"})",
                                         "docker.io", "config.json");
  REQUIRE(inline_auth);
  REQUIRE(inline_auth->credentials);
  CHECK(inline_auth->credentials->username == "alice");
  CHECK_FALSE(inline_auth->helper);

  auto store = parse_docker_config(R"({"auths":{"docker.io":{}},"credsStore":"desktop"})", "docker.io", "config.json");
  REQUIRE(store);
  CHECK_FALSE(store->credentials);
  CHECK(store->helper == "desktop");

  // credHelpers wins over auths for its host; an empty credHelpers name is kept (running it fails),
  // an empty credsStore means none.
  auto helper = parse_docker_config(R"({"credHelpers":{"ghcr.io":"gh","x.io":""},"auths":{"ghcr.io":{"username":"u"}},
                                       "credsStore":""})",
                                    "ghcr.io", "config.json");
  REQUIRE(helper);
  CHECK(helper->helper == "gh");
  CHECK_FALSE(helper->credentials);
  auto empty_helper = parse_docker_config(R"({"credHelpers":{"x.io":""},"credsStore":""})", "x.io", "config.json");
  REQUIRE(empty_helper);
  CHECK(empty_helper->helper == "");
  auto none = parse_docker_config(R"({"credsStore":""})", "x.io", "config.json");
  REQUIRE(none);
  CHECK_FALSE(none->helper);
  CHECK_FALSE(none->credentials);
}

TEST_CASE("docker config text: what an error quotes is printable") {
  // A registry key with a terminal escape in a bad `auth` entry is quoted escaped, not raw.
  auto bad = parse_docker_config("{\"auths\":{\"x.io/\\u001b[31m\":{\"auth\":\"bm9jb2xvbg==\"}}}", "x.io", "config.json");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
  CHECK(bad.error().message.find('\x1b') == std::string::npos);
  CHECK(bad.error().message.find("x.io/") != std::string::npos);

  auto not_object = parse_docker_config("[1]", "x.io", "/home/u/.docker/config.json");
  REQUIRE_FALSE(not_object);
  CHECK(not_object.error().message.find("/home/u/.docker/config.json") != std::string::npos);
}
