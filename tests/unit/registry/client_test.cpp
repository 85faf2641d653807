#include <doctest/doctest.h>

#include <cstdlib>

#include "fake_registry.hpp"
#include "oci/reference.hpp"
#include "registry/client.hpp"
#include "registry/registry_transport.hpp"
#include "util/fs.hpp"
#include "util/parallel.hpp"

using namespace mlpack;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using test::FakeRegistry;
using test::respond;
using test::Seen;

namespace {

oci::Descriptor describe(const std::string& data) {
  oci::Descriptor d;
  d.media_type = std::string(oci::media::oci_layer_gzip);
  d.digest = util::Digest::sha256_of(data);
  d.size = static_cast<std::int64_t>(data.size());
  return d;
}

oci::BlobOpener opener(const std::string& data, int* opens = nullptr) {
  return [&data, opens]() -> util::Result<std::unique_ptr<util::Reader>> {
    if (opens) ++*opens;
    return std::make_unique<util::StringReader>(data);
  };
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

struct Env {
  FakeRegistry reg;
  test::FakeClock clock;
  util::TempDir dir = std::move(*util::TempDir::create());

  Env() { write_config(R"({"auths":{}})"); }

  void write_config(const std::string& json) { REQUIRE(util::write_file_atomic(dir.path() / "config.json", json)); }
  void login(const std::string& user, const std::string& password) {
    write_config(R"({"auths":{"reg.example":{"auth":")" + net::base64_encode(user + ":" + password) + R"("}}})");
  }

  registry::RegistryOptions options() {
    registry::RegistryOptions o;
    o.http = std::shared_ptr<net::HttpClient>(&reg.http, [](net::HttpClient*) {});
    o.clock = &clock;
    o.docker_config = dir.path() / "config.json";
    o.cache_dir = dir.path() / "cache";
    o.retry.initial_backoff = 100ms;
    return o;
  }
  std::shared_ptr<registry::RegistryClient> client(registry::RegistryOptions o) {
    auto c = registry::RegistryClient::create(FakeRegistry::host, o);
    REQUIRE_MESSAGE(c, c.error().message);
    return *c;
  }
  std::shared_ptr<registry::RegistryClient> client() { return client(options()); }
  std::unique_ptr<oci::ImageDestination> destination(const std::string& ref = "reg.example/team/app:v1") {
    auto d = registry::open_registry_destination(*oci::Reference::parse(ref), options());
    REQUIRE_MESSAGE(d, d.error().message);
    return std::move(*d);
  }
  std::unique_ptr<oci::ImageSource> source(const std::string& ref = "reg.example/team/app:v1") {
    auto s = registry::open_registry_source(*oci::Reference::parse(ref), options());
    REQUIRE_MESSAGE(s, s.error().message);
    return std::move(*s);
  }
  std::size_t cache_files() {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(dir.path() / "cache", ec); it != fs::recursive_directory_iterator(); ++it)
      if (it->is_regular_file()) ++n;
    return n;
  }
};

}  // namespace

TEST_CASE("push: blobs, then the manifest under its tag; a second push only asks") {
  Env env;
  auto dest = env.destination();
  const std::string layer = "layer bytes", config = R"({"os":"linux"})";
  for (const auto* data : {&layer, &config}) {
    auto has = dest->has_blob(describe(*data), std::nullopt);
    REQUIRE(has);
    CHECK_FALSE(*has);
    auto put = dest->put_blob(describe(*data), opener(*data));
    REQUIRE_MESSAGE(put, put.error().message);
  }
  auto top = oci::RawManifest::from_bytes(R"({"schemaVersion":2})", std::string(oci::media::oci_manifest));
  REQUIRE(dest->commit(top));

  CHECK(env.reg.blobs["team/app"][describe(layer).digest.str()] == layer);
  CHECK(env.reg.manifests["team/app@v1"].first == oci::media::oci_manifest);
  CHECK(env.reg.manifests["team/app@v1"].second == top.bytes);
  CHECK(env.reg.http.count("GET", "/v2/") >= 1);

  // Nothing is uploaded when the registry has the blobs.
  env.reg.http.log.clear();
  for (const auto* data : {&layer, &config}) {
    auto has = env.destination()->has_blob(describe(*data), std::nullopt);
    REQUIRE(has);
    CHECK(*has);
  }
  CHECK(env.reg.http.count("POST") == 0);
  CHECK(env.reg.http.count("PUT") == 0);
  CHECK(env.reg.http.count("HEAD") == 2);
}

TEST_CASE("push: a blob in another repository of the same registry is mounted") {
  Env env;
  const std::string layer = "shared base layer";
  env.reg.put_blob("team/base", layer);
  auto dest = env.destination();
  auto has = dest->has_blob(describe(layer), oci::BlobSourceHint{"reg.example", "team/base"});
  REQUIRE_MESSAGE(has, has.error().message);
  CHECK(*has);
  CHECK(env.reg.http.count("POST", "mount=sha256%3A" + describe(layer).digest.hex() + "&from=team%2Fbase") == 1);
  CHECK(env.reg.blobs["team/app"].count(describe(layer).digest.str()) == 1);

  // A hint for another registry is ignored; a refused mount (202) means upload, and its session
  // is cancelled.
  env.reg.http.log.clear();
  const std::string other = "not in base";
  CHECK_FALSE(*dest->has_blob(describe(other), oci::BlobSourceHint{"elsewhere.io", "team/base"}));
  CHECK(env.reg.http.count("POST") == 0);
  CHECK_FALSE(*dest->has_blob(describe(other), oci::BlobSourceHint{"reg.example", "team/base"}));
  CHECK(env.reg.http.count("POST", "mount=") == 1);
  CHECK(env.reg.http.count("DELETE") == 1);
  CHECK(env.reg.uploads.empty());
}

TEST_CASE("push: large blobs go up in chunks with the right Content-Range") {
  Env env;
  auto o = env.options();
  o.monolithic_limit = 100;
  o.chunk_size = 100;
  auto client = env.client(o);
  const std::string blob = pattern(250);
  auto r = client->upload_blob("team/app", describe(blob), opener(blob));
  REQUIRE_MESSAGE(r, r.error().message);

  std::vector<std::string> ranges, lengths;
  for (const auto& s : env.reg.http.log)
    if (s.method == "PATCH") {
      ranges.push_back(s.headers.get("Content-Range").value_or(""));
      lengths.push_back(s.headers.get("Content-Length").value_or(""));
      CHECK(s.headers.get("Content-Type") == "application/octet-stream");
    }
  CHECK(ranges == std::vector<std::string>{"0-99", "100-199", "200-249"});
  CHECK(lengths == std::vector<std::string>{"100", "100", "50"});
  const auto& put = env.reg.http.log.back();
  CHECK(put.method == "PUT");
  CHECK(put.url.find("_state=x&digest=sha256%3A") != std::string::npos);
  CHECK(put.body.empty());
  CHECK(env.reg.blobs["team/app"][describe(blob).digest.str()] == blob);
}

TEST_CASE("push: bodies can be rewound, as curl does on a dead reused connection") {
  Env env;
  env.reg.http.rewind_bodies = true;
  auto o = env.options();
  o.monolithic_limit = 100;
  o.chunk_size = 64;
  const std::string big = pattern(300), small = pattern(50);
  auto client = env.client(o);
  REQUIRE(client->upload_blob("team/app", describe(big), opener(big)));
  REQUIRE(client->upload_blob("team/app", describe(small), opener(small)));
  CHECK(env.reg.blobs["team/app"][describe(big).digest.str()] == big);
  CHECK(env.reg.blobs["team/app"][describe(small).digest.str()] == small);
  CHECK(env.reg.http.count("PATCH") == 5);
}

TEST_CASE("push: a small blob goes up in one PUT") {
  Env env;
  const std::string blob = pattern(1000);
  REQUIRE(env.client()->upload_blob("team/app", describe(blob), opener(blob)));
  CHECK(env.reg.http.count("PATCH") == 0);
  CHECK(env.reg.http.count("PUT", "digest=") == 1);
  CHECK(env.reg.http.log.back().body == blob);
  CHECK(env.reg.http.log.back().headers.get("Content-Length") == "1000");
}

TEST_CASE("push: a blob whose bytes do not match its descriptor is refused") {
  Env env;
  const std::string blob = "the real bytes";
  auto wrong = describe("other bytes!!");
  wrong.size = static_cast<std::int64_t>(blob.size());
  auto r = env.client()->upload_blob("team/app", wrong, opener(blob));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::integrity);
  CHECK(r.error().message.find(wrong.digest.str()) != std::string::npos);
  CHECK(env.reg.blobs["team/app"].empty());
}

TEST_CASE("push: a connection dropped mid-upload resumes from where the registry stands") {
  Env env;
  auto o = env.options();
  o.monolithic_limit = 100;
  o.chunk_size = 100;
  const std::string blob = pattern(350);
  int patches = 0;
  // The second PATCH reaches the registry but the answer is lost; the third is lost entirely.
  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.method != "PATCH") return std::nullopt;
    ++patches;
    if (patches == 2) {
      auto id = s.path().substr(s.path().rfind('/') + 1);
      id = id.substr(0, id.find('?'));
      env.reg.uploads[id] += s.body;
      return test::dropped();
    }
    if (patches == 3) return test::dropped();
    return std::nullopt;
  };
  int opens = 0;
  auto r = env.client(o)->upload_blob("team/app", describe(blob), opener(blob, &opens));
  REQUIRE_MESSAGE(r, r.error().message);
  CHECK(env.reg.blobs["team/app"][describe(blob).digest.str()] == blob);
  CHECK(env.reg.http.count("POST") == 1);  // one session, resumed
  CHECK(env.reg.http.count("GET", "/blobs/uploads/") == 2);
  CHECK(opens == 3);
  std::vector<std::string> ranges;
  for (const auto& s : env.reg.http.log)
    if (s.method == "PATCH") ranges.push_back(*s.headers.get("Content-Range"));
  CHECK(ranges == std::vector<std::string>{"0-99", "100-199", "200-299", "200-299", "300-349"});
}

TEST_CASE("push: a monolithic upload whose connection drops starts a fresh session") {
  Env env;
  const std::string blob = pattern(500);
  int puts = 0;
  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.method == "PUT" && ++puts == 1) return test::dropped();
    return std::nullopt;
  };
  auto r = env.client()->upload_blob("team/app", describe(blob), opener(blob));
  REQUIRE_MESSAGE(r, r.error().message);
  CHECK(env.reg.http.count("POST") == 2);
  CHECK(env.reg.blobs["team/app"][describe(blob).digest.str()] == blob);
}

TEST_CASE("push: an upload that keeps failing gives a clear error naming the blob, and no tag") {
  Env env;
  const std::string blob = pattern(500);
  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.method == "PUT" && s.url.find("digest=") != std::string::npos) return test::dropped();
    return std::nullopt;
  };
  auto dest = env.destination();
  auto r = dest->put_blob(describe(blob), opener(blob));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::network);
  const auto& m = r.error().message;
  CHECK_MESSAGE(m.find("uploading blob " + describe(blob).digest.str()) != std::string::npos, m);
  CHECK_MESSAGE(m.find("PUT https://reg.example/v2/team/app/blobs/uploads/") != std::string::npos, m);
  CHECK_MESSAGE(m.find("connection reset") != std::string::npos, m);
  CHECK_MESSAGE(m.find("after 3 upload attempts") != std::string::npos, m);
  CHECK(env.reg.manifests.empty());
}

TEST_CASE("retries: 500 twice then success; 429 honours Retry-After; giving up names the status") {
  Env env;
  int posts = 0;
  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.method == "POST" && ++posts <= 2) return respond(500);
    return std::nullopt;
  };
  const std::string blob = "retry me";
  REQUIRE(env.client()->upload_blob("team/app", describe(blob), opener(blob)));
  CHECK(posts == 3);
  CHECK(env.clock.sleeps == std::vector{100ms, 200ms});

  env.clock.sleeps.clear();
  int heads = 0;
  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.method == "HEAD" && ++heads == 1) return respond(429, {{"Retry-After", "12"}});
    return std::nullopt;
  };
  REQUIRE(env.client()->blob_exists("team/app", describe(blob).digest));
  CHECK(env.clock.sleeps == std::vector<std::chrono::milliseconds>{12s});

  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.method == "HEAD") return respond(503);
    return std::nullopt;
  };
  auto r = env.client()->blob_exists("team/app", describe(blob).digest);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::http);
  CHECK(r.error().message ==
        "HEAD https://reg.example/v2/team/app/blobs/" + describe(blob).digest.str() +
            ": 503 Service Unavailable (after 5 attempts)");
}

TEST_CASE("basic auth: credentials from the config; wrong ones name the registry, not the password") {
  Env env;
  env.reg.auth = FakeRegistry::Auth::basic;
  env.login("alice", "s3cret");
  const std::string blob = "authorised";
  REQUIRE(env.client()->upload_blob("team/app", describe(blob), opener(blob)));
  CHECK(env.reg.http.log.back().headers.get("Authorization") == "Basic YWxpY2U6czNjcmV0");

  env.login("alice", "wrong-password");
  auto r = env.client()->blob_exists("team/app", describe(blob).digest);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::auth);
  CHECK(r.error().message.find("registry reg.example refused the credentials for user `alice`") != std::string::npos);
  CHECK(r.error().message.find("wrong-password") == std::string::npos);

  env.write_config("{}");
  auto none = env.client()->blob_exists("team/app", describe(blob).digest);
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == util::ErrorKind::auth);
  CHECK(none.error().message.find("requires authentication") != std::string::npos);
}

TEST_CASE("credentials come from the Docker config the options name: DOCKER_CONFIG in the environment given, not the process's") {
  Env env;
  env.reg.auth = FakeRegistry::Auth::basic;
  // The process environment points at a config with other credentials; it must not be read.
  REQUIRE(util::make_dirs(env.dir.path() / "process"));
  REQUIRE(util::write_file_atomic(env.dir.path() / "process" / "config.json",
                                  R"({"auths":{"reg.example":{"auth":")" + net::base64_encode("mallory:x") + R"("}}})"));
  ::setenv("DOCKER_CONFIG", (env.dir.path() / "process").c_str(), 1);
  REQUIRE(util::make_dirs(env.dir.path() / "given"));
  REQUIRE(util::write_file_atomic(env.dir.path() / "given" / "config.json",
                                  R"({"auths":{"reg.example":{"auth":")" + net::base64_encode("alice:s3cret") + R"("}}})"));
  util::Environment given;
  given.set("DOCKER_CONFIG", (env.dir.path() / "given").string());
  auto o = env.options();
  o.docker_config = registry::docker_config_path(given);
  const std::string blob = "authorised";
  REQUIRE(env.client(o)->upload_blob("team/app", describe(blob), opener(blob)));
  CHECK(env.reg.http.log.back().headers.get("Authorization") == "Basic YWxpY2U6czNjcmV0");

  // No config given: no credentials at all, whatever the process environment says.
  o.docker_config.reset();
  auto none = env.client(o)->blob_exists("team/app", describe(blob).digest);
  ::unsetenv("DOCKER_CONFIG");
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == util::ErrorKind::auth);
  CHECK(none.error().message.find("requires authentication and no Docker config was given") != std::string::npos);
}

TEST_CASE("bearer auth: a token per scope, cached, refreshed on expiry and on 401") {
  Env env;
  env.reg.auth = FakeRegistry::Auth::bearer;
  env.login("alice", "s3cret");
  auto client = env.client();
  const auto digest = util::Digest::sha256_of("x");
  REQUIRE(client->blob_exists("team/app", digest));
  REQUIRE(client->blob_exists("team/app", digest));
  REQUIRE(env.reg.token_queries.size() == 1);
  CHECK(env.reg.token_queries[0] == "service=reg.example&scope=repository%3Ateam%2Fapp%3Apull");

  // A push needs its own scope.
  const std::string blob = "pushed with a token";
  REQUIRE(client->upload_blob("team/app", describe(blob), opener(blob)));
  CHECK(env.reg.token_queries.size() == 2);
  CHECK(env.reg.token_queries[1] == "service=reg.example&scope=repository%3Ateam%2Fapp%3Apull%2Cpush");

  // Expiry by the clock.
  env.clock.advance(301s);
  REQUIRE(client->blob_exists("team/app", digest));
  CHECK(env.reg.token_queries.size() == 3);

  // The registry forgets the token early: one refresh, one retry.
  env.reg.tokens.clear();
  auto again = client->blob_exists("team/app", digest);
  REQUIRE_MESSAGE(again, again.error().message);
  CHECK(env.reg.token_queries.size() == 4);

  // Wrong credentials at the token server.
  env.login("alice", "nope");
  auto r = env.client()->blob_exists("team/app", digest);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::auth);
  CHECK(r.error().message.find("reg.example") != std::string::npos);
  CHECK(r.error().message.find("nope") == std::string::npos);
}

TEST_CASE("bearer auth: a mount asks for pull on the source repository too") {
  Env env;
  env.reg.auth = FakeRegistry::Auth::bearer;
  env.login("alice", "s3cret");
  env.reg.put_blob("team/base", "base");
  REQUIRE(*env.destination()->has_blob(describe("base"), oci::BlobSourceHint{"reg.example", "team/base"}));
  CHECK(env.reg.token_queries.back() ==
        "service=reg.example&scope=repository%3Ateam%2Fapp%3Apull%2Cpush&scope=repository%3Ateam%2Fbase%3Apull");
}

TEST_CASE("pull: manifests by tag and digest, verified") {
  Env env;
  const std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";
  env.reg.manifests["team/app@v1"] = {"application/vnd.oci.image.index.v1+json", manifest};
  auto src = env.source();
  CHECK(src->describe() == "docker://reg.example/team/app:v1");
  REQUIRE(src->blob_hint());
  CHECK(src->blob_hint()->repository == "team/app");
  auto got = src->get_manifest();
  REQUIRE_MESSAGE(got, got.error().message);
  CHECK(got->bytes == manifest);
  CHECK(got->media_type == oci::media::oci_index);
  CHECK(got->digest == util::Digest::sha256_of(manifest));
  auto accept = env.reg.http.log.back().headers.get("Accept").value_or("");
  for (auto type : {oci::media::oci_manifest, oci::media::oci_index, oci::media::docker_manifest,
                    oci::media::docker_manifest_list})
    CHECK(accept.find(type) != std::string::npos);

  // A registry that answers a digest with other bytes is caught.
  const auto wanted = util::Digest::sha256_of("what we asked for");
  env.reg.manifests["team/app@" + wanted.str()] = {"application/vnd.oci.image.manifest.v1+json", "{}"};
  auto bad = src->get_manifest(wanted);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::integrity);

  auto missing = env.source("reg.example/team/app:nope")->get_manifest();
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == util::ErrorKind::not_found);
  CHECK(missing.error().message.find("MANIFEST_UNKNOWN") != std::string::npos);
}

TEST_CASE("pull: blobs land verified in the content-addressed cache") {
  Env env;
  const std::string blob = pattern(5000);
  env.reg.put_blob("team/app", blob);
  auto src = env.source();
  auto reader = src->open_blob(describe(blob));
  REQUIRE_MESSAGE(reader, reader.error().message);
  CHECK(*util::read_all(**reader, 1 << 20) == blob);
  auto cached = env.dir.path() / "cache/blobs/sha256" / describe(blob).digest.hex();
  CHECK(*util::read_file(cached) == blob);
  CHECK(env.cache_files() == 1);

  // A second read comes from the cache.
  env.reg.http.log.clear();
  REQUIRE(src->open_blob(describe(blob)));
  CHECK(env.reg.http.log.empty());
}

TEST_CASE("pull: a corrupt blob is an integrity error and leaves nothing in the cache") {
  Env env;
  const std::string blob = pattern(5000);
  env.reg.blobs["team/app"][describe(blob).digest.str()] = pattern(4999) + "!";
  auto r = env.source()->open_blob(describe(blob));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::integrity);
  CHECK(r.error().message.find("downloading blob " + describe(blob).digest.str()) != std::string::npos);
  CHECK(env.cache_files() == 0);

  // Longer than declared: stopped, nothing kept.
  env.reg.blobs["team/app"][describe(blob).digest.str()] = blob + "extra";
  auto longer = env.source()->open_blob(describe(blob));
  REQUIRE_FALSE(longer);
  CHECK(longer.error().kind == util::ErrorKind::integrity);
  CHECK(env.cache_files() == 0);
}

namespace {
// Sends half a blob, then drops, the first time; the whole blob after.
class FlakyDownload final : public net::HttpClient {
 public:
  explicit FlakyDownload(std::string blob) : blob_(std::move(blob)) {}
  int gets = 0;
  util::Result<net::Response> send(const net::Request& req, util::Writer* sink) override {
    if (req.url.ends_with("/v2/")) return respond(200);
    ++gets;
    if (gets == 1) {
      (void)sink->write(util::as_bytes(std::string_view(blob_).substr(0, blob_.size() / 2)));
      return test::dropped();
    }
    (void)sink->write(util::as_bytes(blob_));
    return respond(200);
  }

 private:
  std::string blob_;
};
}  // namespace

TEST_CASE("pull: a download dropped part-way starts over cleanly") {
  Env env;
  const std::string blob = pattern(3000);
  auto o = env.options();
  auto flaky = std::make_shared<FlakyDownload>(blob);
  o.http = flaky;
  auto path = (*registry::RegistryClient::create("reg.example", o))->fetch_blob("team/app", describe(blob), o.cache_dir);
  REQUIRE_MESSAGE(path, path.error().message);
  CHECK(flaky->gets == 2);
  CHECK(*util::read_file(*path) == blob);
  CHECK(env.cache_files() == 1);
}

TEST_CASE("commit to a digest reference checks the digest") {
  Env env;
  auto top = oci::RawManifest::from_bytes(R"({"schemaVersion":2})", std::string(oci::media::oci_manifest));
  auto other = util::Digest::sha256_of("other");
  auto wrong = env.destination("reg.example/team/app@" + other.str())->commit(top);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().kind == util::ErrorKind::invalid_input);
  REQUIRE(env.destination("reg.example/team/app@" + top.digest.str())->commit(top));
  CHECK(env.reg.manifests.count("team/app@" + top.digest.str()) == 1);
}

TEST_CASE("registry errors carry the request, the status and the registry's message") {
  Env env;
  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.method == "PUT" && s.url.find("/manifests/") != std::string::npos)
      return respond(400, {}, R"({"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
    return std::nullopt;
  };
  auto top = oci::RawManifest::from_bytes(R"({"schemaVersion":2})", std::string(oci::media::oci_manifest));
  auto r = env.destination()->commit(top);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::http);
  CHECK(r.error().message == "putting manifest " + top.digest.short_str() +
                                 " as reg.example/team/app:v1: PUT https://reg.example/v2/team/app/manifests/v1: 400 Bad "
                                 "Request: MANIFEST_BLOB_UNKNOWN: blob unknown to registry");
}

TEST_CASE("ping: plain http is tried only where allowed") {
  Env env;
  // reg.example answers only https; an https failure on a host not listed is final.
  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.url.starts_with("https://")) return util::fail(util::ErrorKind::network, "GET " + s.url + ": TLS: wrong version number");
    return std::nullopt;
  };
  auto r = env.client()->ping();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("TLS") != std::string::npos);
  CHECK(env.reg.http.count("GET", "http://") == 0);

  // Listed as insecure: http is tried next (and this fake refuses it, so both errors show).
  auto o = env.options();
  o.insecure_hosts = {"reg.example"};
  auto r2 = env.client(o)->ping();
  REQUIRE_FALSE(r2);
  CHECK(env.reg.http.count("GET", "http://reg.example/v2/") >= 1);
  CHECK(r2.error().message.find("over plain http") != std::string::npos);
}

TEST_CASE("ping: a 503 or a dropped connection is retried, also where another scheme may follow") {
  Env env;
  auto o = env.options();
  o.insecure_hosts = {"reg.example"};  // https first, then plain http: the ping used to try each once
  int pings = 0;
  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.url != "https://reg.example/v2/") return std::nullopt;
    ++pings;
    if (pings == 1) return respond(503);
    if (pings == 2) return util::fail(util::ErrorKind::network, "GET " + s.url + ": Empty reply from server");
    if (pings == 3) return respond(429, {{"Retry-After", "1"}});
    return std::nullopt;
  };
  auto client = env.client(o);
  auto r = client->ping();
  REQUIRE_MESSAGE(r, r.error().message);
  CHECK(pings == 4);
  CHECK(env.reg.http.count("GET", "http://") == 0);
  CHECK(env.clock.sleeps == std::vector<std::chrono::milliseconds>{100ms, 200ms, 1s});
  const std::string blob = "after a flaky ping";
  CHECK(client->upload_blob("team/app", describe(blob), opener(blob)));

  // A registry that keeps answering 503 fails with that status, not with another scheme's error.
  Env down;
  down.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.url.ends_with("/v2/")) return respond(503);
    return std::nullopt;
  };
  auto o2 = down.options();
  o2.insecure_hosts = {"reg.example"};
  auto r2 = down.client(o2)->ping();
  REQUIRE_FALSE(r2);
  CHECK(r2.error().message.find("503 Service Unavailable (after 5 attempts)") != std::string::npos);
  CHECK(down.reg.http.count("GET", "http://") == 0);
}

TEST_CASE("parallel uploads share one client") {
  Env env;
  env.reg.auth = FakeRegistry::Auth::bearer;
  env.login("alice", "s3cret");
  auto client = env.client();
  std::vector<std::string> blobs;
  for (int i = 0; i < 16; ++i) blobs.push_back("blob number " + std::to_string(i));
  auto r = util::parallel_for(blobs.size(), 4, [&](std::size_t i) {
    return client->upload_blob("team/app", describe(blobs[i]), opener(blobs[i]));
  });
  REQUIRE_MESSAGE(r, r.error().message);
  CHECK(env.reg.blobs["team/app"].size() == 16);
}
