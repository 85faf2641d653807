#include "condaindex/client.hpp"

#include <doctest/doctest.h>
#include <zstd.h>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

#include "net/fakes.hpp"
#include "test_files.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using condaindex::ChannelClient;
using condaindex::ClientOptions;

namespace {

std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  auto n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  REQUIRE(!ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string repodata(std::string_view subdir, std::string_view name, std::string_view version = "1.0") {
  return R"({"info": {"subdir": ")" + std::string(subdir) + R"("}, "packages.conda": {")" + std::string(name) + "-" +
         std::string(version) + R"(-0.conda": {"name": ")" + std::string(name) + R"(", "version": ")" +
         std::string(version) +
         R"(", "build": "0", "sha256": "1f07873d6aa0cd18760a7b215d9956f7fa63c2f2761b03f293c659fe982923fa"}}})";
}

// A channel server: files by path, each with an ETag; 304 on a matching If-None-Match.
struct FakeChannelServer {
  std::shared_ptr<test::FakeHttp> http = std::make_shared<test::FakeHttp>();
  struct File {
    std::string body;
    std::string etag;
    int status = 200;
  };
  std::map<std::string, File> files;
  bool down = false;
  std::optional<std::string> required_auth;

  FakeChannelServer() {
    http->handler = [this](const test::Seen& s) -> util::Result<net::Response> {
      if (down) return util::fail(util::ErrorKind::network, "Could not connect to server");
      if (required_auth && s.headers.get("Authorization") != required_auth) return test::respond(401);
      auto it = files.find(s.path());
      if (it == files.end()) return test::respond(404, {}, "Not Found");
      if (it->second.status != 200) return test::respond(it->second.status);
      if (!it->second.etag.empty() && s.headers.get("If-None-Match") == it->second.etag) return test::respond(304);
      std::vector<std::pair<std::string, std::string>> headers;
      if (!it->second.etag.empty()) headers.emplace_back("ETag", it->second.etag);
      return test::respond(200, headers, it->second.body);
    };
  }
  void put(const std::string& path, std::string body, std::string etag = "\"v1\"") {
    files[path] = {std::move(body), std::move(etag)};
  }
  std::size_t count(std::string_view path_part) const { return http->count("GET", path_part); }
};

condaindex::Channel channel(std::string_view text) {
  auto r = condaindex::parse_channel(text, "https://conda.example");
  REQUIRE(r);
  return r->front();
}

struct Fixture {
  FakeChannelServer server;
  util::TempDir cache = *util::TempDir::create();
  test::FakeClock clock;
  std::int64_t now = 1'700'000'000;

  ChannelClient client() {
    ClientOptions o;
    o.cache_dir = cache.path();
    o.clock = &clock;
    o.retry.max_attempts = 2;
    o.epoch_seconds = [this] { return now; };
    return ChannelClient(server.http, o);
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "repodata: .zst preferred, decompressed, records name the channel's canonical URL") {
  server.put("/forge/linux-64/repodata.json.zst", zstd(repodata("linux-64", "numpy")));
  server.put("/forge/noarch/repodata.json.zst", zstd(repodata("noarch", "tzdata")));
  server.put("/forge/linux-64/repodata.json", "must not be fetched");
  auto c = client();
  auto r = c.fetch_repodata({channel("forge")}, {"linux-64", "noarch"});
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].subdir == "linux-64");
  CHECK((*r)[0].found);
  REQUIRE((*r)[0].repodata.packages.size() == 1);
  CHECK((*r)[0].repodata.packages[0].url == "https://conda.example/forge/linux-64/numpy-1.0-0.conda");
  CHECK((*r)[0].repodata.packages[0].channel == "https://conda.example/forge");
  CHECK((*r)[1].repodata.packages.at(0).name == "tzdata");
  CHECK(server.count("/forge/linux-64/repodata.json.zst") == 1);
  CHECK(server.count("/forge/linux-64/repodata.json") == 1);  // only the .zst matched
}

TEST_CASE_FIXTURE(Fixture, "repodata: a refused .zst falls back to repodata.json, and that is remembered") {
  server.put("/forge/linux-64/repodata.json", repodata("linux-64", "numpy"));
  server.put("/forge/noarch/repodata.json", repodata("noarch", "tzdata"));
  server.files["/forge/noarch/repodata.json.zst"] = {"", "", 403};  // object stores refuse instead of 404
  {
    auto c = client();
    auto r = c.fetch_repodata({channel("forge")}, {"linux-64", "noarch"});
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    CHECK((*r)[0].repodata.packages.at(0).name == "numpy");
    CHECK((*r)[1].repodata.packages.at(0).name == "tzdata");
    CHECK(c.stats().zst_fallbacks == 2);
  }
  CHECK(server.count("repodata.json.zst") == 2);
  {
    auto c = client();
    auto r = c.fetch_repodata({channel("forge")}, {"linux-64", "noarch"});
    REQUIRE(r);
    CHECK(c.stats().not_modified == 2);  // revalidated by ETag
    CHECK(c.stats().zst_fallbacks == 0);
  }
  CHECK(server.count("repodata.json.zst") == 2);  // not asked again
  now += 15 * 24 * 3600;                          // ... until zst_recheck has passed
  {
    auto c = client();
    REQUIRE(c.fetch_repodata({channel("forge")}, {"linux-64"}));
  }
  CHECK(server.count("linux-64/repodata.json.zst") == 2);
}

TEST_CASE_FIXTURE(Fixture, "repodata: state.json keeps the keys earlier versions wrote, so old caches revalidate") {
  server.put("/forge/linux-64/repodata.json", repodata("linux-64", "numpy"));
  server.files["/forge/linux-64/repodata.json.zst"] = {"", "", 404};
  {
    auto c = client();
    REQUIRE(c.fetch_repodata({channel("forge")}, {"linux-64"}));
  }
  std::vector<std::filesystem::path> states;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache.path() / "conda-repodata-v1"))
    if (e.path().filename() == "state.json") states.push_back(e.path());
  REQUIRE(states.size() == 1);
  auto j = nlohmann::json::parse(*util::read_file(states[0]));
  CHECK(j["url"] == "https://conda.example/forge/linux-64/repodata.json");
  CHECK(j["variant"] == "json");
  CHECK(j["etag"].is_string());
  CHECK(j["zst_missing_at"] == now);
  // An entry as an earlier version left it: its validators are sent, and the 304 reuses the body.
  j.erase("last_modified");
  REQUIRE(util::write_file_atomic(states[0], j.dump() + "\n"));
  auto c = client();
  REQUIRE(c.fetch_repodata({channel("forge")}, {"linux-64"}));
  CHECK(c.stats().not_modified == 1);
  CHECK(c.stats().zst_fallbacks == 0);
  CHECK(server.count("repodata.json.zst") == 1);
}

TEST_CASE_FIXTURE(Fixture, "repodata: cached copies are revalidated; 304 reuses them, 200 replaces them") {
  server.put("/forge/noarch/repodata.json.zst", zstd(repodata("noarch", "tzdata", "2024a")), "\"a\"");
  {
    auto c = client();
    auto r = c.fetch_repodata({channel("forge")}, {"noarch"});
    REQUIRE(r);
    CHECK(c.stats().not_modified == 0);
  }
  {
    auto c = client();
    auto r = c.fetch_repodata({channel("forge")}, {"noarch"});
    REQUIRE(r);
    CHECK(c.stats().not_modified == 1);
    CHECK((*r)[0].repodata.packages.at(0).version == "2024a");
    CHECK(server.http->log.back().headers.get("If-None-Match") == "\"a\"");
  }
  server.put("/forge/noarch/repodata.json.zst", zstd(repodata("noarch", "tzdata", "2024b")), "\"b\"");
  {
    auto c = client();
    auto r = c.fetch_repodata({channel("forge")}, {"noarch"});
    REQUIRE(r);
    CHECK(c.stats().not_modified == 0);
    CHECK((*r)[0].repodata.packages.at(0).version == "2024b");
  }
  // A corrupt cached body is not trusted blindly: the next 304 parses it and says so.
  std::size_t bodies = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache.path()))
    if (e.path().filename() == "repodata.json") {
      REQUIRE(util::write_file_atomic(e.path(), "garbage"));
      ++bodies;
    }
  CHECK(bodies == 1);
  auto c = client();
  auto r = c.fetch_repodata({channel("forge")}, {"noarch"});
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
}

TEST_CASE_FIXTURE(Fixture, "repodata: a missing platform subdir is empty; a channel with no subdir is not found") {
  server.put("/forge/noarch/repodata.json", repodata("noarch", "tzdata"), "");
  auto c = client();
  auto r = c.fetch_repodata({channel("forge")}, {"linux-aarch64", "noarch"});
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(!(*r)[0].found);
  CHECK((*r)[0].repodata.packages.empty());
  CHECK((*r)[1].found);

  auto missing =
      c.fetch_repodata({channel("forge"), channel("https://conda.example/t/sekrit-tok/nope")}, {"linux-64", "noarch"});
  REQUIRE(!missing);
  CHECK(missing.error().kind == util::ErrorKind::not_found);
  CHECK(missing.error().message ==
        "channel https://conda.example/nope not found (404 for https://conda.example/nope/linux-64/repodata.json and "
        "https://conda.example/nope/noarch/repodata.json); check the channel's name and that it has packages for "
        "this platform");
}

TEST_CASE_FIXTURE(Fixture, "repodata: errors name the file, never the token or password") {
  SUBCASE("not JSON") {
    server.put("/t/sekrit-tok/forge/noarch/repodata.json.zst", zstd("<html>login</html>"));
    auto c = client();
    auto r = c.fetch_repodata({channel("https://conda.example/t/sekrit-tok/forge")}, {"noarch"});
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK_MESSAGE(r.error().message.find("https://conda.example/forge/noarch/repodata.json") != std::string::npos,
                  r.error().message);
    CHECK(r.error().message.find("sekrit") == std::string::npos);
  }
  SUBCASE("no info.subdir") {
    server.put("/forge/noarch/repodata.json.zst", zstd(R"({"packages": {}})"));
    auto c = client();
    auto r = c.fetch_repodata({channel("forge")}, {"noarch"});
    REQUIRE(!r);
    CHECK(r.error().message.find("no `info.subdir`") != std::string::npos);
  }
  SUBCASE("unreachable, after the retries") {
    server.down = true;
    auto c = client();
    auto r = c.fetch_repodata({channel("https://u:sekrit-pw@conda.example/t/sekrit-tok/forge")}, {"noarch"});
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::network);
    CHECK_MESSAGE(r.error().message.find("channel https://conda.example/forge") != std::string::npos,
                  r.error().message);
    CHECK_MESSAGE(r.error().message.find("sekrit") == std::string::npos, r.error().message);
    CHECK(server.count("repodata.json.zst") == 2);  // retried once
  }
  SUBCASE("a server error") {
    server.files["/forge/noarch/repodata.json.zst"] = {"", "", 500};
    auto c = client();
    auto r = c.fetch_repodata({channel("forge")}, {"noarch"});
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::http);
    CHECK(r.error().message.find("500") != std::string::npos);
  }
  SUBCASE("credentials refused") {
    server.required_auth = "Basic dTpyaWdodA==";  // u:right
    server.put("/forge/noarch/repodata.json", repodata("noarch", "tzdata"));
    auto c = client();
    auto r = c.fetch_repodata({channel("https://u:sekrit-pw@conda.example/forge")}, {"noarch"});
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::http);
    CHECK(r.error().message.find("401") != std::string::npos);
    CHECK(r.error().message.find("sekrit") == std::string::npos);
    auto ok = c.fetch_repodata({channel("https://u:right@conda.example/forge")}, {"noarch"});
    CHECK_MESSAGE(ok, (ok ? "" : ok.error().message));
  }
}

TEST_CASE_FIXTURE(Fixture, "repodata: many channels fetched in parallel come back in the order asked") {
  std::vector<condaindex::Channel> channels;
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) {
    auto name = "ch" + std::to_string(i);
    server.put("/" + name + "/linux-64/repodata.json.zst", zstd(repodata("linux-64", "pkg" + std::to_string(i))));
    server.put("/" + name + "/noarch/repodata.json.zst", zstd(repodata("noarch", "na" + std::to_string(i))));
    channels.push_back(channel(name));
  }
  ClientOptions o;
  o.cache_dir = cache.path();
  o.clock = &clock;
  o.max_parallel = 5;
  ChannelClient c(server.http, o);
  auto r = c.fetch_repodata(channels, {"linux-64", "noarch"});
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  REQUIRE(r->size() == 24);
  for (std::size_t i = 0; i < 24; ++i) {
    CHECK((*r)[i].channel == i / 2);
    CHECK((*r)[i].subdir == (i % 2 ? "noarch" : "linux-64"));
    CHECK((*r)[i].repodata.packages.at(0).name == (i % 2 ? "na" : "pkg") + std::to_string(i / 2));
  }
}

TEST_CASE_FIXTURE(Fixture, "repodata: file:// channels are read in place, without the cache") {
  auto dir = *util::TempDir::create();
  test::write_text(dir.path() / "local" / "noarch" / "repodata.json", repodata("noarch", "mine"));
  auto local = condaindex::parse_channel((dir.path() / "local").string());
  REQUIRE(local);
  auto c = client();
  auto r = c.fetch_repodata(*local, {"linux-64", "noarch"});
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(!(*r)[0].found);
  CHECK((*r)[1].repodata.packages.at(0).url == local->front().url + "/noarch/mine-1.0-0.conda");
  CHECK(server.http->log.empty());
  auto none = condaindex::parse_channel((dir.path() / "absent").string());
  REQUIRE(none);
  auto missing = c.fetch_repodata(*none, {"linux-64", "noarch"});
  REQUIRE(!missing);
  CHECK(missing.error().kind == util::ErrorKind::not_found);
}

TEST_CASE_FIXTURE(Fixture, "repodata: without a cache folder nothing is kept") {
  server.put("/forge/noarch/repodata.json.zst", zstd(repodata("noarch", "tzdata")));
  ClientOptions o;
  o.clock = &clock;
  ChannelClient c(server.http, o);
  REQUIRE(c.fetch_repodata({channel("forge")}, {"noarch"}));
  REQUIRE(c.fetch_repodata({channel("forge")}, {"noarch"}));
  CHECK(c.stats().not_modified == 0);
  CHECK(server.count("repodata.json.zst") == 2);
}

TEST_CASE_FIXTURE(Fixture, "packages: verified downloads into the blob store") {
  const std::string content = "a conda package";
  const auto sha = util::Digest::sha256_of(content).hex();
  server.put("/t/sekrit-tok/forge/linux-64/a-1-0.conda", content);
  auto forge = channel("https://conda.example/t/sekrit-tok/forge");
  auto url = forge.with_credentials("https://conda.example/forge/linux-64/a-1-0.conda");
  auto c = client();

  SUBCASE("by sha256, once") {
    auto path = c.download_package({url, sha, "", content.size()});
    REQUIRE_MESSAGE(path, (path ? "" : path.error().message));
    CHECK(*path == cache.path() / "blobs" / "sha256" / sha);
    CHECK(*util::read_file(*path) == content);
    REQUIRE(c.download_package({url, sha, "", content.size()}));
    CHECK(c.stats().cache_hits == 1);
    CHECK(server.count("a-1-0.conda") == 1);
  }
  SUBCASE("a wrong sha256 leaves nothing behind") {
    auto wrong = std::string(64, 'a');
    auto r = c.download_package({url, wrong, "", 0});
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::integrity);
    CHECK(r.error().message.find("a-1-0.conda") != std::string::npos);
    CHECK(!std::filesystem::exists(cache.path() / "blobs" / "sha256" / wrong));
  }
  SUBCASE("by md5 alone, named by sha256") {
    util::Md5Writer md5;
    REQUIRE(md5.write(util::as_bytes(content)));
    auto path = c.download_package({url, "", md5.finish_hex(), 0});
    REQUIRE_MESSAGE(path, (path ? "" : path.error().message));
    CHECK(path->filename() == sha);
    auto bad = c.download_package({url, "", std::string(32, '0'), 0});
    REQUIRE(!bad);
    CHECK(bad.error().kind == util::ErrorKind::integrity);
    CHECK(bad.error().message.find("md5") != std::string::npos);
  }
  SUBCASE("a wrong size") {
    util::Md5Writer md5;
    REQUIRE(md5.write(util::as_bytes(content)));
    auto r = c.download_package({url, "", md5.finish_hex(), content.size() - 1});
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::integrity);
  }
  SUBCASE("missing, without the token in the message") {
    auto r =
        c.download_package({forge.with_credentials("https://conda.example/forge/linux-64/b-1-0.conda"), sha, "", 0});
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::http);
    CHECK_MESSAGE(r.error().message.find("sekrit") == std::string::npos, r.error().message);
    CHECK(r.error().message.find("404") != std::string::npos);
  }
  SUBCASE("nothing to check against") {
    auto r = c.download_package({url, "", "", 0});
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
  }
}
