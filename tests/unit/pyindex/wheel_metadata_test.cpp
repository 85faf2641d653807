#include "pyindex/wheel_metadata.hpp"

#include <doctest/doctest.h>

#include "corpora.hpp"
#include "fake_index.hpp"
#include "pyindex/index.hpp"
#include "skip.hpp"
#include "wheel_builder.hpp"

using namespace mlpack;
using namespace mlpack::pyindex;

namespace {

const std::string metadata_text = "Metadata-Version: 2.1\nName: demo\nVersion: 3.0\nRequires-Dist: six\n";

// METADATA first, then a large member: the tail does not reach it, so the member takes its own
// range request.
std::string metadata_first_wheel(test::ZipOptions opt = {}) {
  std::string pad(300000, '\0');
  unsigned x = 7;
  for (auto& c : pad) c = static_cast<char>((x = x * 1103515245 + 12345) >> 16);
  std::vector<std::pair<std::string, std::string>> members = {{"demo-3.0.dist-info/METADATA", metadata_text},
                                                              {"demo/big.bin", pad}};
  // Many small members so the central directory spills past the 64 KiB tail too.
  for (int i = 0; i < 900; ++i) members.emplace_back("demo/module_with_a_long_name_" + std::to_string(i) + ".py", "x");
  return test::make_zip(members, opt);
}

SendFn sender(test::FakeIndex& server) {
  return [&server](const net::Request& r, util::Writer* sink) { return server.http->send(r, sink); };
}

net::Request get(std::string url) {
  net::Request r;
  r.url = std::move(url);
  return r;
}

}  // namespace

TEST_CASE("a wheel's METADATA from memory: deflated, stored, zip64") {
  for (auto opt : {test::ZipOptions{}, test::ZipOptions{.stored = true}, test::ZipOptions{.zip64 = true}}) {
    auto zip = test::make_wheel("demo-3.0", metadata_text, opt, 1000);
    auto src = mlpack::archive::memory_access(zip);
    auto text = read_wheel_metadata(src, "demo-3.0-py3-none-any.whl");
    REQUIRE_MESSAGE(text, text.error().message);
    CHECK(*text == metadata_text);
  }
  auto src = mlpack::archive::memory_access("this is not a zip file at all, it is text that goes on");
  auto bad = read_wheel_metadata(src, "x-1-py3-none-any.whl");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == util::ErrorKind::integrity);  // archive::ZipReader: not a zip file
  auto no_meta = mlpack::archive::memory_access(test::make_zip({{"x/__init__.py", ""}}));
  CHECK(read_wheel_metadata(no_meta, "x-1-py3-none-any.whl").error().message.find("METADATA") != std::string::npos);
  // A nested METADATA (vendored package) is not the wheel's.
  auto nested = mlpack::archive::memory_access(test::make_zip({{"x/_vendor/y-1.dist-info/METADATA", "Name: y\nVersion: 1\n"}}));
  CHECK_FALSE(read_wheel_metadata(nested, "x-1-py3-none-any.whl"));
}

TEST_CASE("range requests: tail, central directory, member; a server ignoring Range; a 416") {
  auto zip = metadata_first_wheel();
  test::FakeIndex server;
  server.file("/w.whl", zip);

  std::size_t ranges = 0, full = 0;
  HttpRangeCounters counters{[&] { ++ranges; }, [&] { ++full; }};
  auto src = http_range_access(sender(server), get("https://h/w.whl"), counters);
  auto text = read_wheel_metadata(src, "demo-3.0-py3-none-any.whl");
  REQUIRE_MESSAGE(text, text.error().message);
  CHECK(*text == metadata_text);
  CHECK(ranges == 3);
  CHECK(full == 0);
  CHECK(server.http->log[0].headers.get("Range") == "bytes=-65536");
  std::size_t transferred = 0;
  for (const auto& s : server.http->log) transferred += s.headers.has("Range") ? 1 : 0;
  CHECK(transferred == 3);

  SUBCASE("a server that ignores Range is read from its one full answer") {
    server.http->log.clear();
    server.ranges = test::RangeMode::ignore;
    ranges = full = 0;
    auto src2 = http_range_access(sender(server), get("https://h/w.whl"), counters);
    auto t = read_wheel_metadata(src2, "demo-3.0-py3-none-any.whl");
    REQUIRE_MESSAGE(t, t.error().message);
    CHECK(*t == metadata_text);
    CHECK(server.http->log.size() == 1);
    CHECK(full == 1);
  }
  SUBCASE("a 416 falls back to a plain GET") {
    server.http->log.clear();
    server.ranges = test::RangeMode::refuse;
    auto src2 = http_range_access(sender(server), get("https://h/w.whl"), counters);
    auto t = read_wheel_metadata(src2, "demo-3.0-py3-none-any.whl");
    REQUIRE_MESSAGE(t, t.error().message);
    CHECK(server.http->log.size() == 2);
    CHECK_FALSE(server.http->log[1].headers.has("Range"));
  }
  SUBCASE("an error status names the URL") {
    auto src2 = http_range_access(sender(server), get("https://u:secret@h/missing.whl"), counters);
    auto t = read_wheel_metadata(src2, "demo-3.0-py3-none-any.whl");
    REQUIRE_FALSE(t);
    CHECK(t.error().kind == util::ErrorKind::http);
    CHECK(t.error().message.find("404") != std::string::npos);
    CHECK(t.error().message.find("secret") == std::string::npos);
  }
}

TEST_CASE("a large zip64 wheel through range requests") {
  auto zip = metadata_first_wheel({.zip64 = true});
  test::FakeIndex server;
  server.file("/w.whl", zip);
  auto src = http_range_access(sender(server), get("https://h/w.whl"));
  auto text = read_wheel_metadata(src, "demo-3.0-py3-none-any.whl");
  REQUIRE_MESSAGE(text, text.error().message);
  CHECK(*text == metadata_text);
}

TEST_CASE("pip's wheels: METADATA as the manifest records it") {
  auto dir = test::corpus_dir("pip_test_data");
  if (!dir) {
    MLPACK_SKIP("corpus pip_test_data not found");
    return;
  }
  auto manifest = test::read_json(*dir / "packages_manifest.json");
  int checked = 0;
  for (const auto& e : manifest) {
    if (e.value("type", "") != "wheel") continue;
    std::string file = e["file"];
    auto src = mlpack::archive::open_file_access(*dir / "packages" / file).value();
    auto text = read_wheel_metadata(src, file);
    bool expect_ok = e.value("valid_zip", false) && e.contains("metadata") && e["metadata"].is_object() &&
                     e["metadata"].contains("Name");
    if (!expect_ok) {
      CHECK_MESSAGE(!text, file);
      continue;
    }
    REQUIRE_MESSAGE(text, file << ": " << text.error().message);
    auto meta = parse_core_metadata(*text);
    REQUIRE_MESSAGE(meta, file);
    CHECK_MESSAGE(meta->name == e["metadata"]["Name"].get<std::string>(), file);
    CHECK_MESSAGE(meta->version == e["metadata"]["Version"].get<std::string>(), file);
    auto rd = e["metadata"].value("Requires-Dist", nlohmann::json::array());
    CHECK_MESSAGE(meta->requires_dist.size() == rd.size(), file);
    ++checked;
  }
  CHECK(checked > 20);
}
