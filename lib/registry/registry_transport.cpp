#include "registry/registry_transport.hpp"

#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/io.hpp"

namespace mlpack::registry {

using util::ErrorKind;
using util::fail;

namespace {

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
