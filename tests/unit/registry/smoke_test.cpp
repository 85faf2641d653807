// Push and pull against a real registry through libcurl. Skipped unless
// MLPACK_REGISTRY_SMOKE=HOST:PORT names a running registry (credentials, if it needs them, come
// from $DOCKER_CONFIG; a self-signed CA from $SSL_CERT_FILE). The integration suite covers this
// end to end; this case exists to exercise the curl path from the library alone.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>

#include "oci/reference.hpp"
#include "registry/registry_transport.hpp"
#include "skip.hpp"
#include "util/fs.hpp"

using namespace mlpack;

namespace {
std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

oci::BlobOpener opener(const std::string& data) {
  return [&data]() -> util::Result<std::unique_ptr<util::Reader>> { return std::make_unique<util::StringReader>(data); };
}

oci::Descriptor describe(const std::string& data, std::string_view media_type) {
  oci::Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = util::Digest::sha256_of(data);
  d.size = static_cast<std::int64_t>(data.size());
  return d;
}
}  // namespace

TEST_CASE("smoke: push and pull through a real registry") {
  const char* host = std::getenv("MLPACK_REGISTRY_SMOKE");
  if (!host || !*host) {
    MLPACK_SKIP("MLPACK_REGISTRY_SMOKE is not set (an opt-in check against a registry of your own)");
    return;
  }
  std::random_device rd;
  const unsigned seed = rd();

  auto ref = oci::Reference::parse(std::string(host) + "/smoke/image:v1");
  REQUIRE_MESSAGE(ref, ref.error().message);
  auto cache = util::TempDir::create();
  REQUIRE(cache);
  registry::RegistryOptions options;
  options.cache_dir = cache->path();
  options.monolithic_limit = 1 << 20;  // so the large layer goes up in chunks
  options.chunk_size = 512 << 10;

  const std::string small = random_bytes(1000, seed);
  const std::string large = random_bytes(3 * 1024 * 1024 + 17, seed + 1);
  // The seed makes every blob new to the registry, so each run uploads.
  const std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"seed":)" +
                             std::to_string(seed) + "}";
  oci::Manifest m;
  m.config = describe(config, oci::media::oci_config);
  m.layers = {describe(small, oci::media::oci_layer_gzip), describe(large, oci::media::oci_layer_gzip)};
  auto top = oci::RawManifest::from_bytes(oci::to_json(m), std::string(oci::media::oci_manifest));

  {
    auto dest = registry::open_registry_destination(*ref, options);
    REQUIRE_MESSAGE(dest, dest.error().message);
    for (const auto* data : {&config, &small, &large}) {
      auto d = describe(*data, "x");
      auto has = (*dest)->has_blob(d, std::nullopt);
      REQUIRE_MESSAGE(has, has.error().message);
      CHECK_FALSE(*has);
      auto put = (*dest)->put_blob(d, opener(*data));
      REQUIRE_MESSAGE(put, put.error().message);
      has = (*dest)->has_blob(d, std::nullopt);
      REQUIRE(has);
      CHECK(*has);
    }
    auto c = (*dest)->commit(top);
    REQUIRE_MESSAGE(c, c.error().message);
  }

  {
    auto src = registry::open_registry_source(*ref, options);
    REQUIRE_MESSAGE(src, src.error().message);
    auto got = (*src)->get_manifest();
    REQUIRE_MESSAGE(got, got.error().message);
    CHECK(got->digest == top.digest);
    CHECK(got->media_type == oci::media::oci_manifest);
    auto blob = (*src)->open_blob(describe(large, oci::media::oci_layer_gzip));
    REQUIRE_MESSAGE(blob, blob.error().message);
    auto bytes = util::read_all(**blob, 64 << 20);
    REQUIRE(bytes);
    CHECK(*bytes == large);
    CHECK(std::filesystem::exists(cache->path() / "blobs/sha256" / util::Digest::sha256_of(large).hex()));

    // A mount into another repository of the same registry.
    auto other = oci::Reference::parse(std::string(host) + "/smoke/other:v1");
    REQUIRE(other);
    auto dest2 = registry::open_registry_destination(*other, options);
    REQUIRE(dest2);
    auto mounted = (*dest2)->has_blob(describe(large, "x"), (*src)->blob_hint());
    REQUIRE_MESSAGE(mounted, mounted.error().message);
    CHECK(*mounted);
  }
}
