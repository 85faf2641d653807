// The archive client against a fake HTTP server: layouts, fallbacks, hash checks, the cache.
// Signatures are skipped here (Verify::no); archive_test.cpp checks them against a real archive.
#include <doctest/doctest.h>
#include <zlib.h>

#include <filesystem>
#include <map>

#include "apt/client.hpp"
#include "net/fakes.hpp"
#include "util/fs.hpp"
#include "apt/test_util.hpp"
#include "test_archives.hpp"

using namespace mlpack;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t nov_2026 = 1795040261;  // 2026-11-18T22:17:41Z

std::string gzip(std::string_view data) { return mlpack::test::zlib_deflate(std::string(data), 6, 31); }

const std::string packages_text =
    "Package: hello\nVersion: 2.10-3\nArchitecture: amd64\nFilename: pool/main/h/hello/hello_2.10-3_amd64.deb\n"
    "Size: 5\nSHA256: " + util::Digest::sha256_of("HELLO").hex() + "\n\n"
    "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\nFilename: pool/main/t/tzdata/tzdata_2024a_all.deb\n"
    "Size: 2\nSHA256: " + util::Digest::sha256_of("TZ").hex() + "\n";

// An archive in memory: files by URL path, and a Release listing the index files given.
struct FakeArchive {
  std::map<std::string, std::string> files;
  std::string prefix = "/debian/dists/bookworm/";
  std::string extra_fields = "Valid-Until: Wed, 25 Nov 2026 22:17:41 UTC\n";
  std::string suite = "bookworm";

  // Lists `name` in Release with `content`, and serves it unless `serve` is false.
  std::string release_entries;
  void add_index(const std::string& name, const std::string& content, bool serve = true) {
    char line[200];
    std::snprintf(line, sizeof line, " %s %10zu %s\n", util::Digest::sha256_of(content).hex().c_str(), content.size(),
                  name.c_str());
    release_entries += line;
    if (serve) files[prefix + name] = content;
  }
  std::string release() const {
    return "Origin: Debian\nSuite: " + suite + "\nCodename: " + suite +
           "\nDate: Wed, 18 Nov 2026 22:17:41 UTC\n" + extra_fields +
           "Architectures: amd64 arm64\nComponents: main contrib\nSHA256:\n" + release_entries;
  }
  void publish_release() { files[prefix + "Release"] = release(); }

  void serve(test::FakeHttp& http) {
    http.handler = [this](const test::Seen& s) -> util::Result<net::Response> {
      auto it = files.find(s.path());
      if (it == files.end()) return test::respond(404);
      return test::respond(200, {}, it->second);
    };
  }
};

struct Env {
  util::TempDir cache = *util::TempDir::create({}, "mlpack-apt-unit-");
  std::shared_ptr<test::FakeHttp> http = std::make_shared<test::FakeHttp>();
  test::FakeClock clock;
  apt::ArchiveClient client(apt::Verify verify = apt::Verify::no) {
    apt::ClientOptions o;
    o.cache_dir = cache.path();
    o.verify = verify;
    o.wall_clock = [] { return nov_2026 + 3600; };
    return apt::ArchiveClient(http, o, clock);
  }
  std::size_t files_under(const fs::path& relative) const {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = fs::recursive_directory_iterator(cache.path() / relative, ec); !ec && it != fs::end(it); ++it)
      n += it->is_regular_file() ? 1 : 0;
    return n;
  }
};

apt::Source debian() { return {"http://deb.debian.org/debian", "bookworm", {"main"}, "/nonexistent.gpg", {}}; }

std::vector<std::string> names_in(const apt::IndexFile& index) {
  std::vector<std::string> names;
  auto r = apt::for_each_package(index, [&](deb::Paragraph&& p) -> util::Result<void> {
    names.push_back(p.get_or("Package"));
    return {};
  });
  REQUIRE(r);
  return names;
}

}  // namespace

TEST_CASE("without InRelease, Release is used; indexes are checked, decompressed and cached by hash") {
  Env env;
  FakeArchive a;
  a.add_index("main/binary-amd64/Packages", packages_text, false);
  a.add_index("main/binary-amd64/Packages.gz", gzip(packages_text));
  a.publish_release();
  a.serve(*env.http);
  auto client = env.client();

  auto rel = client.fetch_release(debian());
  REQUIRE_MESSAGE(rel, test::why(rel));
  CHECK(rel->url == "http://deb.debian.org/debian/dists/bookworm/Release");
  CHECK(rel->verified == apt::Verify::no);
  CHECK(rel->root == "http://deb.debian.org/debian/");
  CHECK(env.http->count("GET", "Release.gpg") == 0);  // not even fetched when not verifying

  auto indexes = client.fetch_all_packages(*rel);
  REQUIRE_MESSAGE(indexes, test::why(indexes));
  REQUIRE(indexes->size() == 1);
  CHECK(!(*indexes)[0].cached);
  CHECK((*indexes)[0].url == "http://deb.debian.org/debian/dists/bookworm/main/binary-amd64/Packages.gz");
  CHECK(names_in((*indexes)[0]) == std::vector<std::string>{"hello", "tzdata"});
  CHECK(env.files_under("apt/indexes") == 1);

  // Same Release: the index comes from the cache without a request.
  auto before = env.http->log.size();
  auto again = client.fetch_packages(*rel, "main");
  REQUIRE(again);
  CHECK(again->cached);
  CHECK(env.http->log.size() == before);
}

TEST_CASE("Packages.xz listed but missing on the mirror falls back to Packages.gz") {
  Env env;
  FakeArchive a;
  a.add_index("main/binary-amd64/Packages.gz", gzip(packages_text));
  a.add_index("main/binary-amd64/Packages.xz", "whatever", false);
  a.publish_release();
  a.serve(*env.http);
  auto client = env.client();
  auto rel = client.fetch_release(debian());
  REQUIRE(rel);
  auto index = client.fetch_packages(*rel, "main");
  REQUIRE_MESSAGE(index, test::why(index));
  CHECK(index->url.ends_with("Packages.gz"));
  CHECK(env.http->count("GET", "Packages.xz") == 1);
}

TEST_CASE("a Packages file whose hash does not match Release is refused and not cached") {
  Env env;
  FakeArchive a;
  a.add_index("main/binary-amd64/Packages.gz", gzip(packages_text));
  a.publish_release();
  // The mirror serves other content of the same size.
  auto& served = a.files[a.prefix + "main/binary-amd64/Packages.gz"];
  served[served.size() / 2] ^= 0x01;
  a.serve(*env.http);
  auto client = env.client();
  auto rel = client.fetch_release(debian());
  REQUIRE(rel);
  auto index = client.fetch_packages(*rel, "main");
  REQUIRE(!index);
  CHECK(index.error().kind == util::ErrorKind::integrity);
  CHECK(index.error().message.find("Packages.gz") != std::string::npos);
  CHECK(index.error().message.find("sha256") != std::string::npos);
  CHECK(env.files_under("apt") == 0);

  // Longer than Release says: refused as it streams.
  served = gzip(packages_text) + "trailing";
  index = client.fetch_packages(*rel, "main");
  REQUIRE(!index);
  CHECK(index.error().kind == util::ErrorKind::integrity);
  CHECK(env.files_under("apt") == 0);
}

TEST_CASE("a compressed index must decompress to the uncompressed entry Release lists") {
  Env env;
  FakeArchive a;
  a.add_index("main/binary-amd64/Packages", packages_text + "Package: extra\n", false);
  a.add_index("main/binary-amd64/Packages.gz", gzip(packages_text));
  a.publish_release();
  a.serve(*env.http);
  auto client = env.client();
  auto rel = client.fetch_release(debian());
  REQUIRE(rel);
  auto index = client.fetch_packages(*rel, "main");
  REQUIRE(!index);
  CHECK(index.error().kind == util::ErrorKind::integrity);
  CHECK(env.files_under("apt") == 0);
}

TEST_CASE("corrupt compressed data is refused") {
  Env env;
  FakeArchive a;
  a.add_index("main/binary-amd64/Packages.xz", "this is not xz");
  a.publish_release();
  a.serve(*env.http);
  auto client = env.client();
  auto rel = client.fetch_release(debian());
  REQUIRE(rel);
  auto index = client.fetch_packages(*rel, "main");
  REQUIRE(!index);
  CHECK(index.error().kind == util::ErrorKind::integrity);
  CHECK(env.files_under("apt") == 0);
}

TEST_CASE("by-hash URLs are preferred when the Release offers them") {
  Env env;
  FakeArchive a;
  a.extra_fields += "Acquire-By-Hash: yes\n";
  auto gz = gzip(packages_text);
  a.add_index("main/binary-amd64/Packages.gz", gz, false);
  a.files[a.prefix + "main/binary-amd64/by-hash/SHA256/" + util::Digest::sha256_of(gz).hex()] = gz;
  a.publish_release();
  a.serve(*env.http);
  auto client = env.client();
  auto rel = client.fetch_release(debian());
  REQUIRE(rel);
  auto index = client.fetch_packages(*rel, "main");
  REQUIRE_MESSAGE(index, test::why(index));
  CHECK(env.http->count("GET", "/by-hash/SHA256/") == 1);
  CHECK(env.http->count("GET", "binary-amd64/Packages.gz") == 0);
}

TEST_CASE("Release checks: suite, expiry, date, architecture, component") {
  Env env;
  FakeArchive a;
  a.add_index("main/binary-amd64/Packages.gz", gzip(packages_text));
  a.serve(*env.http);
  auto client = env.client();

  SUBCASE("another suite's Release cannot stand in") {
    a.suite = "bullseye";
    a.publish_release();
    auto rel = client.fetch_release(debian());
    REQUIRE(!rel);
    CHECK(rel.error().kind == util::ErrorKind::integrity);
    CHECK(rel.error().message.find("`bullseye`") != std::string::npos);
  }
  SUBCASE("an expired Release is refused") {
    a.extra_fields = "Valid-Until: Wed, 18 Nov 2026 22:30:00 UTC\n";
    a.publish_release();
    auto rel = client.fetch_release(debian());
    REQUIRE(!rel);
    CHECK(rel.error().kind == util::ErrorKind::integrity);
    CHECK(rel.error().message.find("expired on 2026-11-18T22:30:00Z") != std::string::npos);
  }
  SUBCASE("...but not from a snapshot, where old Release files are the point") {
    a.extra_fields = "Valid-Until: Wed, 18 Nov 2026 22:30:00 UTC\n";
    a.prefix = "/archive/debian/20261118T223000Z/dists/bookworm/";
    a.files.clear();
    a.release_entries.clear();
    a.add_index("main/binary-amd64/Packages.gz", gzip(packages_text));
    a.publish_release();
    auto source = debian();
    source.snapshot = "20261118T223000Z";
    auto rel = client.fetch_release(source);
    REQUIRE_MESSAGE(rel, test::why(rel));
    CHECK(rel->url == "https://snapshot.debian.org/archive/debian/20261118T223000Z/dists/bookworm/Release");
    CHECK(rel->root == "https://snapshot.debian.org/archive/debian/20261118T223000Z/");
    auto index = client.fetch_packages(*rel, "main");
    REQUIRE(index);
  }
  SUBCASE("a Release from the future is refused") {
    a.extra_fields = "";
    a.files[a.prefix + "Release"] = "Suite: bookworm\nDate: Thu, 19 Nov 2026 23:59:00 UTC\nSHA256:\n";
    auto rel = client.fetch_release(debian());
    REQUIRE(!rel);
    CHECK(rel.error().message.find("in the future") != std::string::npos);
  }
  SUBCASE("architectures and components the suite lacks") {
    a.publish_release();
    auto rel = client.fetch_release(debian());
    REQUIRE(rel);
    auto comp = client.fetch_packages(*rel, "non-free");
    REQUIRE(!comp);
    CHECK(comp.error().kind == util::ErrorKind::not_found);
    CHECK(comp.error().message.find("no component `non-free`") != std::string::npos);
    auto notlisted = client.fetch_packages(*rel, "contrib");
    REQUIRE(!notlisted);
    CHECK(notlisted.error().message.find("lists no contrib/binary-amd64/Packages") != std::string::npos);

    apt::ClientOptions o;
    o.cache_dir = env.cache.path();
    o.verify = apt::Verify::no;
    o.arch = "riscv64";
    o.wall_clock = [] { return nov_2026; };
    apt::ArchiveClient riscv(env.http, o, env.clock);
    auto arch = riscv.fetch_packages(*rel, "main");
    REQUIRE(!arch);
    CHECK(arch.error().message.find("architecture `riscv64` (it has: amd64, arm64)") != std::string::npos);
  }
  SUBCASE("no Release at all") {
    auto rel = client.fetch_release(debian());
    REQUIRE(!rel);
    CHECK(rel.error().kind == util::ErrorKind::not_found);
    CHECK(rel.error().message.find("check the URL and suite") != std::string::npos);
  }
}

TEST_CASE("InRelease text without verification undoes the clearsign armour") {
  Env env;
  FakeArchive a;
  a.add_index("main/binary-amd64/Packages.gz", gzip(packages_text));
  a.files[a.prefix + "InRelease"] =
      "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + a.release() +
      "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n";
  a.serve(*env.http);
  auto client = env.client();
  auto rel = client.fetch_release(debian());
  REQUIRE_MESSAGE(rel, test::why(rel));
  CHECK(rel->url.ends_with("/InRelease"));
  CHECK(rel->release.suite == "bookworm");
  CHECK(rel->release.files.size() == 1);

  auto text = apt::unverified_clearsigned_text(
      "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n- -----x\n-----BEGIN PGP SIGNATURE-----\nx\n"
      "-----END PGP SIGNATURE-----\n",
      "t");
  REQUIRE(text);
  CHECK(*text == "A: b\n-----x");
  CHECK(!apt::unverified_clearsigned_text("A: b\n", "t"));
}

TEST_CASE("verification fails closed without a keyring or without gpgv") {
  Env env;
  FakeArchive a;
  a.add_index("main/binary-amd64/Packages.gz", gzip(packages_text));
  a.files[a.prefix + "InRelease"] = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + a.release() +
                                    "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n";
  a.serve(*env.http);

  auto missing = env.client(apt::Verify::yes).fetch_release(debian());
  REQUIRE(!missing);
  CHECK(missing.error().kind == util::ErrorKind::invalid_input);
  CHECK(missing.error().message.find("keyring `/nonexistent.gpg` does not exist") != std::string::npos);

  auto keyring = env.cache.path() / "some.gpg";
  REQUIRE(util::write_file_atomic(keyring, "not really a key"));
  auto source = debian();
  source.keyring = keyring;
  apt::ClientOptions o;
  o.cache_dir = env.cache.path();
  o.gpgv.program = "/nonexistent/gpgv";
  apt::ArchiveClient no_gpgv(env.http, o, env.clock);
  auto r = no_gpgv.fetch_release(source);
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::unsupported);
  CHECK(r.error().message.find("install the `gpgv` package") != std::string::npos);

  // Text after the signature, or a second signed message, is refused before gpgv runs.
  auto doc = a.files[a.prefix + "InRelease"];
  a.files[a.prefix + "InRelease"] = doc + "Suite: evil\n";
  r = no_gpgv.fetch_release(source);
  REQUIRE(!r);
  CHECK(r.error().kind == util::ErrorKind::integrity);
  a.files[a.prefix + "InRelease"] = doc + doc;
  r = no_gpgv.fetch_release(source);
  REQUIRE(!r);
  CHECK(r.error().message.find("exactly one signed message") != std::string::npos);
}

TEST_CASE("a flat repository has its Release and Packages at the top") {
  Env env;
  FakeArchive a;
  a.prefix = "/compute/cuda/repos/debian12/x86_64/";
  a.add_index("Packages.gz", gzip(packages_text));
  a.files[a.prefix + "Release"] = "Origin: NVIDIA\nLabel: NVIDIA CUDA\nArchitecture: x86_64\nSHA256:\n" + a.release_entries;
  a.serve(*env.http);
  auto client = env.client();
  apt::Source cuda{"https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64", "/", {}, "/k", {}};
  auto rel = client.fetch_release(cuda);
  REQUIRE_MESSAGE(rel, test::why(rel));
  auto indexes = client.fetch_all_packages(*rel);
  REQUIRE_MESSAGE(indexes, test::why(indexes));
  REQUIRE(indexes->size() == 1);
  CHECK((*indexes)[0].component == "");
  CHECK((*indexes)[0].url == "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/Packages.gz");
  CHECK(names_in((*indexes)[0]).size() == 2);
}

TEST_CASE("fetch_deb: verified while streaming, content-addressed, fallback URLs, nothing left on mismatch") {
  Env env;
  std::map<std::string, std::string> files = {{"/debian/pool/hello.deb", "HELLO"},
                                              {"/snapshot/pool/tz.deb", "TZ"}};
  env.http->handler = [&](const test::Seen& s) -> util::Result<net::Response> {
    auto it = files.find(s.path());
    if (it == files.end()) return test::respond(404);
    return test::respond(200, {}, it->second);
  };
  auto client = env.client();
  apt::DebFile hello{"hello 2.10-3 (amd64)", {"http://m/debian/pool/hello.deb"}, util::Digest::sha256_of("HELLO"), 5};
  apt::DebFile tz{"tzdata 2024a (all)",
                  {"http://m/debian/pool/tz.deb", "https://snapshot/snapshot/pool/tz.deb"},
                  util::Digest::sha256_of("TZ"),
                  2};

  auto paths = client.fetch_debs(std::vector<apt::DebFile>{hello, tz});
  REQUIRE_MESSAGE(paths, test::why(paths));
  CHECK((*paths)[0] == env.cache.path() / "blobs/sha256" / util::Digest::sha256_of("HELLO").hex());
  CHECK(util::read_file((*paths)[1]) == "TZ");
  CHECK(env.http->count("GET", "/debian/pool/tz.deb") == 1);  // the 404 before the fallback

  auto requests = env.http->log.size();
  REQUIRE(client.fetch_deb(hello));
  CHECK(env.http->log.size() == requests);  // cached

  SUBCASE("a hash mismatch names the package and leaves the cache untouched") {
    fs::remove_all(env.cache.path() / "blobs");
    apt::DebFile wrong = hello;
    wrong.sha256 = util::Digest::sha256_of("HELLP");
    auto r = client.fetch_deb(wrong);
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::integrity);
    CHECK(r.error().message.find("hello 2.10-3 (amd64)") != std::string::npos);
    CHECK(env.files_under("blobs") == 0);
  }
  SUBCASE("a size mismatch too") {
    fs::remove_all(env.cache.path() / "blobs");
    apt::DebFile shorter = hello;
    shorter.size = 4;
    auto r = client.fetch_deb(shorter);
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::integrity);
    CHECK(env.files_under("blobs") == 0);
  }
  SUBCASE("gone everywhere is not_found, listing each URL") {
    apt::DebFile gone{"gone 1", {"http://m/a.deb", "http://m/b.deb"}, util::Digest::sha256_of("x"), 1};
    auto r = client.fetch_deb(gone);
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::not_found);
    CHECK(r.error().message.find("/a.deb: 404 Not Found; GET http://m/b.deb: 404") != std::string::npos);
  }
}
