#pragma once
// Image locations as users write them (PRODUCT.md): oci:DIR[:TAG], oci-archive:FILE[:TAG],
// docker-archive:FILE[:REF], docker://HOST[:PORT]/REPO[:TAG|@DIGEST], or a bare HOST/REPO:TAG.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/reference.hpp"
#include "oci/transport.hpp"
#include "util/clock.hpp"

namespace mlpack::image {

using util::Result;
namespace fs = std::filesystem;

struct Location {
  enum class Kind { oci_layout, oci_archive, docker_archive, registry };
  Kind kind = Kind::oci_layout;
  fs::path path;               // layout directory or archive file
  std::string tag;             // oci/oci-archive tag, docker-archive "repo:tag"; may be empty
  std::optional<oci::Reference> reference;  // registry only

  // Errors are ErrorKind::invalid_input and say which part is wrong.
  static Result<Location> parse(std::string_view text);
  std::string str() const;
};

// What opening a location needs to know; nothing more (STYLE.md habit 13).
struct OpenOptions {
  fs::path cache_dir;
  std::vector<std::string> insecure_registries;
  // Where registry credentials come from (registry::docker_config_path gives docker's own choice
  // from an environment); nullopt: none, registries are asked anonymously.
  std::optional<fs::path> docker_config;
  fs::path ca_file;  // CA certificates trusted for registries beside the system's; empty: none
  // Registry uploads: blobs over this size go up in PATCH chunks of this size (default: the
  // registry client's, 64 MiB).
  std::optional<std::uint64_t> upload_chunk_size;
};

Result<std::unique_ptr<oci::ImageSource>> open_source(const Location& location, const OpenOptions& options);
Result<std::unique_ptr<oci::ImageDestination>> open_destination(const Location& location,
                                                                const OpenOptions& options);
// Checks, writing nothing and without the network, that open_destination would not refuse the
// location outright: an existing folder that is not an OCI layout, an archive path that is a
// folder, a bad tag (invalid_input). For commands to refuse an output before they start work.
Result<void> check_destination(const Location& location);

}  // namespace mlpack::image
