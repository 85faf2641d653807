#include "condaindex/channel.hpp"

#include <doctest/doctest.h>

#include "conda/channel_url.hpp"

using namespace mlpack;
using condaindex::Channel;
using condaindex::parse_channel;

namespace {

Channel one(std::string_view text, std::string_view alias = condaindex::default_channel_alias) {
  auto r = parse_channel(text, alias);
  REQUIRE_MESSAGE(r, text, ": ", (r ? "" : r.error().message));
  REQUIRE(r->size() == 1);
  return r->front();
}

}  // namespace

TEST_CASE("channels: names resolve under the alias") {
  auto cf = one("conda-forge");
  CHECK(cf.name == "conda-forge");
  CHECK(cf.url == "https://conda.anaconda.org/conda-forge");
  CHECK(cf.request_base == cf.url);
  CHECK(!cf.credentials);
  CHECK(!cf.is_file());
  auto nightly = one("pytorch/label/nightly/");
  CHECK(nightly.name == "pytorch/label/nightly");
  CHECK(nightly.url == "https://conda.anaconda.org/pytorch/label/nightly");
  auto mirrored = one("bioconda", "https://mirror.example/conda/");
  CHECK(mirrored.url == "https://mirror.example/conda/bioconda");
}

TEST_CASE("channels: defaults is Anaconda's main and r") {
  auto r = parse_channel("defaults");
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].url == "https://repo.anaconda.com/pkgs/main");
  CHECK((*r)[0].name == "pkgs/main");
  CHECK((*r)[1].url == "https://repo.anaconda.com/pkgs/r");
}

TEST_CASE("channels: URLs and local folders") {
  auto https = one("https://repo.example/channels/mine/");
  CHECK(https.url == "https://repo.example/channels/mine");
  CHECK(https.name == https.url);
  auto file = one("file:///srv/my%20channel");
  CHECK(file.is_file());
  CHECK(file.url == "file:///srv/my%20channel");
  auto path = one("/srv/my channel");
  CHECK(path.url == "file:///srv/my%20channel");
}

TEST_CASE("channels: tokens and userinfo are kept for requests, never in url or name") {
  auto tok = one("https://conda.anaconda.org/t/tk-123-secret/private-chan");
  CHECK(tok.url == "https://conda.anaconda.org/private-chan");
  CHECK(tok.name == "https://conda.anaconda.org/private-chan");
  CHECK(tok.request_base == "https://conda.anaconda.org/t/tk-123-secret/private-chan");
  CHECK(tok.with_credentials("https://conda.anaconda.org/private-chan/linux-64/a-1-0.conda") ==
        "https://conda.anaconda.org/t/tk-123-secret/private-chan/linux-64/a-1-0.conda");
  CHECK(tok.with_credentials("https://elsewhere.example/a-1-0.conda") == "https://elsewhere.example/a-1-0.conda");
  CHECK(tok.with_credentials("https://conda.anaconda.org/private-chan2/x.conda") ==
        "https://conda.anaconda.org/private-chan2/x.conda");

  auto basic = one("https://us%40er:p%3Ass@repo.example/chan");
  CHECK(basic.url == "https://repo.example/chan");
  CHECK(basic.request_base == "https://repo.example/chan");
  REQUIRE(basic.credentials);
  CHECK(basic.credentials->user == "us@er");
  CHECK(basic.credentials->password == "p:ss");
  CHECK(basic.with_credentials("https://repo.example/chan/noarch/b-1-0.conda") ==
        "https://us%40er:p%3Ass@repo.example/chan/noarch/b-1-0.conda");

  // A token in the alias applies to names under it.
  auto aliased = one("conda-forge", "https://conda.anaconda.org/t/alias-token");
  CHECK(aliased.url == "https://conda.anaconda.org/conda-forge");
  CHECK(aliased.request_base == "https://conda.anaconda.org/t/alias-token/conda-forge");
}

TEST_CASE("channels: refused entries say why, without secrets") {
  auto refused = [](std::string_view text, std::string_view says) {
    auto r = parse_channel(text);
    REQUIRE_MESSAGE(!r, text);
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
    CHECK_MESSAGE(r.error().message.find(says) != std::string::npos, r.error().message);
    CHECK(r.error().message.find("sekrit") == std::string::npos);
  };
  refused("", "empty");
  refused("conda forge", "no spaces");
  refused("${PRIVATE_CHANNEL}", "not expanded");
  refused("https://conda.anaconda.org/t/${TOKEN}/x", "not expanded");
  refused("ftp://u:sekrit@host/chan", "only http://, https:// and file://");
  refused("sftp://host/t/sekrit/chan", "only http://");
  refused("file://otherhost/srv/chan", "another host");
  refused("./local", "absolute path");
  refused("conda-forge::numpy", "`::`");
  refused("../up", "absolute path");
  refused("a/../b", "not a channel name");
  refused("na$me", "not a channel name");
}

TEST_CASE("channel URLs: redacted for messages, stripped for records") {
  CHECK(conda::redact_channel_url("https://u:p@h/t/tok/chan/linux-64/x.conda") ==
        "https://***@h/t/***/chan/linux-64/x.conda");
  CHECK(conda::redact_channel_url("https://h/chan") == "https://h/chan");
  CHECK(conda::strip_channel_credentials("https://u:p@h/t/tok/chan/x.conda") == "https://h/chan/x.conda");
  CHECK(conda::strip_channel_credentials("https://h/t/tok") == "https://h");
  CHECK(conda::strip_channel_credentials("https://h/chan/t/x") == "https://h/chan/t/x");  // not at the path's start
  CHECK(conda::channel_token("https://h/t/tok/chan") == "tok");
  CHECK(!conda::channel_token("https://h/chan"));
}

TEST_CASE("platform subdirs") {
  CHECK(condaindex::platform_subdir("linux", "amd64") == "linux-64");
  CHECK(condaindex::platform_subdir("linux", "arm64") == "linux-aarch64");
  CHECK(condaindex::platform_subdir("linux", "ppc64le") == "linux-ppc64le");
  auto windows = condaindex::platform_subdir("windows", "amd64");
  REQUIRE(!windows);
  CHECK(windows.error().kind == util::ErrorKind::unsupported);
}
