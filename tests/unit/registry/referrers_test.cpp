#include <doctest/doctest.h>

#include "fake_registry.hpp"
#include "oci/reference.hpp"
#include "registry/registry_transport.hpp"
#include "util/fs.hpp"

using namespace mlpack;
using test::FakeRegistry;
using test::respond;
using test::Seen;

namespace {

struct Env {
  FakeRegistry reg;
  util::TempDir dir = std::move(*util::TempDir::create());

  Env() { REQUIRE(util::write_file_atomic(dir.path() / "config.json", R"({"auths":{}})")); }

  registry::RegistryOptions options() {
    registry::RegistryOptions o;
    o.http = std::shared_ptr<net::HttpClient>(&reg.http, [](net::HttpClient*) {});
    o.docker_config = dir.path() / "config.json";
    o.cache_dir = dir.path() / "cache";
    return o;
  }
  std::unique_ptr<oci::ImageDestination> destination() {
    auto d = registry::open_registry_destination(*oci::Reference::parse("reg.example/team/app:v1"), options());
    REQUIRE(d);
    return std::move(*d);
  }
  std::unique_ptr<oci::ImageSource> source() {
    auto s = registry::open_registry_source(*oci::Reference::parse("reg.example/team/app:v1"), options());
    REQUIRE(s);
    return std::move(*s);
  }
};

oci::RawManifest image() {
  oci::Manifest m;
  m.config = oci::Descriptor{std::string(oci::media::oci_config), util::Digest::sha256_of("{}"), 2};
  return oci::RawManifest::from_bytes(oci::to_json(m), std::string(oci::media::oci_manifest));
}

oci::RawManifest artifact(const oci::RawManifest& subject, const std::string& type, const std::string& doc) {
  oci::Manifest m;
  m.artifact_type = type;
  m.config = oci::Descriptor{std::string(oci::media::oci_empty), util::Digest::sha256_of("{}"), 2};
  m.layers = {oci::Descriptor{type, util::Digest::sha256_of(doc), static_cast<std::int64_t>(doc.size())}};
  m.subject = oci::Descriptor{subject.media_type, subject.digest, static_cast<std::int64_t>(subject.bytes.size())};
  return oci::RawManifest::from_bytes(oci::to_json(m), std::string(oci::media::oci_manifest));
}

}  // namespace

TEST_CASE("registry without the referrers API: the sha256-<hex> tag lists the artifacts, keeping others") {
  Env env;
  auto img = image();
  auto dest = env.destination();
  REQUIRE(dest->commit(img));
  auto spdx = artifact(img, "application/spdx+json", "{\"a\":1}");
  auto cdx = artifact(img, "application/vnd.cyclonedx+json", "{\"b\":2}");
  REQUIRE(dest->put_referrer(spdx));
  REQUIRE(dest->put_referrer(cdx));
  REQUIRE(dest->put_referrer(spdx));  // again: still listed once

  auto tag = "team/app@sha256-" + img.digest.hex();
  REQUIRE(env.reg.manifests.contains(tag));
  CHECK(env.reg.manifests[tag].first == oci::media::oci_index);
  auto idx = oci::parse_index(env.reg.manifests[tag].second);
  REQUIRE(idx);
  REQUIRE(idx->manifests.size() == 2);
  CHECK(idx->manifests[0].digest == cdx.digest);
  CHECK(idx->manifests[1].digest == spdx.digest);
  CHECK(idx->manifests[1].artifact_type == "application/spdx+json");
  // The artifacts themselves are stored by digest; the image's tag is untouched.
  CHECK(env.reg.manifests.contains("team/app@" + spdx.digest.str()));
  CHECK(env.reg.manifests["team/app@v1"].second == img.bytes);

  auto refs = env.source()->referrers(img.digest);
  REQUIRE_MESSAGE(refs, refs.error().message);
  REQUIRE(refs->size() == 2);
  std::set<std::string> types = {(*refs)[0].artifact_type, (*refs)[1].artifact_type};
  CHECK(types == std::set<std::string>{"application/spdx+json", "application/vnd.cyclonedx+json"});
  // Nothing attached: an empty list, not an error.
  auto none = env.source()->referrers(util::Digest::sha256_of("other"));
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("registry with the referrers API: OCI-Subject means no fallback tag; the API lists them") {
  Env env;
  auto img = image();
  auto spdx = artifact(img, "application/spdx+json", "{\"a\":1}");
  std::string listed = oci::to_json(oci::Index{std::string(oci::media::oci_index),
                                               {oci::Descriptor{std::string(oci::media::oci_manifest),
                                                                spdx.digest,
                                                                static_cast<std::int64_t>(spdx.bytes.size()),
                                                                {},
                                                                {},
                                                                {},
                                                                "application/spdx+json"}},
                                               {}});
  env.reg.fault = [&](const Seen& s) -> std::optional<util::Result<net::Response>> {
    if (s.method == "PUT" && s.path() == "/v2/team/app/manifests/" + spdx.digest.str()) {
      env.reg.manifests["team/app@" + spdx.digest.str()] = {std::string(oci::media::oci_manifest), s.body};
      return respond(201, {{"Docker-Content-Digest", spdx.digest.str()}, {"OCI-Subject", img.digest.str()}});
    }
    if (s.method == "GET" && s.path() == "/v2/team/app/referrers/" + img.digest.str())
      return respond(200, {{"Content-Type", std::string(oci::media::oci_index)}}, listed);
    return std::nullopt;
  };
  auto dest = env.destination();
  REQUIRE(dest->commit(img));
  auto put = dest->put_referrer(spdx);
  REQUIRE_MESSAGE(put, put.error().message);
  CHECK_FALSE(env.reg.manifests.contains("team/app@sha256-" + img.digest.hex()));
  auto refs = env.source()->referrers(img.digest);
  REQUIRE(refs);
  REQUIRE(refs->size() == 1);
  CHECK((*refs)[0].digest == spdx.digest);
}

TEST_CASE("an artifact without a subject is refused") {
  Env env;
  oci::Manifest m;
  m.config = oci::Descriptor{std::string(oci::media::oci_empty), util::Digest::sha256_of("{}"), 2};
  auto r = env.destination()->put_referrer(
      oci::RawManifest::from_bytes(oci::to_json(m), std::string(oci::media::oci_manifest)));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::invalid_input);
}
