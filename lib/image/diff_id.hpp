#pragma once
// A layer's diff_id is the sha256 of its content decompressed, and an image's config lists one per
// layer (`rootfs.diff_ids`); runtimes and tools (umoci, containerd) refuse an image where the two
// disagree. Layers that come from outside (a base image, an image being pushed) are checked against
// them as they are read, so such an image is refused before anything is written.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oci/transport.hpp"
#include "oci/types.hpp"

namespace mlpack::image {

using util::Digest;
using util::Result;

// The config of an image manifest, read from `source` and verified against its descriptor; nullopt
// when the manifest's config is not an image config (an artifact's). A config whose diff_ids are
// not one per layer is an error (integrity).
Result<std::optional<oci::ImageConfig>> read_image_config(oci::ImageSource& source, const oci::Manifest& manifest);

// "layer 2 of 3 (sha256:ab12…)", how errors name a layer.
std::string layer_name(const oci::Manifest& manifest, std::size_t index);

// The error (integrity) for a layer whose content is not what the config says.
util::Error diff_id_mismatch(const std::string& layer, const Digest& actual, const Digest& expected);

// Wraps the reader of a layer blob (gzip, zstd, or any codec archive::decompress_detected knows,
// or a plain tar): yields the same bytes, and decompresses them as they pass, so the blob is read
// once. At the end of the stream it fails, instead of reporting the end, when the decompressed
// content's sha256 is not `diff_id` (diff_id_mismatch naming `layer`); a blob that does not
// decompress fails as integrity naming `layer` too. Errors of `blob` itself pass through. Memory:
// one read of the decompressor's at a time.
std::unique_ptr<util::Reader> verify_diff_id(std::unique_ptr<util::Reader> blob, const Digest& diff_id,
                                             std::string layer);

// Reads every layer of `manifest` from `source` to its end through verify_diff_id against
// `diff_ids` (one per layer), at most `max_parallel` at a time: for a base that a copy may never
// read again (its layers already in the blob store or at the destination). Errors name the layer.
Result<void> verify_layers(oci::ImageSource& source, const oci::Manifest& manifest,
                           const std::vector<Digest>& diff_ids, std::size_t max_parallel = 4);

}  // namespace mlpack::image
