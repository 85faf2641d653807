// cranindex::Client over libcurl against tests/fixtures/cran_repo.py: a CRAN-like repository of
// Debian bookworm's R packages repacked as R binary packages, served on loopback. Skipped (with a
// message) where the .debs cannot be had.
#include "cranindex/fixture.hpp"

#include <doctest/doctest.h>

#include <string>

#include "cran/repository.hpp"
#include "cranindex/client.hpp"
#include "net/curl_client.hpp"
#include "net/fakes.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using cranindex::Client;
using cranindex::ClientOptions;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kUserAgent = "R (4.2.2 x86_64-pc-linux-gnu x86_64 linux-gnu)";

struct Setup {
  util::TempDir cache = *util::TempDir::create({}, "mlpack-cran-cache-");
  test::FakeClock clock;  // retries never sleep
  std::shared_ptr<net::HttpClient> http = net::make_curl_client();

  Client make(std::string user_agent = std::string(kUserAgent)) {
    ClientOptions o;
    o.cache_dir = cache.path();
    o.user_agent = std::move(user_agent);
    o.clock = &clock;
    o.retry.max_attempts = 1;
    return Client(http, o);
  }
};

std::vector<std::string> requests_for(const test::CranFixture& f, std::string_view path) {
  std::vector<std::string> out;
  for (const auto& line : f.requests())
    if (line.find(" " + std::string(path) + " ") != std::string::npos) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("fixture: the index of real R binary packages, revalidated with the ETag, with R's User-Agent") {
  auto f = test::CranFixture::start();
  if (!f) return;
  Setup s;
  std::vector<std::string> urls = {f->url()};
  {
    auto c = s.make();
    auto r = c.fetch_indexes(urls);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    REQUIRE(r->size() == 1);
    const auto& packages = (*r)[0].packages;
    CHECK(packages.size() == f->info["packages"].size());
    for (const auto& p : packages) {
      auto expected = f->package(p.name);
      CHECK(p.version.str() == expected["version"].get<std::string>());
      CHECK(p.md5sum == expected["md5"].get<std::string>());
      CHECK(p.needs_compilation == expected["compiled"].get<bool>());
    }
    CHECK(c.stats().gz_fallbacks == 0);
  }
  auto gets = requests_for(*f, "/src/contrib/PACKAGES.gz");
  REQUIRE(gets.size() == 1);
  CHECK(gets[0] == "GET /src/contrib/PACKAGES.gz 200 " + std::string(kUserAgent));

  // A second run revalidates: 304, the cached records.
  auto c = s.make();
  auto again = c.fetch_indexes(urls);
  REQUIRE_MESSAGE(again, (again ? "" : again.error().message));
  CHECK((*again)[0].packages.size() == f->info["packages"].size());
  CHECK(c.stats().not_modified == 1);
  gets = requests_for(*f, "/src/contrib/PACKAGES.gz");
  REQUIRE(gets.size() == 2);
  CHECK(gets[1].starts_with("GET /src/contrib/PACKAGES.gz 304 R ("));
}

TEST_CASE("fixture: without PACKAGES.gz, PACKAGES; without either, not_found naming the repository") {
  auto f = test::CranFixture::start({"--packages", "r-cran-r6"});
  if (!f) return;
  Setup s;
  f->set_fault("/src/contrib/PACKAGES.gz", 404);
  std::vector<std::string> urls = {f->url()};
  auto c = s.make();
  auto r = c.fetch_indexes(urls);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  REQUIRE((*r)[0].packages.size() == 1);
  CHECK((*r)[0].packages[0].name == "R6");
  CHECK(c.stats().gz_fallbacks == 1);
  CHECK(requests_for(*f, "/src/contrib/PACKAGES").size() == 1);

  f->set_fault("/src/contrib/PACKAGES", 404);
  Setup fresh;
  auto url = f->url();  // "http://127.0.0.1:PORT/"
  std::vector<std::string> with_password = {"http://u:hunter2-pw@" + url.substr(7)};
  auto missing = fresh.make().fetch_indexes(with_password);
  REQUIRE(!missing);
  CHECK(missing.error().kind == util::ErrorKind::not_found);
  CHECK(missing.error().message.find(url.substr(0, url.size() - 1)) != std::string::npos);
  CHECK(missing.error().message.find("hunter2") == std::string::npos);
}

TEST_CASE("fixture: Posit Package Manager's rule: binaries for R's User-Agent, sources for anyone else") {
  auto f = test::CranFixture::start({"--packages", "r-cran-jsonlite", "--ppm"});
  if (!f) return;
  Setup s;
  std::vector<std::string> urls = {f->url()};
  auto binary = s.make().fetch_indexes(urls);
  REQUIRE_MESSAGE(binary, (binary ? "" : binary.error().message));
  auto source = s.make("mlpack-test").fetch_indexes(urls);  // kept apart in the cache
  REQUIRE_MESSAGE(source, (source ? "" : source.error().message));
  REQUIRE((*binary)[0].packages.size() == 1);
  REQUIRE((*source)[0].packages.size() == 1);
  CHECK((*binary)[0].packages[0].md5sum == f->package("jsonlite")["md5"].get<std::string>());
  CHECK((*source)[0].packages[0].md5sum != (*binary)[0].packages[0].md5sum);
  auto lines = requests_for(*f, "/src/contrib/PACKAGES.gz");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].ends_with(std::string(kUserAgent)));
  CHECK(lines[1].ends_with(" mlpack-test"));
}

TEST_CASE("fixture: archived versions from the Apache-style listing") {
  auto f = test::CranFixture::start({"--packages", "r-cran-r6", "r-cran-jsonlite", "--archive", "jsonlite=1.7.2"});
  if (!f) return;
  Setup s;
  auto c = s.make();
  auto r = c.archived_versions(f->url(), "jsonlite");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(*r == std::vector<std::string>{"1.7.2"});
  auto none = c.archived_versions(f->url(), "R6");
  REQUIRE_MESSAGE(none, (none ? "" : none.error().message));
  CHECK(none->empty());
  auto lines = requests_for(*f, "/src/contrib/Archive/jsonlite/");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].ends_with(std::string(kUserAgent)));

  // The archived tarball downloads and checks like any other.
  const auto& old = f->info["archive"][0];
  auto d = c.download(cran::archive_url(f->url(), "jsonlite", "1.7.2"), old["sha256"].get<std::string>(),
                      old["md5"].get<std::string>());
  REQUIRE_MESSAGE(d, (d ? "" : d.error().message));
  CHECK(d->size == old["size"].get<std::uint64_t>());
}

TEST_CASE("fixture: downloads checked by sha256 and md5; a corrupted one is refused naming the URL") {
  auto f = test::CranFixture::start({"--packages", "r-cran-r6", "r-cran-xml2"});
  if (!f) return;
  Setup s;
  auto c = s.make();
  std::vector<std::string> urls = {f->url()};
  auto index = c.fetch_indexes(urls);
  REQUIRE_MESSAGE(index, (index ? "" : index.error().message));
  for (const auto& p : (*index)[0].packages) {
    auto expected = f->package(p.name);
    auto url = cran::package_url(f->url(), p);
    CHECK(url == f->url() + expected["file"].get<std::string>());
    auto d = c.download(url, std::nullopt, p.md5sum);  // what PACKAGES gives
    REQUIRE_MESSAGE(d, (d ? "" : d.error().message));
    CHECK(d->sha256 == expected["sha256"].get<std::string>());
    CHECK(d->size == expected["size"].get<std::uint64_t>());
    CHECK(util::sha256_file(d->path.string())->hex() == d->sha256);
  }

  auto xml2 = f->package("xml2");
  const auto path = "/" + xml2["file"].get<std::string>();
  f->set_fault(path, "flip");
  Setup other;  // an empty blob store
  auto oc = other.make();
  for (bool by_sha : {false, true}) {
    auto d = by_sha ? oc.download(f->url() + path.substr(1), xml2["sha256"].get<std::string>(), std::nullopt)
                    : oc.download(f->url() + path.substr(1), std::nullopt, xml2["md5"].get<std::string>());
    REQUIRE(!d);
    CHECK(d.error().kind == util::ErrorKind::integrity);
    CHECK(d.error().message.find(f->url() + path.substr(1)) != std::string::npos);
  }
  std::error_code ec;
  CHECK(fs::is_empty(other.cache.path() / "blobs" / "sha256", ec));
  for (const auto& line : requests_for(*f, path)) CHECK(line.ends_with(std::string(kUserAgent)));
}
