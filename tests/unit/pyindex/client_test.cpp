#include <doctest/doctest.h>

#include "fake_index.hpp"
#include "pyindex/index.hpp"
#include "pyindex/url.hpp"
#include "util/digest.hpp"
#include "util/fs.hpp"
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
