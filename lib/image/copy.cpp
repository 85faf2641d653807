#include "image/copy.hpp"

#include <atomic>
#include <mutex>

#include "image/diff_id.hpp"
#include "util/expected.hpp"
#include "util/parallel.hpp"

namespace mlpack::image {

namespace {

// Layers that are read are checked against the config's diff_ids on the way (verify_diff_id), so
// an image whose layers are not what its config says is refused before its manifest is written.
// Not read, so not checked: what the destination already has, and mlpack's own blob files
// (trusted_blob_file), whose diff_ids mlpack computed when it wrote them.
Result<void> copy_blobs(oci::ImageSource& source, oci::ImageDestination& destination,
                        const oci::Manifest& manifest, const CopyOptions& options, CopyReport& report) {
  const auto config = TRY_CONTEXT(read_image_config(source, manifest), "copying " + source.describe());
  std::vector<oci::Descriptor> blobs{manifest.config};
  blobs.insert(blobs.end(), manifest.layers.begin(), manifest.layers.end());
  const auto hint = source.blob_hint();
  std::mutex mu;
  return util::parallel_for(blobs.size(), options.max_parallel, [&](std::size_t i) -> Result<void> {
    const oci::Descriptor& blob = blobs[i];
    const std::string what = (i == 0 ? "copying config " : "copying layer ") + blob.digest.short_str();
    auto present = TRY_CONTEXT(destination.has_blob(blob, hint), what);
    if (!present) {
      auto open = [&]() -> Result<std::unique_ptr<util::Reader>> {
        auto reader = TRY(source.open_blob(blob));
        if (i == 0 || !config) return reader;
        return verify_diff_id(std::move(reader), config->diff_ids[i - 1], layer_name(manifest, i - 1));
      };
      auto trusted = source.trusted_blob_file(blob);
      TRY_CONTEXT(trusted ? destination.put_trusted_blob_file(blob, *trusted) : destination.put_blob(blob, open), what);
    }
    {
      std::lock_guard lock(mu);
      if (present) {
        ++report.blobs_skipped;
      } else {
        ++report.blobs_copied;
        report.bytes_copied += static_cast<std::uint64_t>(blob.size);
      }
    }
    if (options.on_blob) options.on_blob(BlobEvent{blob, present});
    return {};
  });
}

Result<oci::Manifest> parse_image_manifest(const oci::RawManifest& raw) {
  if (!oci::media::is_manifest(raw.media_type))
    return util::fail(util::ErrorKind::unsupported,
                      "manifest " + raw.digest.short_str() + " has unsupported media type `" + raw.media_type + "`");
  return oci::parse_manifest(raw.bytes);
}

}  // namespace

Result<ResolvedManifest> resolve_manifest(oci::ImageSource& source, const oci::Platform& platform) {
  auto top = TRY_CONTEXT(source.get_manifest(), "reading " + source.describe());
  ResolvedManifest out;
  if (oci::media::is_index(top.media_type)) {
    auto index = TRY_CONTEXT(oci::parse_index(top.bytes), "reading index of " + source.describe());
    auto chosen = TRY_CONTEXT(oci::select_platform(index, platform), source.describe());
    auto child = TRY_CONTEXT(source.get_manifest(chosen.digest), "reading " + source.describe());
    out.index = std::move(top);
    out.raw = std::move(child);
  } else {
    out.raw = std::move(top);
  }
  out.manifest = TRY_CONTEXT(parse_image_manifest(out.raw), "reading " + source.describe());
  return out;
}

Result<CopyReport> copy_image(oci::ImageSource& source, oci::ImageDestination& destination,
                              const CopyOptions& options) {
  CopyReport report;
  auto top = TRY_CONTEXT(source.get_manifest(), "reading " + source.describe());

  if (oci::media::is_index(top.media_type) && options.platform) {
    auto resolved = TRY(resolve_manifest(source, *options.platform));
    top = resolved.raw;
  }

  if (oci::media::is_index(top.media_type)) {
    auto index = TRY_CONTEXT(oci::parse_index(top.bytes), "reading index of " + source.describe());
    for (const auto& entry : index.manifests) {
      auto child = TRY_CONTEXT(source.get_manifest(entry.digest), "reading " + source.describe());
      auto manifest = TRY(parse_image_manifest(child));
      TRY(copy_blobs(source, destination, manifest, options, report));
      TRY_CONTEXT(destination.put_manifest(child), "writing manifest " + child.digest.short_str());
    }
  } else {
    auto manifest = TRY(parse_image_manifest(top));
    TRY(copy_blobs(source, destination, manifest, options, report));
  }
  TRY_CONTEXT(destination.commit(top), "writing " + destination.describe());
  report.manifest = std::move(top);
  return report;
}

}  // namespace mlpack::image
