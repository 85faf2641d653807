#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>

#include "registry/auth.hpp"
#include "registry/credentials.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using namespace mlpack::registry;

TEST_CASE("WWW-Authenticate: Bearer, Basic, several challenges, quoting") {
  auto b = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")");
  REQUIRE(b.size() == 1);
  CHECK(b[0].scheme == "bearer");
  CHECK(b[0].param("realm") == "https://auth.docker.io/token");
  CHECK(b[0].param("service") == "registry.docker.io");
  CHECK(b[0].param("scope") == "repository:samalba/my-app:pull,push");

  auto basic = parse_www_authenticate(R"(Basic realm="Registry Realm")");
  REQUIRE(basic.size() == 1);
  CHECK(basic[0].scheme == "basic");
  CHECK(basic[0].param("realm") == "Registry Realm");

  auto two = parse_www_authenticate(R"(Basic realm="a, b", BEARER Realm=https://t.example/token , service = "s\"x")");
  REQUIRE(two.size() == 2);
  CHECK(two[0].param("realm") == "a, b");
  CHECK(two[1].scheme == "bearer");
  CHECK(two[1].param("realm") == "https://t.example/token");
  CHECK(two[1].param("service") == "s\"x");

  auto error = parse_www_authenticate(R"(Bearer realm="r",error="insufficient_scope")");
  REQUIRE(error.size() == 1);
  CHECK(error[0].param("error") == "insufficient_scope");

  CHECK(parse_www_authenticate("").empty());
  CHECK(parse_www_authenticate("Negotiate").size() == 1);
}

TEST_CASE("token responses: token or access_token, expires_in") {
  auto now = std::chrono::steady_clock::time_point{};
  auto t = parse_token_response(R"({"token":"abc","expires_in":120})", now);
  REQUIRE(t);
  CHECK(t->value == "abc");
  CHECK(t->expires == now + std::chrono::seconds(120));
  auto oauth = parse_token_response(R"({"access_token":"xyz"})", now);
  REQUIRE(oauth);
  CHECK(oauth->value == "xyz");
  CHECK(oauth->expires == now + std::chrono::seconds(60));
  CHECK(parse_token_response(R"({"nothing":1})", now).error().kind == util::ErrorKind::auth);
  CHECK_FALSE(parse_token_response("<html>", now));
}

TEST_CASE("registry host keys are normalised") {
  CHECK(normalize_registry_host("https://index.docker.io/v1/") == "docker.io");
  CHECK(normalize_registry_host("registry-1.docker.io") == "docker.io");
  CHECK(normalize_registry_host("docker.io") == "docker.io");
  CHECK(normalize_registry_host("http://localhost:5000/v2/") == "localhost:5000");
  CHECK(normalize_registry_host("ghcr.io") == "ghcr.io");
}

namespace {
struct ConfigDir {
  util::TempDir dir = std::move(*util::TempDir::create());
  fs::path write(const std::string& json) {
    auto path = dir.path() / "config.json";
    REQUIRE(util::write_file_atomic(path, json));
    return path;
  }
  // A docker-credential-<name> script that answers for `server` and otherwise reports a miss.
  void helper(const std::string& name, const std::string& server, const std::string& answer) {
    auto path = dir.path() / ("docker-credential-" + name);
    std::string script = "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread server\nif [ \"$server\" = '" + server +
                         "' ]; then echo '" + answer + "'; exit 0; fi\necho 'credentials not found in native keychain'\nexit 1\n";
    REQUIRE(util::write_file_atomic(path, script, 0755));
  }
};

// Puts a directory first on PATH for the life of the object.
struct PathPrefix {
  std::string old;
  explicit PathPrefix(const fs::path& dir) {
    const char* p = std::getenv("PATH");
    old = p ? p : "";
    ::setenv("PATH", (dir.string() + ":" + old).c_str(), 1);
  }
  ~PathPrefix() { ::setenv("PATH", old.c_str(), 1); }
};
}  // namespace

TEST_CASE("docker config: auths entries") {
  ConfigDir c;
  auto path = c.write(R"({"auths":{
      "https://index.docker.io/v1/": {"auth": "YWxpY2U6czNjcmV0"},
      "localhost:5000": {"username": "bob", "password": "pw:with:colons"},
      "ghcr.io": {"identitytoken": "refresh-me"},
      "quay.io": {}
  }})");
  auto hub = lookup_credentials("docker.io", path);
  REQUIRE(hub);
  REQUIRE(*hub);
  CHECK((*hub)->username == "alice");
  CHECK((*hub)->password == "s3cret");

  auto local = lookup_credentials("localhost:5000", path);
  REQUIRE(local);
  REQUIRE(*local);
  CHECK((*local)->username == "bob");
  CHECK((*local)->password == "pw:with:colons");

  auto ghcr = lookup_credentials("ghcr.io", path);
  REQUIRE(ghcr);
  REQUIRE(*ghcr);
  CHECK((*ghcr)->identity_token == "refresh-me");

  CHECK_FALSE(*lookup_credentials("quay.io", path));
  CHECK_FALSE(*lookup_credentials("other.io", path));
  CHECK_FALSE(*lookup_credentials("other.io", c.dir.path() / "missing.json"));
}

TEST_CASE("docker config: malformed input is refused") {
  ConfigDir c;
  auto bad_json = lookup_credentials("x.io", c.write("{not json"));
  REQUIRE_FALSE(bad_json);
  CHECK(bad_json.error().kind == util::ErrorKind::invalid_input);
  CHECK(bad_json.error().message.find("config.json") != std::string::npos);

  auto bad_auth = lookup_credentials("x.io", c.write(R"({"auths":{"x.io":{"auth":"bm9jb2xvbg=="}}})"));  // "nocolon"
  REQUIRE_FALSE(bad_auth);
  CHECK(bad_auth.error().kind == util::ErrorKind::invalid_input);
}

TEST_CASE("docker config: credential helpers from PATH") {
  ConfigDir c;
  c.helper("fake", "reg.example:5000", R"({"ServerURL":"reg.example:5000","Username":"carol","Secret":"helper-pw"})");
  c.helper("hub", "https://index.docker.io/v1/", R"({"ServerURL":"x","Username":"<token>","Secret":"id-token"})");
  PathPrefix on_path(c.dir.path());

  auto path = c.write(R"({"credHelpers":{"reg.example:5000":"fake"},"credsStore":"hub",
                          "auths":{"reg.example:5000":{"auth":"aWdub3JlZDppZ25vcmVk"}}})");
  // credHelpers beats an auths entry for the same host.
  auto via_helper = lookup_credentials("reg.example:5000", path);
  REQUIRE_MESSAGE(via_helper, via_helper.error().message);
  REQUIRE(*via_helper);
  CHECK((*via_helper)->username == "carol");
  CHECK((*via_helper)->password == "helper-pw");

  // Everything else goes to credsStore; "<token>" means an identity token.
  auto via_store = lookup_credentials("docker.io", path);
  REQUIRE(via_store);
  REQUIRE(*via_store);
  CHECK((*via_store)->username.empty());
  CHECK((*via_store)->identity_token == "id-token");

  // The store knows nothing of this one.
  auto miss = lookup_credentials("elsewhere.io", path);
  REQUIRE(miss);
  CHECK_FALSE(*miss);

  // A helper that is not installed is an auth error naming it.
  auto missing = lookup_credentials("x.io", c.write(R"({"credsStore":"nosuchhelper"})"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == util::ErrorKind::auth);
  CHECK(missing.error().message.find("docker-credential-nosuchhelper") != std::string::npos);
}

TEST_CASE("credential helper failures do not leak what the helper printed beyond one line") {
  ConfigDir c;
  auto script = c.dir.path() / "docker-credential-broken";
  REQUIRE(util::write_file_atomic(script, "#!/bin/sh\necho 'keychain locked'\necho 'second line'\nexit 2\n", 0755));
  PathPrefix on_path(c.dir.path());
  auto r = run_credential_helper("broken", "x.io");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::auth);
  CHECK(r.error().message.find("keychain locked") != std::string::npos);
  CHECK(r.error().message.find("second line") == std::string::npos);
  CHECK(r.error().message.find("status 2") != std::string::npos);
}

TEST_CASE("docker config path: DOCKER_CONFIG, else HOME, from the environment given, never the process's") {
  ::setenv("DOCKER_CONFIG", "/from/process", 1);
  const char* old_home = std::getenv("HOME");
  const std::string saved_home = old_home ? old_home : "";
  ::setenv("HOME", "/process/home", 1);
  util::Environment env;
  CHECK(docker_config_path(env) == "/.docker/config.json");
  env.set("HOME", "/home/alice");
  CHECK(docker_config_path(env) == "/home/alice/.docker/config.json");
  env.set("DOCKER_CONFIG", "");  // set but empty: as docker, not given
  CHECK(docker_config_path(env) == "/home/alice/.docker/config.json");
  env.set("DOCKER_CONFIG", "/etc/dc");
  CHECK(docker_config_path(env) == "/etc/dc/config.json");
  ::unsetenv("DOCKER_CONFIG");
  if (old_home) ::setenv("HOME", saved_home.c_str(), 1);
  else ::unsetenv("HOME");
}

TEST_CASE("token responses: a lifetime past a day is cut to a day (found by fuzz_www_authenticate)") {
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(24 * 365);
  // 3429496729500 s in nanoseconds overflowed a signed 64-bit count (UBSan).
  auto t = parse_token_response(R"({"token":"abc","expires_in":3429496729500})", now);
  REQUIRE(t);
  CHECK(t->expires == now + std::chrono::hours(24));
  auto max = parse_token_response(R"({"token":"abc","expires_in":9223372036854775807})", now);
  REQUIRE(max);
  CHECK(max->expires == now + std::chrono::hours(24));
  auto day = parse_token_response(R"({"token":"abc","expires_in":86399})", now);
  REQUIRE(day);
  CHECK(day->expires == now + std::chrono::seconds(86399));
}
