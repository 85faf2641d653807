#pragma once
// Tarball locations:
//   oci-archive:FILE[:TAG]     a tar of an OCI image layout (what `skopeo copy ... oci-archive:` writes)
//   docker-archive:FILE[:REF]  what `docker save` writes and `docker load` / `podman load` read:
//                              manifest.json, the config as <hex>.json, uncompressed layers as
//                              <diff_id hex>.tar
// Destinations stage their content in a temporary directory next to FILE and, in `commit`,
// write the tar under a temporary name and rename it over FILE, so an interrupted write leaves
// the previous FILE intact. Each holds one image: FILE is replaced, not merged. Sources extract
// the tar into a temporary directory (removed with the source), refusing members that escape.
#include <filesystem>
#include <memory>
#include <string_view>

#include "oci/transport.hpp"

namespace mlpack::oci {

// TAG names the index entry (org.opencontainers.image.ref.name). Reading without a tag takes the
// only image, else fails listing the tags.
Result<std::unique_ptr<ImageSource>> open_oci_archive_source(const std::filesystem::path& file, std::string_view tag = {});
Result<std::unique_ptr<ImageDestination>> open_oci_archive_destination(const std::filesystem::path& file,
                                                                      std::string_view tag = {});
// Checks, writing nothing, what opening the destination checks first: the tag, and that FILE is
// not a directory (invalid_input).
Result<void> check_oci_archive_destination(const std::filesystem::path& file, std::string_view tag = {});

// REF ("name:tag"; ":latest" is added to a bare name) goes into RepoTags; empty: no tag.
// Reading with a REF picks the manifest.json entry carrying it; without one, the only entry.
// The source presents the image as an OCI manifest whose layers are the archive's tar files
// (media type oci_layer_tar, or gzip/zstd when the file is compressed), digests computed from
// the files. The destination decompresses gzip/zstd layers, checks that they hash to the
// config's diff_ids, and refuses an index (select a platform first).
Result<std::unique_ptr<ImageSource>> open_docker_archive_source(const std::filesystem::path& file,
                                                               std::string_view ref = {});
Result<std::unique_ptr<ImageDestination>> open_docker_archive_destination(const std::filesystem::path& file,
                                                                         std::string_view ref = {});
// Checks, writing nothing, what opening the destination checks first: REF, and that FILE is not a
// directory (invalid_input).
Result<void> check_docker_archive_destination(const std::filesystem::path& file, std::string_view ref = {});

// "name:tag" as RepoTags wants it: ":latest" added to a bare name; digests and upper-case
// names refused (invalid_input).
Result<std::string> docker_archive_repo_tag(std::string_view ref);

}  // namespace mlpack::oci
