// Real Debian Release files and keyrings: Debian signs InRelease with several keys, and a keyring
// may hold only some of them. The first test reads the copy apt keeps on a Debian machine
// (offline); the second fetches from deb.debian.org and skips, with a message, when unreachable.
#include <doctest/doctest.h>

#include <filesystem>

#include "apt/client.hpp"
#include "apt/test_util.hpp"
#include "net/curl_client.hpp"
#include "net/fakes.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;
namespace fs = std::filesystem;

namespace {
const fs::path lists_inrelease = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease";
const fs::path stable_key = "/usr/share/keyrings/debian-archive-bookworm-stable.gpg";
const fs::path removed_keys = "/usr/share/keyrings/debian-archive-removed-keys.gpg";
}  // namespace

TEST_CASE("Debian's own InRelease verifies against the Debian keyring, also against only one of its keys") {
  if (!fs::exists(lists_inrelease) || !fs::exists(apt::debian_archive_keyring) || !fs::exists(stable_key)) {
    MLPACK_SKIP("no apt lists for bookworm or no debian-archive-keyring on this machine");
    return;
  }
  auto doc = util::read_file(lists_inrelease);
  REQUIRE(doc);
  auto all = apt::verify_clearsigned(*doc, apt::debian_archive_keyring, "InRelease");
  REQUIRE_MESSAGE(all, test::why(all));
  CHECK(all->signers.size() >= 2);
  auto release = apt::parse_release(all->text, "InRelease");
  REQUIRE_MESSAGE(release, test::why(release));
  CHECK(release->codename == "bookworm");
  CHECK(release->find("main/binary-amd64/Packages.xz"));

  // Only the stable release key: the other signatures are from unknown keys, which apt (and we)
  // tolerate when one good signature remains.
  auto one = apt::verify_clearsigned(*doc, stable_key, "InRelease");
  REQUIRE_MESSAGE(one, test::why(one));
  CHECK(one->signers.size() == 1);
  CHECK(one->text == all->text);

  if (fs::exists(removed_keys)) {
    auto none = apt::verify_clearsigned(*doc, removed_keys, "InRelease");
    REQUIRE(!none);
    CHECK(none.error().kind == util::ErrorKind::integrity);
    CHECK(none.error().message.find("not in the keyring") != std::string::npos);
  }
}

TEST_CASE("deb.debian.org: bookworm and bookworm-security InRelease, verified (network)") {
  if (!fs::exists(apt::debian_archive_keyring)) {
    MLPACK_SKIP("no debian-archive-keyring on this machine");
    return;
  }
  auto sources = apt::distribution_sources("debian:bookworm");
  REQUIRE(sources);
  net::CurlOptions curl;
  curl.insecure_hosts = apt::plain_http_hosts(*sources);
  curl.connect_timeout = std::chrono::seconds(5);
  curl.stall_timeout = std::chrono::seconds(10);
  auto cache = util::TempDir::create();
  REQUIRE(cache);
  test::FakeClock clock;
  apt::ClientOptions o;
  o.cache_dir = cache->path();
  o.retry.max_attempts = 1;
  apt::ArchiveClient client(net::make_curl_client(curl), o, clock);
  for (const auto& source : *sources) {
    auto rel = client.fetch_release(source);
    if (!rel && (rel.error().kind == util::ErrorKind::network || rel.error().kind == util::ErrorKind::http)) {
      MLPACK_SKIP("deb.debian.org is unreachable: " << rel.error().message);
      return;
    }
    REQUIRE_MESSAGE(rel, test::why(rel));
    CHECK(rel->release.codename == source.suite);
    CHECK(!rel->signers.empty());
    CHECK(rel->release.find("main/binary-amd64/Packages.xz"));
  }
}
