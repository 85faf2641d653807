// cranindex::Client against a fake HTTP server (net/fakes.hpp): indexes, the .gz fallback,
// revalidation, credentials, Archive listings and verified downloads.
#include "cranindex/client.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "net/base64.hpp"
#include "net/fakes.hpp"
#include "test_archives.hpp"
#include "test_files.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using cranindex::Client;
using cranindex::ClientOptions;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kUserAgent = "R (4.2.2 x86_64-pc-linux-gnu x86_64 linux-gnu)";

std::string gzip(const std::string& data) {
  return test::zlib_deflate(data, 6, 15 + 16);
}

const std::string kPackages =
    "Package: R6\nVersion: 2.5.1\nDepends: R (>= 3.0)\nSuggests: testthat, pryr\nLicense: MIT + file LICENSE\n"
    "MD5sum: 1fb6611a78e6193e5c3c4555db6f347c\nNeedsCompilation: no\n\n"
    "Package: jsonlite\nVersion: 1.8.4\nDepends: methods\nSuggests: httr, vctrs, testthat, knitr,\n"
    "        rmarkdown, R.rsp, sf\nLicense: MIT + file LICENSE\nMD5sum: e78db8bdbc9a72e0e247d430eb66dc5f\n"
    "NeedsCompilation: yes\n\n";

// A repository server: files by path, each with an ETag; 304 on a matching If-None-Match.
struct FakeRepo {
  std::shared_ptr<test::FakeHttp> http = std::make_shared<test::FakeHttp>();
  struct File {
    std::string body;
    std::string etag;
    int status = 200;
  };
  std::map<std::string, File> files;
  std::optional<std::string> required_auth;

  FakeRepo() {
    http->handler = [this](const test::Seen& s) -> util::Result<net::Response> {
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
  // GETs of exactly `path`.
  std::size_t gets(std::string_view path) const {
    std::size_t n = 0;
    for (const auto& s : http->log) n += s.method == "GET" && s.path() == path;
    return n;
  }
};

struct Fixture {
  FakeRepo repo;
  util::TempDir cache = *util::TempDir::create();
  test::FakeClock clock;

  ClientOptions options() {
    ClientOptions o;
    o.cache_dir = cache.path();
    o.user_agent = std::string(kUserAgent);
    o.clock = &clock;
    o.retry.max_attempts = 1;
    return o;
  }
  Client client() { return Client(repo.http, options()); }
  std::size_t blobs() const {
    std::size_t n = 0;
    std::error_code ec;
    for (auto& e : fs::directory_iterator(cache.path() / "blobs" / "sha256", ec)) n += e.is_regular_file();
    return n;
  }
};

std::string md5_of(std::string_view data) {
  util::Md5Writer w;
  REQUIRE(w.write(util::as_bytes(data)));
  return w.finish_hex();
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "index: PACKAGES.gz first, inflated and parsed; R's User-Agent on the request") {
  repo.put("/cran/src/contrib/PACKAGES.gz", gzip(kPackages));
  repo.put("/cran/src/contrib/PACKAGES", "must not be fetched");
  auto c = client();
  std::vector<std::string> urls = {"https://cran.example/cran/"};
  auto r = c.fetch_indexes(urls);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].url == "https://cran.example/cran");
  REQUIRE((*r)[0].packages.size() == 2);
  CHECK((*r)[0].packages[0].name == "R6");
  CHECK((*r)[0].packages[1].name == "jsonlite");
  CHECK((*r)[0].packages[1].md5sum == "e78db8bdbc9a72e0e247d430eb66dc5f");
  CHECK(repo.gets("/cran/src/contrib/PACKAGES") == 0);
  REQUIRE(repo.http->log.size() == 1);
  CHECK(repo.http->log[0].headers.get("User-Agent") == std::string(kUserAgent));
  CHECK(c.stats().gz_fallbacks == 0);
}

TEST_CASE_FIXTURE(Fixture, "index: a missing PACKAGES.gz falls back to PACKAGES") {
  repo.put("/src/contrib/PACKAGES", kPackages);
  auto c = client();
  std::vector<std::string> urls = {"https://cran.example"};
  auto r = c.fetch_indexes(urls);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK((*r)[0].packages.size() == 2);
  CHECK(repo.gets("/src/contrib/PACKAGES.gz") == 1);
  CHECK(repo.gets("/src/contrib/PACKAGES") == 1);
  CHECK(c.stats().gz_fallbacks == 1);
  for (const auto& s : repo.http->log) CHECK(s.headers.get("User-Agent") == std::string(kUserAgent));
}

TEST_CASE_FIXTURE(Fixture, "index: a repository with neither file is not_found naming it, without its password") {
  std::vector<std::string> urls = {"https://alice:s3cret-pw@cran.example/repo"};
  auto r = client().fetch_indexes(urls);
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::not_found);
  CHECK(r.error().message.find("https://cran.example/repo") != std::string::npos);
  CHECK(r.error().message.find("s3cret-pw") == std::string::npos);
  CHECK(r.error().message.find("alice") == std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "index: credentials go as Basic authentication, never into the record's URL") {
  repo.put("/repo/src/contrib/PACKAGES.gz", gzip(kPackages));
  repo.required_auth = net::basic_authorization("alice", "s3cret-pw");
  std::vector<std::string> urls = {"https://alice:s3cret-pw@cran.example/repo"};
  auto r = client().fetch_indexes(urls);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK((*r)[0].url == "https://cran.example/repo");
  CHECK(repo.http->log[0].url.find("s3cret") == std::string::npos);

  repo.required_auth = "Basic nope";
  auto c = Client(repo.http, [&] {
    auto o = options();
    o.cache_dir = cache.path() / "other";
    return o;
  }());
  auto refused = c.fetch_indexes(urls);
  REQUIRE(!refused);
  CHECK(refused.error().kind == util::ErrorKind::http);
  CHECK(refused.error().message.find("401") != std::string::npos);
  CHECK(refused.error().message.find("s3cret-pw") == std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "index: cached on disk and revalidated with the ETag (304 keeps the cached records)") {
  repo.put("/src/contrib/PACKAGES.gz", gzip(kPackages), "\"abc\"");
  std::vector<std::string> urls = {"https://cran.example"};
  {
    auto r = client().fetch_indexes(urls);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  }
  auto c = client();
  auto r = c.fetch_indexes(urls);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK((*r)[0].packages.size() == 2);
  CHECK(c.stats().not_modified == 1);
  CHECK(repo.http->log.back().headers.get("If-None-Match") == "\"abc\"");

  // A changed index is fetched again and replaces the cached one.
  repo.put("/src/contrib/PACKAGES.gz", gzip("Package: cli\nVersion: 3.6.0\n\n"), "\"def\"");
  auto changed = client().fetch_indexes(urls);
  REQUIRE(changed);
  REQUIRE((*changed)[0].packages.size() == 1);
  CHECK((*changed)[0].packages[0].name == "cli");
}

TEST_CASE_FIXTURE(Fixture, "index: state.json keeps the keys earlier versions wrote, so old caches revalidate") {
  repo.put("/src/contrib/PACKAGES.gz", gzip(kPackages), "\"abc\"");
  std::vector<std::string> urls = {"https://user:pw@cran.example/"};
  REQUIRE(client().fetch_indexes(urls));
  std::vector<fs::path> states;
  for (const auto& e : fs::recursive_directory_iterator(cache.path() / "cran-index-v1"))
    if (e.path().filename() == "state.json") states.push_back(e.path());
  REQUIRE(states.size() == 1);
  CHECK(fs::is_regular_file(states[0].parent_path() / "PACKAGES"));
  auto j = nlohmann::json::parse(*util::read_file(states[0]));
  CHECK(j == nlohmann::json{{"url", "https://cran.example/src/contrib/PACKAGES.gz"}, {"variant", "gz"}, {"etag", "\"abc\""}});
  // As an earlier version wrote it, with a Last-Modified too: both validators go out.
  j["last_modified"] = "Tue, 01 Dec 2026 10:00:00 GMT";
  REQUIRE(util::write_file_atomic(states[0], j.dump() + "\n"));
  auto c = client();
  auto r = c.fetch_indexes(urls);
  REQUIRE(r);
  CHECK((*r)[0].packages.size() == 2);
  CHECK(c.stats().not_modified == 1);
  CHECK(repo.http->log.back().headers.get("If-None-Match") == "\"abc\"");
  CHECK(repo.http->log.back().headers.get("If-Modified-Since") == "Tue, 01 Dec 2026 10:00:00 GMT");
}

TEST_CASE_FIXTURE(Fixture, "index: the cache is kept apart by User-Agent (Posit Package Manager answers by it)") {
  repo.put("/src/contrib/PACKAGES.gz", gzip(kPackages), "\"abc\"");
  std::vector<std::string> urls = {"https://cran.example"};
  REQUIRE(client().fetch_indexes(urls));
  auto o = options();
  o.user_agent = "curl/8";
  auto r = Client(repo.http, o).fetch_indexes(urls);
  REQUIRE(r);
  CHECK(!repo.http->log.back().headers.has("If-None-Match"));
  CHECK(repo.http->log.back().headers.get("User-Agent") == "curl/8");
}

TEST_CASE_FIXTURE(Fixture, "index: several repositories in the order given; a failing one fails the call") {
  repo.put("/a/src/contrib/PACKAGES.gz", gzip("Package: cli\nVersion: 3.6.0\n\n"));
  repo.put("/b/src/contrib/PACKAGES", kPackages);
  std::vector<std::string> urls = {"https://cran.example/b", "https://cran.example/a"};
  auto r = client().fetch_indexes(urls);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK((*r)[0].url == "https://cran.example/b");
  CHECK((*r)[0].packages.size() == 2);
  CHECK((*r)[1].packages.at(0).name == "cli");

  urls.push_back("https://cran.example/c");
  auto failed = client().fetch_indexes(urls);
  REQUIRE(!failed);
  CHECK(failed.error().message.find("https://cran.example/c") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "index: a server error is http; an index that does not parse is invalid_input naming it") {
  repo.files["/src/contrib/PACKAGES.gz"] = {"", "", 500};
  std::vector<std::string> urls = {"https://cran.example"};
  auto r = client().fetch_indexes(urls);
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::http);
  CHECK(r.error().message.find("500") != std::string::npos);

  repo.put("/src/contrib/PACKAGES.gz", gzip("Version: 1.0\n\n"));
  auto bad = client().fetch_indexes(urls);
  REQUIRE(!bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
  CHECK(bad.error().message.find("https://cran.example/src/contrib/PACKAGES.gz") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "index: a .gz that inflates past the limit is refused") {
  std::string big(4 << 20, '\n');  // 4 MiB of blank lines: a few KB compressed
  repo.put("/src/contrib/PACKAGES.gz", gzip(big));
  auto o = options();
  o.max_index_bytes = 1 << 20;
  std::vector<std::string> urls = {"https://cran.example"};
  auto r = Client(repo.http, o).fetch_indexes(urls);
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::integrity);
  CHECK(r.error().message.find("PACKAGES.gz") != std::string::npos);
}

TEST_CASE("index: a file:// repository is read in place, .gz or plain; an empty folder is not_found") {
  auto dir = *util::TempDir::create();
  test::write_text(dir.path() / "plain/src/contrib/PACKAGES", kPackages);
  test::write_text(dir.path() / "gz/src/contrib/PACKAGES.gz", gzip("Package: cli\nVersion: 3.6.0\n\n"));
  fs::create_directories(dir.path() / "empty");
  ClientOptions o;  // no cache, no HTTP client: neither is needed
  Client c(nullptr, o);
  std::vector<std::string> urls = {util::path_to_file_url(dir.path() / "plain"),
                                   util::path_to_file_url(dir.path() / "gz")};
  auto r = c.fetch_indexes(urls);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK((*r)[0].packages.size() == 2);
  CHECK((*r)[1].packages.at(0).name == "cli");
  std::vector<std::string> empty = {util::path_to_file_url(dir.path() / "empty")};
  auto missing = c.fetch_indexes(empty);
  REQUIRE(!missing);
  CHECK(missing.error().kind == util::ErrorKind::not_found);
}

TEST_CASE_FIXTURE(Fixture, "archived versions: from the listing, in version order; none for a 404; names checked") {
  repo.put("/src/contrib/Archive/jsonlite/",
           "<html><body><a href=\"jsonlite_1.10.0.tar.gz\">jsonlite_1.10.0.tar.gz</a>\n"
           "<a href=\"jsonlite_1.8.0.tar.gz\">jsonlite_1.8.0.tar.gz</a>\n<a href=\"../\">Parent</a></body></html>");
  auto c = client();
  auto r = c.archived_versions("https://cran.example/", "jsonlite");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(*r == std::vector<std::string>{"1.8.0", "1.10.0"});
  CHECK(repo.http->log.back().headers.get("User-Agent") == std::string(kUserAgent));

  auto none = c.archived_versions("https://cran.example", "cli");
  REQUIRE(none);
  CHECK(none->empty());

  auto bad = c.archived_versions("https://cran.example", "../etc");
  REQUIRE(!bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);

  repo.files["/src/contrib/Archive/glue/"] = {"", "", 503};
  auto failed = c.archived_versions("https://cran.example", "glue");
  REQUIRE(!failed);
  CHECK(failed.error().kind == util::ErrorKind::http);
}

TEST_CASE("archived versions: a file:// repository's folder") {
  auto dir = *util::TempDir::create();
  test::write_text(dir.path() / "src/contrib/Archive/R6/R6_2.4.0.tar.gz", "x");
  test::write_text(dir.path() / "src/contrib/Archive/R6/R6_2.10.tar.gz", "x");
  test::write_text(dir.path() / "src/contrib/Archive/R6/notes.txt", "x");
  Client c(nullptr, ClientOptions{});
  auto r = c.archived_versions(util::path_to_file_url(dir.path()), "R6");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(*r == std::vector<std::string>{"2.4.0", "2.10"});
  auto none = c.archived_versions(util::path_to_file_url(dir.path()), "cli");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE_FIXTURE(Fixture, "download: sha256 and md5 checked, the blob named by its sha256, a second time no request") {
  const std::string tarball = "pretend this is R6_2.5.1.tar.gz";
  const auto sha = util::Digest::sha256_of(tarball).hex();
  repo.put("/src/contrib/R6_2.5.1.tar.gz", tarball);
  auto c = client();
  auto r = c.download("https://cran.example/src/contrib/R6_2.5.1.tar.gz", sha, md5_of(tarball));
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(r->sha256 == sha);
  CHECK(r->size == tarball.size());
  CHECK(r->path == cache.path() / "blobs" / "sha256" / sha);
  CHECK(*util::read_file(r->path) == tarball);
  CHECK(repo.http->log.back().headers.get("User-Agent") == std::string(kUserAgent));

  auto again = c.download("https://cran.example/src/contrib/R6_2.5.1.tar.gz", sha, std::nullopt);
  REQUIRE(again);
  CHECK(again->size == tarball.size());
  CHECK(c.stats().cache_hits == 1);
  CHECK(repo.gets("/src/contrib/R6_2.5.1.tar.gz") == 1);

  // With the md5 alone (as PACKAGES gives it), the sha256 is learnt.
  auto by_md5 = client().download("https://cran.example/src/contrib/R6_2.5.1.tar.gz", std::nullopt, md5_of(tarball));
  REQUIRE(by_md5);
  CHECK(by_md5->sha256 == sha);
}

TEST_CASE_FIXTURE(Fixture, "download: a wrong md5 or sha256 is integrity naming the URL, and no blob is left") {
  const std::string tarball = "pretend this is xml2_1.3.3.tar.gz";
  repo.put("/src/contrib/xml2_1.3.3.tar.gz", tarball);
  auto c = client();
  const auto url = std::string("https://bob:pw-1234@cran.example/src/contrib/xml2_1.3.3.tar.gz");
  auto md5 = c.download(url, std::nullopt, md5_of("something else"));
  REQUIRE(!md5);
  CHECK(md5.error().kind == util::ErrorKind::integrity);
  CHECK(md5.error().message.find("https://cran.example/src/contrib/xml2_1.3.3.tar.gz") != std::string::npos);
  CHECK(md5.error().message.find("md5") != std::string::npos);
  CHECK(md5.error().message.find("pw-1234") == std::string::npos);
  CHECK(blobs() == 0);

  auto sha = c.download(url, util::Digest::sha256_of("something else").hex(), md5_of(tarball));
  REQUIRE(!sha);
  CHECK(sha.error().kind == util::ErrorKind::integrity);
  CHECK(sha.error().message.find("sha256") != std::string::npos);
  CHECK(blobs() == 0);

  auto not_hex = c.download(url, std::string("xyz"), std::nullopt);
  REQUIRE(!not_hex);
  CHECK(not_hex.error().kind == util::ErrorKind::invalid_input);
}

TEST_CASE_FIXTURE(Fixture, "download: bounded in size; a 404 is http; no cache is refused") {
  repo.put("/big.tar.gz", std::string(10000, 'x'));
  auto o = options();
  o.max_package_bytes = 1000;
  auto r = Client(repo.http, o).download("https://cran.example/big.tar.gz", std::nullopt, std::nullopt);
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::integrity);
  CHECK(r.error().message.find("https://cran.example/big.tar.gz") != std::string::npos);
  CHECK(blobs() == 0);

  auto missing = client().download("https://cran.example/gone.tar.gz", std::nullopt, std::nullopt);
  REQUIRE(!missing);
  CHECK(missing.error().kind == util::ErrorKind::http);
  CHECK(missing.error().message.find("404") != std::string::npos);

  auto no_cache =
      Client(repo.http, ClientOptions{}).download("https://cran.example/big.tar.gz", std::nullopt, std::nullopt);
  REQUIRE(!no_cache);
  CHECK(no_cache.error().kind == util::ErrorKind::invalid_input);
}

TEST_CASE_FIXTURE(Fixture, "download: a file:// URL is copied and checked") {
  auto dir = *util::TempDir::create();
  test::write_text(dir.path() / "x_1.0.tar.gz", "local package");
  auto url = util::path_to_file_url(dir.path() / "x_1.0.tar.gz");
  auto r = client().download(url, std::nullopt, md5_of("local package"));
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(*util::read_file(r->path) == "local package");
  auto bad = client().download(url, std::nullopt, md5_of("other"));
  REQUIRE(!bad);
  CHECK(bad.error().kind == util::ErrorKind::integrity);
}
