#pragma once
// `oci:DIR[:TAG]`: an OCI image layout on disk (image-spec image-layout.md). The layout holds
// `oci-layout`, `index.json` (one entry per tag, named by `org.opencontainers.image.ref.name`,
// plus untagged entries with an `artifactType` for artifacts attached to an image, such as SBOMs)
// and content-addressed blobs under `blobs/<algorithm>/<hex>`, shared by every tag.
#include <filesystem>
#include <memory>
#include <string_view>

#include "oci/transport.hpp"

namespace mlpack::oci {

inline constexpr std::string_view ref_name_annotation = "org.opencontainers.image.ref.name";

// Reads an image from a layout. With a tag: the index entry carrying that name. Without one: the
// only entry that is not an artifact, or an invalid_input error listing the tags when there are
// several. `referrers` lists the untagged manifests whose `subject` is the given digest. Errors:
// not_found (no layout, unknown tag), invalid_input (malformed oci-layout or index.json).
Result<std::unique_ptr<ImageSource>> open_layout_source(const std::filesystem::path& dir, std::string_view tag = {});

// Writes an image into a layout, creating it if needed. An existing layout keeps its other tags
// and its blobs; `commit` replaces only the entry with the same tag (without a tag: adds an
// untagged entry, replacing an untagged entry for the same digest) and swaps index.json
// atomically. Refuses (invalid_input) a non-empty directory that is not a layout, and (io) a
// directory it cannot write, naming the path. Opening removes temporary files that a killed
// writer left in the layout (util::remove_abandoned_temp_paths). put_blob verifies digest and
// size while streaming and is safe to call concurrently.
Result<std::unique_ptr<ImageDestination>> open_layout_destination(const std::filesystem::path& dir,
                                                                  std::string_view tag = {});

// Checks, writing nothing, what open_layout_destination checks before it writes: the tag, and that
// `dir` is absent, empty, or a layout (the same invalid_input errors). Lets a command refuse a
// destination before it starts its work.
Result<void> check_layout_destination(const std::filesystem::path& dir, std::string_view tag = {});

// Checks a tag for use as a ref name: letters, digits and `._-:@+/`, starting and ending with
// a letter or digit. Errors are invalid_input.
Result<void> validate_layout_tag(std::string_view tag);

}  // namespace mlpack::oci
