#pragma once
// An image assembled locally: its manifest and config in memory, its new layers in the blob
// store, and the base's layers read from the base location on demand.
#include <memory>

#include "image/blob_store.hpp"
#include "oci/transport.hpp"

namespace mlpack::image {

class StagedImage final : public oci::ImageSource {
 public:
  StagedImage(oci::RawManifest manifest, std::string config, BlobStore store,
              std::shared_ptr<oci::ImageSource> base)
      : manifest_(std::move(manifest)), config_(std::move(config)), config_digest_(Digest::sha256_of(config_)), store_(std::move(store)), base_(std::move(base)) {}

  std::string describe() const override { return "the built image " + manifest_.digest.short_str(); }
  Result<oci::RawManifest> get_manifest(const std::optional<Digest>& digest) override;
  Result<std::unique_ptr<util::Reader>> open_blob(const oci::Descriptor& blob) override;
  std::optional<oci::BlobSourceHint> blob_hint() const override {
    return base_ ? base_->blob_hint() : std::nullopt;
  }

  std::optional<fs::path> trusted_blob_file(const oci::Descriptor& blob) override {
    if (store_.has(blob.digest)) return store_.path_for(blob.digest);
    return std::nullopt;
  }

  const oci::RawManifest& manifest() const { return manifest_; }
  const std::string& config() const { return config_; }

 private:
  oci::RawManifest manifest_;
  std::string config_;
  Digest config_digest_;
  BlobStore store_;
  std::shared_ptr<oci::ImageSource> base_;
};

}  // namespace mlpack::image
