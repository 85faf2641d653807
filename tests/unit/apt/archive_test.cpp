// The archive client against a real, signed apt archive of real .debs, served over HTTP on
// loopback by tests/fixtures/apt_archive.py, with the real libcurl client and the real gpgv.
// Each test skips, with a message, when the fixture cannot fetch its .debs (offline).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "apt/client.hpp"
#include "apt/fixture.hpp"
#include "net/curl_client.hpp"
#include "net/fakes.hpp"
#include "util/fs.hpp"
#include "apt/test_util.hpp"

using namespace mlpack;
namespace fs = std::filesystem;

namespace {

struct Client {
  util::TempDir cache = *util::TempDir::create({}, "mlpack-apt-cache-");
  test::FakeClock clock;  // retries never sleep
  std::shared_ptr<net::HttpClient> http = net::make_curl_client();

  apt::ArchiveClient make(apt::Verify verify = apt::Verify::yes) {
    apt::ClientOptions o;
    o.cache_dir = cache.path();
    o.verify = verify;
    o.retry.max_attempts = 2;
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

apt::Source source_of(const test::AptFixture& f) {
  apt::Source s{f.url(), f.suite(), {}, f.keyring(), {}};
  if (!s.flat()) s.components = {"main"};
  return s;
}

// Every package of the fetched indexes, as the DebFile to download it by.
std::vector<apt::DebFile> debs_of(const apt::FetchedRelease& rel, const std::vector<apt::IndexFile>& indexes) {
  std::vector<apt::DebFile> out;
  for (const auto& index : indexes) {
    auto r = apt::for_each_package(index, [&](deb::Paragraph&& p) -> util::Result<void> {
      auto digest = util::Digest::parse("sha256:" + p.get_or("SHA256"));
      REQUIRE(digest);
      out.push_back(apt::DebFile{p.get_or("Package") + " " + p.get_or("Version"),
                                 {apt::file_url(rel.root, p.get_or("Filename"))},
                                 *digest,
                                 std::stoull(p.get_or("Size"))});
      return {};
    });
    REQUIRE(r);
  }
  return out;
}

// ASCII armour (RFC 4880 section 6.2) around binary key packets, as `gpg --armor --export` writes.
std::string armor(std::string_view binary) {
  static constexpr char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (std::size_t i = 0; i < binary.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(binary[i]) << 16;
    if (i + 1 < binary.size()) n |= static_cast<unsigned char>(binary[i + 1]) << 8;
    if (i + 2 < binary.size()) n |= static_cast<unsigned char>(binary[i + 2]);
    b64 += chars[(n >> 18) & 63];
    b64 += chars[(n >> 12) & 63];
    b64 += i + 1 < binary.size() ? chars[(n >> 6) & 63] : '=';
    b64 += i + 2 < binary.size() ? chars[n & 63] : '=';
  }
  std::string out = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n";
}

#define START_FIXTURE(var, ...)                           \
  auto var = test::AptFixture::start({__VA_ARGS__});      \
  if (!var) return

}  // namespace

TEST_CASE("a real archive: InRelease verified with gpgv, indexes and .debs fetched, then all cached") {
  START_FIXTURE(fx);
  Client c;
  auto client = c.make();
  auto rel = client.fetch_release(source_of(*fx));
  REQUIRE_MESSAGE(rel, test::why(rel));
  CHECK(rel->url == fx->url() + "dists/bookworm/InRelease");
  CHECK(rel->verified == apt::Verify::yes);
  CHECK(rel->signers == std::vector<std::string>{fx->fingerprint()});
  CHECK(rel->release.suite == "bookworm");
  CHECK(rel->release.architectures == std::vector<std::string>{"amd64"});
  CHECK(rel->release.valid_until);
  CHECK(rel->release.find("main/binary-amd64/Packages.xz"));

  auto indexes = client.fetch_all_packages(*rel);
  REQUIRE_MESSAGE(indexes, test::why(indexes));
  REQUIRE(indexes->size() == 1);
  CHECK((*indexes)[0].url == fx->url() + "dists/bookworm/main/binary-amd64/Packages.xz");
  auto debs = debs_of(*rel, *indexes);
  REQUIRE(debs.size() == fx->info["packages"].size());
  auto paths = client.fetch_debs(debs);
  REQUIRE_MESSAGE(paths, test::why(paths));
  for (std::size_t i = 0; i < debs.size(); ++i) CHECK(util::sha256_file(paths->at(i).string()) == debs[i].sha256);
  // The real .debs, with the hashes apt-cache reported for them.
  for (const auto& p : fx->info["packages"])
    CHECK(std::any_of(debs.begin(), debs.end(), [&](const auto& d) { return d.sha256.hex() == p["sha256"]; }));

  auto first = fx->requests();
  CHECK(first.front() == "GET /dists/bookworm/InRelease 200");
  CHECK(std::count_if(first.begin(), first.end(), [](auto& l) { return l.find("/Release") != std::string::npos; }) == 0);
  CHECK(first.size() == 2 + debs.size());

  // The fixture takes a moment to start, so these steps share it rather than being SUBCASEs.
  {
    INFO("a second run with the same InRelease makes only the InRelease request");
    fx->clear_requests();
    auto client2 = c.make();
    auto rel2 = client2.fetch_release(source_of(*fx));
    REQUIRE(rel2);
    auto indexes2 = client2.fetch_all_packages(*rel2);
    REQUIRE(indexes2);
    CHECK((*indexes2)[0].cached);
    REQUIRE(client2.fetch_debs(debs_of(*rel2, *indexes2)));
    CHECK(fx->requests() == std::vector<std::string>{"GET /dists/bookworm/InRelease 200"});
  }
  {
    INFO("a locked file the mirror no longer has comes from the fallback URL");
    fs::remove_all(c.cache.path() / "blobs");
    auto moved = debs[0];
    moved.urls.insert(moved.urls.begin(), fx->url() + "pool/main/gone.deb");
    fx->clear_requests();
    REQUIRE(client.fetch_deb(moved));
    CHECK(fx->requests().front() == "GET /pool/main/gone.deb 404");
    CHECK(fx->requests().size() == 2);
  }
  {
    INFO("a .deb whose sha256 differs from what we expect leaves the cache untouched");
    fs::remove_all(c.cache.path() / "blobs");
    auto wrong = debs[0];
    wrong.sha256 = util::Digest::sha256_of("something else");
    auto r = client.fetch_deb(wrong);
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::integrity);
    CHECK(r.error().message.find(debs[0].package) != std::string::npos);
    CHECK(c.files_under("blobs") == 0);
    // Same when the server corrupts it in flight.
    fx->set_fault("/" + fx->info["packages"][0]["filename"].get<std::string>(), "flip");
    auto first_deb = std::find_if(debs.begin(), debs.end(), [&](auto& d) {
      return d.sha256.hex() == fx->info["packages"][0]["sha256"];
    });
    fx->clear_requests();
    r = client.fetch_deb(*first_deb);
    CHECK(fx->requests() == std::vector<std::string>{"GET /" + fx->info["packages"][0]["filename"].get<std::string>() + " 200"});
    REQUIRE(!r);
    CHECK(r.error().kind == util::ErrorKind::integrity);
    CHECK(c.files_under("blobs") == 0);
  }
}

TEST_CASE("a real archive without InRelease: Release + Release.gpg") {
  START_FIXTURE(fx, "--no-inrelease");
  Client c;
  auto rel = c.make().fetch_release(source_of(*fx));
  REQUIRE_MESSAGE(rel, test::why(rel));
  CHECK(rel->url == fx->url() + "dists/bookworm/Release");
  CHECK(rel->signers == std::vector<std::string>{fx->fingerprint()});
  CHECK(fx->requests() == std::vector<std::string>{"GET /dists/bookworm/InRelease 404",
                                                   "GET /dists/bookworm/Release 200",
                                                   "GET /dists/bookworm/Release.gpg 200"});
  // A tampered Release no longer matches Release.gpg.
  fx->tamper("dists/bookworm/Release");
  auto bad = c.make().fetch_release(source_of(*fx));
  REQUIRE(!bad);
  CHECK(bad.error().kind == util::ErrorKind::integrity);
  CHECK(bad.error().message.find("BAD signature") != std::string::npos);
}

TEST_CASE("a real archive with no signature at all is refused unless verification is off") {
  START_FIXTURE(fx, "--no-inrelease", "--no-release-gpg");
  Client c;
  auto rel = c.make().fetch_release(source_of(*fx));
  REQUIRE(!rel);
  CHECK(rel.error().kind == util::ErrorKind::integrity);
  CHECK(rel.error().message.find("not signed") != std::string::npos);
  auto insecure = c.make(apt::Verify::no).fetch_release(source_of(*fx));
  REQUIRE_MESSAGE(insecure, test::why(insecure));
  CHECK(insecure->verified == apt::Verify::no);
  CHECK(insecure->signers.empty());
}

TEST_CASE("a real archive: bad signatures and wrong keyrings are refused") {
  START_FIXTURE(fx);
  Client c;
  auto client = c.make();

  const auto inrelease = fx->root() / "dists/bookworm/InRelease";
  const auto original = util::read_file(inrelease);
  REQUIRE(original);
  {
    INFO("the wrong keyring");
    auto source = source_of(*fx);
    source.keyring = fx->other_keyring();
    auto rel = client.fetch_release(source);
    REQUIRE(!rel);
    CHECK(rel.error().kind == util::ErrorKind::integrity);
    CHECK(rel.error().message.find("not in the keyring") != std::string::npos);
    // Debian's real keyring does not vouch for our throwaway key either.
    source.keyring = apt::debian_archive_keyring;
    if (fs::exists(source.keyring)) CHECK(!client.fetch_release(source));
  }
  {
    INFO("one byte of the signed text changed");
    auto text = original;
    REQUIRE(text);
    auto pos = text->find("Suite: bookworm");
    REQUIRE(pos != std::string::npos);
    (*text)[pos + 8] = 'B';  // Suite: bOokworm -> bBokworm
    REQUIRE(util::write_file_atomic(inrelease, *text));
    auto rel = client.fetch_release(source_of(*fx));
    REQUIRE(!rel);
    CHECK(rel.error().kind == util::ErrorKind::integrity);
    CHECK(rel.error().message.find("BAD signature") != std::string::npos);
    CHECK(rel.error().message.find("InRelease") != std::string::npos);
  }
  {
    INFO("a byte of the signature changed");
    auto text = original;
    REQUIRE(text);
    auto pos = text->find("-----END PGP SIGNATURE-----");
    REQUIRE(pos != std::string::npos);
    // The base64 line just before the CRC line: change one character.
    auto line = text->rfind('\n', text->rfind('\n', pos - 2) - 1) + 1;
    (*text)[line + 3] = (*text)[line + 3] == 'A' ? 'B' : 'A';
    REQUIRE(util::write_file_atomic(inrelease, *text));
    auto rel = client.fetch_release(source_of(*fx));
    REQUIRE(!rel);
    CHECK(rel.error().kind == util::ErrorKind::integrity);
  }
  {
    INFO("the untouched file still verifies (so the failures above were the tampering)");
    REQUIRE(util::write_file_atomic(inrelease, *original));
    auto rel = client.fetch_release(source_of(*fx));
    CHECK_MESSAGE(rel, test::why(rel));
  }
  {
    INFO("an ASCII-armoured keyring (as third-party repositories publish them) works too");
    auto binary = util::read_file(fx->keyring());
    REQUIRE(binary);
    auto asc = fx->work() / "keyring.asc";
    REQUIRE(util::write_file_atomic(asc, armor(*binary)));
    auto source = source_of(*fx);
    source.keyring = asc;
    auto rel = client.fetch_release(source);
    CHECK_MESSAGE(rel, test::why(rel));
    REQUIRE(util::write_file_atomic(asc, armor("garbage")));
    CHECK(!client.fetch_release(source));
  }
  {
    INFO("a keyring that does not exist");
    auto source = source_of(*fx);
    source.keyring = fx->work() / "missing.gpg";
    auto rel = client.fetch_release(source);
    REQUIRE(!rel);
    CHECK(rel.error().kind == util::ErrorKind::invalid_input);
    CHECK(rel.error().message.find("missing.gpg") != std::string::npos);
  }
}

TEST_CASE("a real archive signed by an expired key is refused") {
  START_FIXTURE(fx, "--expired-key");
  Client c;
  auto rel = c.make().fetch_release(source_of(*fx));
  REQUIRE(!rel);
  CHECK(rel.error().kind == util::ErrorKind::integrity);
  CHECK(rel.error().message.find("expired key") != std::string::npos);
}

TEST_CASE("a real archive whose Release has expired is refused") {
  START_FIXTURE(fx, "--expired");
  Client c;
  auto rel = c.make().fetch_release(source_of(*fx));
  REQUIRE(!rel);
  CHECK(rel.error().kind == util::ErrorKind::integrity);
  CHECK(rel.error().message.find("expired on 2001-01-01") != std::string::npos);
}

TEST_CASE("a real archive: a Packages file whose hash does not match Release is refused") {
  START_FIXTURE(fx);
  Client c;
  auto client = c.make();
  auto rel = client.fetch_release(source_of(*fx));
  REQUIRE_MESSAGE(rel, test::why(rel));
  fx->tamper("dists/bookworm/main/binary-amd64/Packages.xz");
  auto index = client.fetch_packages(*rel, "main");
  REQUIRE(!index);
  CHECK(index.error().kind == util::ErrorKind::integrity);
  CHECK(index.error().message.find("Packages.xz has sha256") != std::string::npos);
  CHECK(c.files_under("apt") == 0);
  // It is refused, not papered over with Packages.gz.
  auto reqs = fx->requests();
  CHECK(std::none_of(reqs.begin(), reqs.end(), [](auto& l) { return l.find("Packages.gz") != std::string::npos; }));
}

TEST_CASE("a real flat repository (suite `./`)") {
  START_FIXTURE(fx, "--layout", "flat");
  Client c;
  auto client = c.make();
  auto source = source_of(*fx);
  REQUIRE(source.flat());
  auto rel = client.fetch_release(source);
  REQUIRE_MESSAGE(rel, test::why(rel));
  CHECK(rel->url == fx->url() + "InRelease");
  auto indexes = client.fetch_all_packages(*rel);
  REQUIRE_MESSAGE(indexes, test::why(indexes));
  CHECK((*indexes)[0].url == fx->url() + "Packages.xz");
  auto debs = debs_of(*rel, *indexes);
  REQUIRE(!debs.empty());
  CHECK(debs[0].urls[0].starts_with(fx->url() + "pool/main/"));  // "./pool/..." below the root
  auto paths = client.fetch_debs(debs);
  REQUIRE_MESSAGE(paths, test::why(paths));
}

TEST_CASE("a real archive with by-hash indexes") {
  START_FIXTURE(fx, "--by-hash");
  Client c;
  auto client = c.make();
  auto rel = client.fetch_release(source_of(*fx));
  REQUIRE_MESSAGE(rel, test::why(rel));
  CHECK(rel->release.acquire_by_hash);
  auto index = client.fetch_packages(*rel, "main");
  REQUIRE_MESSAGE(index, test::why(index));
  auto reqs = fx->requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].starts_with("GET /dists/bookworm/main/binary-amd64/by-hash/SHA256/"));
  CHECK(reqs[1].ends_with(" 200"));
}

TEST_CASE("a real archive: a server error on InRelease is retried, then reported") {
  START_FIXTURE(fx);
  fx->set_fault("/dists/bookworm/InRelease", 503);
  Client c;
  auto rel = c.make().fetch_release(source_of(*fx));
  REQUIRE(!rel);
  CHECK(rel.error().kind == util::ErrorKind::http);
  CHECK(rel.error().message.find("503") != std::string::npos);
  CHECK(fx->requests().size() == 2);  // max_attempts = 2; no fallback to Release on a 503
}
