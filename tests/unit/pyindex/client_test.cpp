#include <doctest/doctest.h>

#include "corpora.hpp"
#include "fake_index.hpp"
#include "pyindex/index.hpp"
#include "skip.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
#include "util/url.hpp"
#include "wheel_builder.hpp"

using namespace mlpack;
using pyindex::IndexClient;
using pyindex::IndexOptions;
using test::FakeIndex;

namespace {

const std::string metadata_text =
    "Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 1.0\nRequires-Python: >=3.8\n"
    "Requires-Dist: requests (>=2)\nRequires-Dist: rich ; extra == 'cli'\nProvides-Extra: cli\n\nLong description\n";

struct Fixture {
  util::TempDir tmp = *util::TempDir::create();
  test::FakeClock clock;
  FakeIndex server;
  IndexOptions options() {
    IndexOptions o;
    o.index_urls = {"https://pypi.test/simple"};
    o.cache_dir = tmp.path() / "cache";
    o.netrc = tmp.path() / "no-netrc";
    o.clock = &clock;
    return o;
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "project files from an HTML page, metadata through range requests, a verified download") {
  auto wheel = test::make_wheel("demo_pkg-1.0", metadata_text);
  auto sha = util::Digest::sha256_of(wheel).hex();
  server.page("/simple/demo-pkg/",
              "<html><body><a href=\"../../files/demo_pkg-1.0-py3-none-any.whl#sha256=" + sha +
                  "\" data-requires-python=\"&gt;=3.8\">demo_pkg-1.0-py3-none-any.whl</a></body></html>");
  server.file("/files/demo_pkg-1.0-py3-none-any.whl", wheel);
  IndexClient client(server.http, options());

  auto files = client.project_files("Demo.Pkg");
  REQUIRE(files);
  REQUIRE(files->size() == 1);
  const auto& f = files->front();
  CHECK(f.filename == "demo_pkg-1.0-py3-none-any.whl");
  CHECK(f.url == "https://pypi.test/files/demo_pkg-1.0-py3-none-any.whl");
  CHECK(f.hashes.at("sha256") == sha);
  CHECK(f.requires_python == ">=3.8");
  CHECK(f.index == "https://pypi.test/simple/");
  CHECK(server.http->log.front().headers.get("Accept")->starts_with("application/vnd.pypi.simple.v1+json"));

  auto meta = client.metadata(f);
  REQUIRE_MESSAGE(meta, meta.error().message);
  CHECK(meta->name == "Demo_Pkg");
  CHECK(meta->requires_dist.size() == 2);
  // The tail, maybe the directory, then the member: never the whole 200 kB wheel.
  CHECK(client.stats().range_requests == 1);  // dist-info is last: the 64 KiB tail has it all
  CHECK(client.stats().full_downloads == 0);
  for (const auto& s : server.http->log) CHECK((s.path() != "/files/demo_pkg-1.0-py3-none-any.whl" || s.headers.has("Range")));

  // Memoised.
  auto before = server.http->log.size();
  CHECK(client.project_files("demo_pkg"));
  CHECK(client.metadata(f));
  CHECK(server.http->log.size() == before);

  auto path = client.download(f);
  REQUIRE_MESSAGE(path, path.error().message);
  CHECK(*path == options().cache_dir / "blobs" / "sha256" / sha);
  CHECK(*util::read_file(*path) == wheel);
  // A second download is a cache hit.
  before = server.http->log.size();
  CHECK(client.download(f));
  CHECK(server.http->log.size() == before);
}

TEST_CASE_FIXTURE(Fixture, "a JSON page when the index offers one; yanked and requires-python carried") {
  server.page("/simple/a/",
              R"({"meta":{"api-version":"1.1"},"name":"a","files":[
                  {"filename":"a-1.0.tar.gz","url":"https://f.test/a-1.0.tar.gz","hashes":{"sha256":"00"},
                   "requires-python":">=3.7","yanked":"bad build"}]})",
              "application/vnd.pypi.simple.v1+json");
  IndexClient client(server.http, options());
  auto files = client.project_files("A");
  REQUIRE(files);
  REQUIRE(files->size() == 1);
  CHECK(files->at(0).yanked == "bad build");
  CHECK(files->at(0).requires_python == ">=3.7");
}

TEST_CASE_FIXTURE(Fixture, "PEP 658 metadata files, checked against their hash") {
  auto good = util::Digest::sha256_of(metadata_text).hex();
  server.page("/simple/demo-pkg/",
              "<a href=\"/f/demo_pkg-1.0-py3-none-any.whl\" data-core-metadata=\"sha256=" + good + "\">w</a>"
              "<a href=\"/f/demo_pkg-1.1-py3-none-any.whl\" data-dist-info-metadata=\"sha256=" + std::string(64, '0') + "\">w</a>"
              "<a href=\"/f/demo-pkg-1.2.tar.gz\" data-core-metadata=\"true\">s</a>"
              "<a href=\"/f/demo-pkg-1.3.tar.gz\">s</a>");
  server.file("/f/demo_pkg-1.0-py3-none-any.whl.metadata", metadata_text);
  server.file("/f/demo_pkg-1.1-py3-none-any.whl.metadata", metadata_text);
  server.file("/f/demo-pkg-1.2.tar.gz.metadata", metadata_text);
  IndexClient client(server.http, options());
  auto files = *client.project_files("demo-pkg");
  REQUIRE(files.size() == 4);

  auto m = client.metadata(files[0]);
  REQUIRE_MESSAGE(m, m.error().message);
  CHECK(m->version == "1.0");
  CHECK(server.http->count("GET", ".whl.metadata") == 1);
  CHECK(server.http->count("GET", "1.0-py3-none-any.whl") == 1);  // only the .metadata

  auto bad = client.metadata(files[1]);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::integrity);
  CHECK(bad.error().message.find("demo_pkg-1.1-py3-none-any.whl") != std::string::npos);

  CHECK(client.metadata(files[2]));  // an sdist with .metadata
  auto sdist = client.metadata(files[3]);
  REQUIRE_FALSE(sdist);
  CHECK(sdist.error().kind == util::ErrorKind::unsupported);
}

TEST_CASE_FIXTURE(Fixture, "404 is an empty list; other statuses and unreachable indexes are errors naming the index") {
  IndexClient client(server.http, options());
  auto none = client.project_files("nothing");
  REQUIRE(none);
  CHECK(none->empty());

  server.resources["/simple/broken/"] = {"", "text/html", std::nullopt, 500};
  auto broken = client.project_files("broken");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().kind == util::ErrorKind::http);
  CHECK(broken.error().message.find("https://pypi.test/simple/") != std::string::npos);
  CHECK(broken.error().message.find("500") != std::string::npos);
  CHECK(clock.sleeps.size() == 4);  // retried, without sleeping for real

  server.down = true;
  auto o = options();
  o.index_urls = {"https://user:hunter2@pypi.test/simple/"};
  IndexClient down(server.http, o);
  auto err = down.project_files("x");
  REQUIRE_FALSE(err);
  CHECK(err.error().kind == util::ErrorKind::network);
  CHECK(err.error().message.find("pypi.test/simple/") != std::string::npos);
  CHECK(err.error().message.find("hunter2") == std::string::npos);

  // Errors are memoised like answers (prefetch keeps them for the later call).
  down.prefetch_projects({"y", "y"});
  auto before = server.http->log.size();
  CHECK_FALSE(down.project_files("Y"));
  CHECK(server.http->log.size() == before);
}

TEST_CASE_FIXTURE(Fixture, "credentials from the URL or netrc go in a header, never in a URL or message") {
  util::write_file_atomic(tmp.path() / "netrc", "machine netrc.test login nina password n3t\n");
  server.required_auth = "Basic " + std::string("dXNlcjpodW50ZXIy");  // user:hunter2
  server.page("/simple/a/", "<a href=\"/f/a-1.0.tar.gz\">a</a>");
  auto o = options();
  o.index_urls = {"https://user:hunter2@pypi.test/simple/"};
  o.netrc = tmp.path() / "netrc";
  IndexClient client(server.http, o);
  auto files = client.project_files("a");
  REQUIRE_MESSAGE(files, files.error().message);
  CHECK(files->at(0).url == "https://pypi.test/f/a-1.0.tar.gz");
  CHECK(files->at(0).index == "https://pypi.test/simple/");
  for (const auto& s : server.http->log) CHECK(s.url.find("hunter2") == std::string::npos);

  // Same host, a file link: the index's credentials apply.
  server.file("/f/a-1.0.tar.gz", "bytes");
  CHECK(client.download(files->at(0)));

  server.required_auth = "Basic bmluYTpuM3Q=";  // nina:n3t
  o.index_urls = {"https://netrc.test/simple/"};
  IndexClient via_netrc(server.http, o);
  CHECK(via_netrc.project_files("a"));
  server.required_auth = "Basic wrong";
  IndexClient refused(server.http, o);
  auto denied = refused.project_files("b");
  REQUIRE_FALSE(denied);
  CHECK(denied.error().message.find("401") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "pages are cached on disk and revalidated with ETag") {
  server.page("/simple/a/", "<a href=\"/f/a-1.0.tar.gz\">a</a>");
  server.resources["/simple/a/"].etag = "\"v1\"";
  {
    IndexClient client(server.http, options());
    CHECK(client.project_files("a")->size() == 1);
    CHECK(client.stats().cache_hits == 0);
  }
  IndexClient again(server.http, options());
  auto files = again.project_files("a");
  REQUIRE(files);
  CHECK(files->size() == 1);
  CHECK(server.http->log.back().headers.get("If-None-Match") == "\"v1\"");
  CHECK(again.stats().cache_hits == 1);

  // A changed page is fetched anew.
  server.page("/simple/a/", "<a href=\"/f/a-1.0.tar.gz\">a</a><a href=\"/f/a-2.0.tar.gz\">a</a>");
  server.resources["/simple/a/"].etag = "\"v2\"";
  IndexClient third(server.http, options());
  CHECK(third.project_files("a")->size() == 2);
}

TEST_CASE_FIXTURE(Fixture, "first-index by default; best-match merges every index") {
  server.page("/internal/a/", "<a href=\"/f/a-1.0.tar.gz\">a</a>");
  server.page("/simple/a/", "<a href=\"/f/a-9.0.tar.gz\">a</a>");
  server.page("/simple/b/", "<a href=\"/f/b-1.0.tar.gz\">b</a>");
  auto o = options();
  o.index_urls = {"https://pypi.test/internal/", "https://pypi.test/simple/"};
  IndexClient first(server.http, o);
  auto a = *first.project_files("a");
  REQUIRE(a.size() == 1);
  CHECK(a[0].filename == "a-1.0.tar.gz");
  CHECK(first.project_files("b")->size() == 1);  // not on the first index: the next one answers

  o.strategy = pyindex::IndexStrategy::best_match;
  IndexClient best(server.http, o);
  auto all = *best.project_files("a");
  REQUIRE(all.size() == 2);
  CHECK(all[1].index == "https://pypi.test/simple/");
}

TEST_CASE_FIXTURE(Fixture, "find-links directories and file:// wheels") {
  auto links = tmp.path() / "wheels dir";
  util::make_dirs(links);
  auto wheel = test::make_wheel("demo_pkg-1.0", metadata_text, {}, 1000);
  util::write_file_atomic(links / "demo_pkg-1.0-py3-none-any.whl", wheel);
  util::write_file_atomic(links / "demo-pkg-0.9.tar.gz", "sdist");
  util::write_file_atomic(links / "other-1.0.tar.gz", "other");
  util::write_file_atomic(links / "notes.txt", "not a dist");
  auto o = options();
  o.no_index = true;
  o.find_links = {links.string()};
  IndexClient client(server.http, o);
  auto files = client.project_files("Demo-Pkg");
  REQUIRE_MESSAGE(files, files.error().message);
  REQUIRE(files->size() == 2);
  CHECK(files->at(0).filename == "demo-pkg-0.9.tar.gz");
  CHECK(files->at(1).url == util::path_to_file_url(links / "demo_pkg-1.0-py3-none-any.whl"));
  CHECK(files->at(1).url.find("wheels%20dir") != std::string::npos);
  auto meta = client.metadata(files->at(1));
  REQUIRE_MESSAGE(meta, meta.error().message);
  CHECK(meta->version == "1.0");
  auto path = client.download(files->at(1));
  REQUIRE_MESSAGE(path, path.error().message);
  CHECK(path->filename() == util::Digest::sha256_of(wheel).hex());
  CHECK(server.http->log.empty());

  // A wrong expected digest is an integrity error naming the file.
  auto bad = client.download(files->at(0), std::string(64, 'a'));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::integrity);
  CHECK(bad.error().message.find("demo-pkg-0.9.tar.gz") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "a find-links page over HTTP") {
  server.page("/links/", "<a href=\"demo_pkg-1.0-py3-none-any.whl\">x</a><a href=\"zzz-1.0.tar.gz\">z</a>");
  auto o = options();
  o.index_urls = {};
  o.no_index = true;
  o.find_links = {"https://pypi.test/links/"};
  IndexClient client(server.http, o);
  auto files = client.project_files("demo-pkg");
  REQUIRE(files);
  REQUIRE(files->size() == 1);
  CHECK(files->at(0).url == "https://pypi.test/links/demo_pkg-1.0-py3-none-any.whl");
  CHECK(client.project_files("zzz")->size() == 1);
  CHECK(server.http->count("GET", "/links/") == 1);  // one fetch serves every project
}

TEST_CASE_FIXTURE(Fixture, "a file:// index (pip's `in dex` fixture, with a space)") {
  auto dir = test::corpus_dir("pip_test_data");
  if (!dir) {
    MLPACK_SKIP("corpus pip_test_data not found");
    return;
  }
  auto o = options();
  o.index_urls = {util::path_to_file_url(*dir / "indexes" / "in dex") + "/"};
  IndexClient client(server.http, o);
  auto files = client.project_files("simple");
  REQUIRE_MESSAGE(files, files.error().message);
  REQUIRE(files->size() == 1);
  CHECK(files->at(0).url == util::path_to_file_url(*dir / "packages" / "simple-1.0.tar.gz"));
  CHECK(files->at(0).hashes.at("md5") == "4bdf78ebb7911f215c1972cf71b378f0");
  CHECK(client.project_files("absent")->empty());
  auto path = client.download(files->at(0));
  REQUIRE_MESSAGE(path, path.error().message);
  CHECK(server.http->log.empty());
}

TEST_CASE_FIXTURE(Fixture, "prefetch warms the memo from several threads") {
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) {
    names.push_back("p" + std::to_string(i));
    server.page("/simple/p" + std::to_string(i) + "/", "<a href=\"/f/p" + std::to_string(i) + "-1.0.tar.gz\">x</a>");
  }
  auto o = options();
  o.max_parallel = 4;
  IndexClient client(server.http, o);
  names.push_back("P1");  // the same project twice
  client.prefetch_projects(names);
  CHECK(server.http->log.size() == 20);
  for (int i = 0; i < 20; ++i) CHECK(client.project_files("p" + std::to_string(i))->size() == 1);
  CHECK(server.http->log.size() == 20);
}
