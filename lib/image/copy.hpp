#pragma once
// Copies an image between any two locations. Blobs the destination already has are skipped (a
// registry may mount them from the source repository); the manifest goes last, so a failed copy
// never leaves a tag pointing at a missing blob.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "oci/transport.hpp"

namespace mlpack::image {

using util::Result;

struct BlobEvent {
  oci::Descriptor blob;
  bool skipped = false;  // the destination already had it (or mounted it)
};

struct CopyOptions {
  // When the source is an index: copy only the manifest for this platform. Unset: the whole index.
  std::optional<oci::Platform> platform;
  std::size_t max_parallel = 4;
  std::function<void(const BlobEvent&)> on_blob;  // called from worker threads
};

struct CopyReport {
  oci::RawManifest manifest;  // what the destination now points at
  std::size_t blobs_copied = 0;
  std::size_t blobs_skipped = 0;
  std::uint64_t bytes_copied = 0;
};

Result<CopyReport> copy_image(oci::ImageSource& source, oci::ImageDestination& destination,
                              const CopyOptions& options);

// The manifest the source names for `platform` (resolving an index), with its parsed form.
struct ResolvedManifest {
  oci::RawManifest raw;
  oci::Manifest manifest;
  std::optional<oci::RawManifest> index;  // set when the location named an index
};
Result<ResolvedManifest> resolve_manifest(oci::ImageSource& source, const oci::Platform& platform);

}  // namespace mlpack::image
