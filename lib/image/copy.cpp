#include "image/copy.hpp"

#include <atomic>
#include <mutex>

#include "util/parallel.hpp"

namespace mlpack::image {

namespace {

Result<void> copy_blobs(oci::ImageSource& source, oci::ImageDestination& destination,
                        const oci::Manifest& manifest, const CopyOptions& options, CopyReport& report) {
  std::vector<oci::Descriptor> blobs{manifest.config};
  blobs.insert(blobs.end(), manifest.layers.begin(), manifest.layers.end());
  const auto hint = source.blob_hint();
  std::mutex mu;
  return util::parallel_for(blobs.size(), options.max_parallel, [&](std::size_t i) -> Result<void> {
    const oci::Descriptor& blob = blobs[i];
    const std::string what = (i == 0 ? "copying config " : "copying layer ") + blob.digest.short_str();
    auto present = destination.has_blob(blob, hint);
    if (!present) return std::unexpected(present.error().context(what));
    if (!*present) {
      auto trusted = source.trusted_blob_file(blob);
      auto put = trusted ? destination.put_trusted_blob_file(blob, *trusted)
                         : destination.put_blob(blob, [&]() { return source.open_blob(blob); });
      if (!put) return std::unexpected(put.error().context(what));
    }
    {
      std::lock_guard lock(mu);
      if (*present) {
        ++report.blobs_skipped;
      } else {
        ++report.blobs_copied;
        report.bytes_copied += static_cast<std::uint64_t>(blob.size);
      }
    }
    if (options.on_blob) options.on_blob(BlobEvent{blob, *present});
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
  auto top = source.get_manifest();
  if (!top) return std::unexpected(top.error().context("reading " + source.describe()));
  ResolvedManifest out;
  if (oci::media::is_index(top->media_type)) {
    auto index = oci::parse_index(top->bytes);
    if (!index) return std::unexpected(index.error().context("reading index of " + source.describe()));
    auto chosen = oci::select_platform(*index, platform);
    if (!chosen) return std::unexpected(chosen.error().context(source.describe()));
    auto child = source.get_manifest(chosen->digest);
    if (!child) return std::unexpected(child.error().context("reading " + source.describe()));
    out.index = std::move(*top);
    out.raw = std::move(*child);
  } else {
    out.raw = std::move(*top);
  }
  auto parsed = parse_image_manifest(out.raw);
  if (!parsed) return std::unexpected(parsed.error().context("reading " + source.describe()));
  out.manifest = std::move(*parsed);
  return out;
}

Result<CopyReport> copy_image(oci::ImageSource& source, oci::ImageDestination& destination,
                              const CopyOptions& options) {
  CopyReport report;
  auto top = source.get_manifest();
  if (!top) return std::unexpected(top.error().context("reading " + source.describe()));

  if (oci::media::is_index(top->media_type) && options.platform) {
    auto resolved = resolve_manifest(source, *options.platform);
    if (!resolved) return std::unexpected(resolved.error());
    *top = resolved->raw;
  }

  if (oci::media::is_index(top->media_type)) {
    auto index = oci::parse_index(top->bytes);
    if (!index) return std::unexpected(index.error().context("reading index of " + source.describe()));
    for (const auto& entry : index->manifests) {
      auto child = source.get_manifest(entry.digest);
      if (!child) return std::unexpected(child.error().context("reading " + source.describe()));
      auto manifest = parse_image_manifest(*child);
      if (!manifest) return std::unexpected(manifest.error());
      if (auto r = copy_blobs(source, destination, *manifest, options, report); !r) return std::unexpected(r.error());
      if (auto r = destination.put_manifest(*child); !r)
        return std::unexpected(r.error().context("writing manifest " + child->digest.short_str()));
    }
  } else {
    auto manifest = parse_image_manifest(*top);
    if (!manifest) return std::unexpected(manifest.error());
    if (auto r = copy_blobs(source, destination, *manifest, options, report); !r) return std::unexpected(r.error());
  }
  if (auto r = destination.commit(*top); !r) return std::unexpected(r.error().context("writing " + destination.describe()));
  report.manifest = std::move(*top);
  return report;
}

}  // namespace mlpack::image
