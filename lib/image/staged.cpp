#include "image/staged.hpp"

#include "util/expected.hpp"

namespace mlpack::image {

Result<oci::RawManifest> StagedImage::get_manifest(const std::optional<Digest>& digest) {
  if (!digest || *digest == manifest_.digest) return manifest_;
  return util::fail(util::ErrorKind::not_found, "manifest " + digest->short_str() + " is not part of " + describe());
}

Result<std::unique_ptr<util::Reader>> StagedImage::open_blob(const oci::Descriptor& blob) {
  if (blob.digest == config_digest_)
    return std::unique_ptr<util::Reader>(std::make_unique<util::StringReader>(config_));
  if (store_.has(blob.digest)) {
    auto file = TRY(util::FileReader::open(store_.path_for(blob.digest).string()));
    return std::unique_ptr<util::Reader>(std::move(file));
  }
  if (base_) return base_->open_blob(blob);
  return util::fail(util::ErrorKind::not_found, "blob " + blob.digest.short_str() + " is not in " + describe());
}

}  // namespace mlpack::image
