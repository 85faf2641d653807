#include "registry/registry_transport.hpp"

#include <algorithm>

#include "registry/auth.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"
#include "util/fs.hpp"
#include "util/io.hpp"

namespace mlpack::registry {

using util::ErrorKind;
using util::fail;

namespace {

// distribution-spec 1.1: where a registry without the referrers API keeps an image's referrers,
// an index tagged `sha256-<hex>` after the image's digest.
std::string fallback_tag(const util::Digest& subject) { return subject.algorithm() + "-" + subject.hex(); }

// The index under the fallback tag; an empty one when the tag does not exist.
Result<oci::Index> read_fallback_index(RegistryClient& client, const std::string& repository, const util::Digest& subject) {
  auto raw = client.get_manifest(repository, fallback_tag(subject));
  if (!raw) {
    if (raw.error().kind == ErrorKind::not_found) return oci::Index{};
    return std::unexpected(raw.error());
  }
  return TRY_CONTEXT(oci::parse_index(raw->bytes), "the referrers tag " + fallback_tag(subject));
}

class RegistrySource final : public oci::ImageSource {
 public:
  RegistrySource(oci::Reference ref, std::shared_ptr<RegistryClient> client, fs::path cache_dir,
                 std::optional<util::TempDir> temp_cache)
      : ref_(std::move(ref)), client_(std::move(client)), cache_dir_(std::move(cache_dir)), temp_cache_(std::move(temp_cache)) {}

  std::string describe() const override { return "docker://" + ref_.str(); }

  Result<oci::RawManifest> get_manifest(const std::optional<util::Digest>& digest) override {
    if (digest) return client_->get_manifest(ref_.repository, digest->str(), digest);
    return client_->get_manifest(ref_.repository, ref_.manifest_ref(), ref_.digest);
  }

  Result<std::unique_ptr<util::Reader>> open_blob(const oci::Descriptor& blob) override {
    auto path = TRY(client_->fetch_blob(ref_.repository, blob, cache_dir_));
    auto reader = TRY(util::FileReader::open(path.string()));
    return std::unique_ptr<util::Reader>(std::move(reader));
  }

  std::optional<oci::BlobSourceHint> blob_hint() const override {
    return oci::BlobSourceHint{ref_.registry, ref_.repository};
  }

  // The referrers API (GET /v2/<name>/referrers/<digest>) when the registry has one, else the
  // `sha256-<hex>` tag fallback; a registry without either has none to list.
  Result<std::vector<oci::Descriptor>> referrers(const util::Digest& subject) override {
    const std::string what = "listing the artifacts attached to " + describe();
    net::Request req;
    req.url = "/v2/" + ref_.repository + "/referrers/" + subject.str();
    req.headers.set("Accept", std::string(oci::media::oci_index));
    req.max_buffered_body = 8 << 20;
    auto resp = TRY_CONTEXT(client_->send(req, repository_scope(ref_.repository, false)), what);
    oci::Index idx;
    auto type = resp.headers.get("Content-Type").value_or("");
    if (resp.ok() && type.starts_with(oci::media::oci_index)) {
      idx = TRY_CONTEXT(oci::parse_index(resp.body), what);
    } else if (resp.status == 404 || resp.ok()) {
      idx = TRY_CONTEXT(read_fallback_index(*client_, ref_.repository, subject), what);
    } else {
      req.url = "/v2/" + ref_.repository + "/referrers/" + subject.str();
      return std::unexpected(client_->status_error(req, resp).context(what));
    }
    auto out = std::move(idx.manifests);
    std::sort(out.begin(), out.end(), [](const oci::Descriptor& a, const oci::Descriptor& b) { return a.digest.str() < b.digest.str(); });
    return out;
  }

 private:
  oci::Reference ref_;
  std::shared_ptr<RegistryClient> client_;
  fs::path cache_dir_;
  std::optional<util::TempDir> temp_cache_;
};

class RegistryDestination final : public oci::ImageDestination {
 public:
  RegistryDestination(oci::Reference ref, std::shared_ptr<RegistryClient> client)
      : ref_(std::move(ref)), client_(std::move(client)) {}

  std::string describe() const override { return "docker://" + ref_.str(); }

  Result<bool> has_blob(const oci::Descriptor& blob, const std::optional<oci::BlobSourceHint>& hint) override {
    auto present =
        TRY_CONTEXT(client_->blob_exists(ref_.repository, blob.digest), "checking for blob " + blob.digest.str());
    if (present) return true;
    if (hint && hint->registry == ref_.registry && hint->repository != ref_.repository) {
      auto mounted = TRY_CONTEXT(client_->mount_blob(ref_.repository, blob.digest, hint->repository),
                                 "mounting blob " + blob.digest.str() + " from " + hint->repository);
      return mounted;
    }
    return false;
  }

  Result<void> put_blob(const oci::Descriptor& blob, const oci::BlobOpener& open) override {
    return client_->upload_blob(ref_.repository, blob, open);
  }

  Result<void> put_manifest(const oci::RawManifest& manifest) override {
    return client_->put_manifest(ref_.repository, manifest.digest.str(), manifest);
  }

  Result<void> commit(const oci::RawManifest& top) override {
    if (ref_.digest) {
      if (*ref_.digest != top.digest)
        return fail(ErrorKind::invalid_input, "cannot push manifest " + top.digest.str() + " to " + describe() +
                                                  ", which names a different digest");
      return client_->put_manifest(ref_.repository, top.digest.str(), top);
    }
    return client_->put_manifest(ref_.repository, ref_.tag, top);
  }

  // Pushed by digest. A registry with the referrers API says so with `OCI-Subject` and lists it
  // itself; otherwise the `sha256-<hex>` fallback index gets an entry for it, keeping the
  // referrers already listed there (distribution-spec 1.1, "Pushing Manifests with Subject").
  Result<void> put_referrer(const oci::RawManifest& artifact) override {
    const std::string what = "attaching " + artifact.digest.short_str() + " to " + describe();
    auto parsed = TRY_CONTEXT(oci::parse_manifest(artifact.bytes), what);
    if (!parsed.subject) return fail(ErrorKind::invalid_input, what + ": the manifest has no `subject`");
    net::Request req;
    req.method = "PUT";
    req.url = "/v2/" + ref_.repository + "/manifests/" + artifact.digest.str();
    req.headers.set("Content-Type", artifact.media_type);
    req.body = net::Body::from_string(artifact.bytes);
    auto resp = TRY_CONTEXT(client_->send(req, repository_scope(ref_.repository, true)), what);
    if (resp.status != 201 && resp.status != 200) return std::unexpected(client_->status_error(req, resp).context(what));
    if (auto indexed = resp.headers.get("OCI-Subject"); indexed && util::trim(*indexed) == parsed.subject->digest.str())
      return {};

    auto idx = TRY_CONTEXT(read_fallback_index(*client_, ref_.repository, parsed.subject->digest), what);
    oci::Descriptor entry{artifact.media_type, artifact.digest, static_cast<std::int64_t>(artifact.bytes.size())};
    entry.artifact_type = parsed.artifact_type.empty() ? parsed.config.media_type : parsed.artifact_type;
    entry.annotations = parsed.annotations;
    std::erase_if(idx.manifests, [&](const oci::Descriptor& d) { return d.digest == artifact.digest; });
    idx.manifests.push_back(std::move(entry));
    idx.media_type = std::string(oci::media::oci_index);
    auto index = oci::RawManifest::from_bytes(oci::to_json(idx), std::string(oci::media::oci_index));
    TRY_CONTEXT(client_->put_manifest(ref_.repository, fallback_tag(parsed.subject->digest), index), what);
    return {};
  }

 private:
  oci::Reference ref_;
  std::shared_ptr<RegistryClient> client_;
};

}  // namespace

Result<std::unique_ptr<oci::ImageSource>> open_registry_source(const oci::Reference& ref, const RegistryOptions& options) {
  auto client = TRY(RegistryClient::create(ref.registry, options));
  fs::path cache = options.cache_dir;
  std::optional<util::TempDir> temp;
  if (cache.empty()) {
    auto t = TRY(util::TempDir::create({}, "mlpack-pull-"));
    cache = t.path();
    temp.emplace(std::move(t));
  }
  return std::unique_ptr<oci::ImageSource>(new RegistrySource(ref, std::move(client), cache, std::move(temp)));
}

Result<std::unique_ptr<oci::ImageDestination>> open_registry_destination(const oci::Reference& ref,
                                                                         const RegistryOptions& options) {
  auto client = TRY(RegistryClient::create(ref.registry, options));
  return std::unique_ptr<oci::ImageDestination>(new RegistryDestination(ref, std::move(client)));
}

}  // namespace mlpack::registry
