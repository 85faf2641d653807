#include <doctest/doctest.h>

#include "apt/source.hpp"

using namespace mlpack;
using apt::Source;

TEST_CASE("debian:bookworm is the main and security suites, signed by the Debian keyring") {
  auto s = apt::distribution_sources("debian:bookworm");
  REQUIRE(s);
  REQUIRE(s->size() == 2);
  CHECK((*s)[0].url == "http://deb.debian.org/debian");
  CHECK((*s)[0].suite == "bookworm");
  CHECK((*s)[0].components == std::vector<std::string>{"main"});
  CHECK((*s)[0].keyring == "/usr/share/keyrings/debian-archive-keyring.gpg");
  CHECK((*s)[1].url == "http://deb.debian.org/debian-security");
  CHECK((*s)[1].suite == "bookworm-security");
  CHECK(!(*s)[0].snapshot);

  auto pinned = apt::distribution_sources("debian:bookworm", "20240115T000000Z");
  REQUIRE(pinned);
  CHECK((*pinned)[1].snapshot == "20240115T000000Z");

  CHECK(apt::distribution_sources("debian:sid")->size() == 1);
  auto bad = apt::distribution_sources("debian:bookwrom");
  REQUIRE(!bad);
  CHECK(bad.error().kind == util::ErrorKind::invalid_input);
  CHECK(bad.error().message.find("bookwrom") != std::string::npos);
  CHECK(!apt::distribution_sources("alpine:3.19"));
}

TEST_CASE("a snapshot timestamp maps archive URLs to the snapshot services") {
  const std::string ts = "20240115T000000Z";
  CHECK(apt::snapshot_url("http://deb.debian.org/debian", ts) ==
        "https://snapshot.debian.org/archive/debian/20240115T000000Z/");
  CHECK(apt::snapshot_url("http://deb.debian.org/debian/", ts) ==
        "https://snapshot.debian.org/archive/debian/20240115T000000Z/");
  CHECK(apt::snapshot_url("http://deb.debian.org/debian-security", ts) ==
        "https://snapshot.debian.org/archive/debian-security/20240115T000000Z/");
  CHECK(apt::snapshot_url("http://security.debian.org/debian-security", ts) ==
        "https://snapshot.debian.org/archive/debian-security/20240115T000000Z/");
  CHECK(apt::snapshot_url("https://snapshot.debian.org/archive/debian/20230101T000000Z/", ts) ==
        "https://snapshot.debian.org/archive/debian/20240115T000000Z/");
  CHECK(apt::snapshot_url("http://archive.ubuntu.com/ubuntu", ts) == "https://snapshot.ubuntu.com/ubuntu/20240115T000000Z/");
  CHECK(apt::snapshot_url("http://de.archive.ubuntu.com/ubuntu", ts) ==
        "https://snapshot.ubuntu.com/ubuntu/20240115T000000Z/");

  auto unknown = apt::snapshot_url("https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/", ts);
  REQUIRE(!unknown);
  CHECK(unknown.error().kind == util::ErrorKind::unsupported);
  CHECK(!apt::snapshot_url("http://deb.debian.org/debian", "2024-01-15"));
  CHECK(!apt::snapshot_url("http://deb.debian.org/debian", "20241315T000000Z"));

  Source s{"http://deb.debian.org/debian", "bookworm", {"main"}, "/k.gpg", ts};
  CHECK(apt::archive_root(s) == "https://snapshot.debian.org/archive/debian/20240115T000000Z/");
  CHECK(apt::release_dir(s) == "https://snapshot.debian.org/archive/debian/20240115T000000Z/dists/bookworm/");
}

TEST_CASE("timestamps") {
  CHECK(apt::is_snapshot_timestamp("20240115T000000Z"));
  CHECK(apt::is_snapshot_timestamp("20231231T235959Z"));
  CHECK(!apt::is_snapshot_timestamp("20240115T000000"));
  CHECK(!apt::is_snapshot_timestamp("20240115t000000Z"));
  CHECK(!apt::is_snapshot_timestamp("20240115T250000Z"));
  CHECK(!apt::is_snapshot_timestamp("2024011aT000000Z"));
}

TEST_CASE("dists and flat layouts") {
  Source debian{"http://deb.debian.org/debian", "bookworm", {"main"}, "/k.gpg", {}};
  CHECK(!debian.flat());
  CHECK(apt::release_dir(debian) == "http://deb.debian.org/debian/dists/bookworm/");
  CHECK(apt::packages_path("main", "amd64") == "main/binary-amd64/Packages");
  CHECK(apt::file_url(*apt::archive_root(debian), "pool/main/b/base-files/base-files_12.4_amd64.deb") ==
        "http://deb.debian.org/debian/pool/main/b/base-files/base-files_12.4_amd64.deb");

  // NVIDIA: deb [signed-by=...] https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /
  Source cuda{"https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/", "/", {}, "/k.gpg", {}};
  CHECK(cuda.flat());
  CHECK(apt::validate(cuda));
  CHECK(apt::release_dir(cuda) == "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/");
  CHECK(apt::packages_path("", "amd64") == "Packages");
  CHECK(apt::file_url(*apt::archive_root(cuda), "./cuda-toolkit_12.4.1-1_amd64.deb") ==
        "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/cuda-toolkit_12.4.1-1_amd64.deb");

  Source dot{"http://example.org/repo", "./", {}, "/k.gpg", {}};
  CHECK(apt::release_dir(dot) == "http://example.org/repo/");
  Source sub{"http://example.org/repo", "amd64/", {}, "/k.gpg", {}};
  CHECK(apt::release_dir(sub) == "http://example.org/repo/amd64/");
}

TEST_CASE("sources are validated") {
  auto invalid = [](Source s) {
    auto r = apt::validate(s);
    return !r && r.error().kind == util::ErrorKind::invalid_input;
  };
  Source ok{"http://deb.debian.org/debian", "bookworm", {"main", "contrib"}, "/k.gpg", {}};
  CHECK(apt::validate(ok));
  CHECK(invalid({"ftp://deb.debian.org/debian", "bookworm", {"main"}, "/k.gpg", {}}));
  CHECK(invalid({"deb.debian.org/debian", "bookworm", {"main"}, "/k.gpg", {}}));
  CHECK(invalid({"http://deb.debian.org/debian", "", {"main"}, "/k.gpg", {}}));
  CHECK(invalid({"http://deb.debian.org/debian", "bookworm", {}, "/k.gpg", {}}));
  CHECK(invalid({"http://deb.debian.org/debian", "../bookworm", {"main"}, "/k.gpg", {}}));
  CHECK(invalid({"http://deb.debian.org/debian", "bookworm", {"../main"}, "/k.gpg", {}}));
  CHECK(invalid({"http://deb.debian.org/debian", "./", {"main"}, "/k.gpg", {}}));
  CHECK(invalid({"http://deb.debian.org/debian", "bookworm", {"main"}, "/k.gpg", "yesterday"}));
  CHECK(invalid({"http://deb.debian.org/debian?x=1", "bookworm", {"main"}, "/k.gpg", {}}));
}

TEST_CASE("plain http is allowed for http sources only, never for snapshots") {
  std::vector<Source> sources = {
      {"http://deb.debian.org/debian", "bookworm", {"main"}, "/k", {}},
      {"http://deb.debian.org/debian-security", "bookworm-security", {"main"}, "/k", {}},
      {"https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/", "/", {}, "/k", {}},
      {"http://mirror.local:8080/ubuntu", "jammy", {"main"}, "/k", {}},
      {"http://archive.ubuntu.com/ubuntu", "jammy", {"main"}, "/k", "20240115T000000Z"},
  };
  CHECK(apt::plain_http_hosts(sources) == std::vector<std::string>{"deb.debian.org", "mirror.local:8080"});
}
