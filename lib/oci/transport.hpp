#pragma once
// Image locations behind one interface, chosen by transport prefix (oci:, oci-archive:,
// docker-archive:, docker://). Implementations: oci/layout.hpp, oci/archive_transport.hpp,
// registry/registry_transport.hpp. The factory that parses a location lives in lib/image.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "oci/types.hpp"
#include "util/io.hpp"

namespace mlpack::oci {

// Opens a fresh reader over a blob's bytes; may be called again to retry an upload.
using BlobOpener = std::function<Result<std::unique_ptr<util::Reader>>()>;

// Where a blob is already known to live, so a registry can mount it instead of uploading.
struct BlobSourceHint {
  std::string registry;    // "localhost:5000"
  std::string repository;  // "team/base"
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // "oci:/path/to/layout:tag", "docker://host/repo:tag"; never contains credentials.
  virtual std::string describe() const = 0;
  // The manifest or index the location names (digest == nullopt), or a child by digest.
  virtual Result<RawManifest> get_manifest(const std::optional<Digest>& digest = std::nullopt) = 0;
  // The blob's bytes. Callers verify the digest while reading (see verify_reader below).
  virtual Result<std::unique_ptr<util::Reader>> open_blob(const Descriptor& blob) = 0;
  // Set when the blobs live on a registry, so a push to the same registry can mount them.
  virtual std::optional<BlobSourceHint> blob_hint() const { return std::nullopt; }
  // A local file holding exactly the blob's bytes, already verified when it was written (mlpack's
  // own content-addressed cache), so a destination may link it instead of copying and hashing it
  // again. Sources whose files come from outside return nullopt.
  virtual std::optional<std::filesystem::path> trusted_blob_file(const Descriptor&) { return std::nullopt; }
  // The artifacts attached to `subject` (OCI 1.1 referrers: manifests whose `subject` is it), as
  // descriptors carrying their `artifactType`, sorted by digest. Locations that cannot list them
  // say so (ErrorKind::unsupported).
  virtual Result<std::vector<Descriptor>> referrers(const Digest& subject);
};

class ImageDestination {
 public:
  virtual ~ImageDestination() = default;
  virtual std::string describe() const = 0;
  // True if the destination already has the blob. A registry may mount it from `hint` first.
  // Thread-safe: called concurrently for different blobs.
  virtual Result<bool> has_blob(const Descriptor& blob, const std::optional<BlobSourceHint>& hint) = 0;
  // Stores a blob. Thread-safe. Must verify digest and size and refuse a mismatch.
  virtual Result<void> put_blob(const Descriptor& blob, const BlobOpener& open) = 0;
  // Stores a blob from a trusted file (see ImageSource::trusted_blob_file). The default streams
  // it through put_blob; a local destination may hard-link it.
  virtual Result<void> put_trusted_blob_file(const Descriptor& blob, const std::filesystem::path& file) {
    return put_blob(blob, [file]() -> Result<std::unique_ptr<util::Reader>> {
      auto r = util::FileReader::open(file.string());
      if (!r) return std::unexpected(r.error());
      return std::unique_ptr<util::Reader>(std::move(*r));
    });
  }
  // Stores a manifest referenced from the top-level index (not tagged).
  virtual Result<void> put_manifest(const RawManifest& manifest) = 0;
  // Stores the top-level manifest or index and points the location's tag at it. Called last,
  // once every blob is in place; atomic: the previous content stays intact if it fails.
  virtual Result<void> commit(const RawManifest& top) = 0;
  // Attaches an artifact manifest (one with a `subject`, e.g. an SBOM) once its blobs and its
  // subject are in place; the subject's tag and digest do not change. Locations that cannot hold
  // one say so (ErrorKind::unsupported).
  virtual Result<void> put_referrer(const RawManifest& artifact);
};

// Wraps a reader and fails at end of stream if the bytes do not match `expected` (digest and
// size). Errors are ErrorKind::integrity and name the digest.
std::unique_ptr<util::Reader> verify_reader(std::unique_ptr<util::Reader> inner, const Descriptor& expected);

}  // namespace mlpack::oci
