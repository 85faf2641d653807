#pragma once
// `mlpack append`: directories as layers on top of a base image (or an empty one), plus config
// edits. The result is a StagedImage that can be copied to any location.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archive/layer.hpp"
#include "image/staged.hpp"

namespace mlpack::image {

struct LayerSpec {
  fs::path dir;
  std::string dest = "/";
  // "DIR" or "DIR:/dest"; the destination must be absolute.
  static Result<LayerSpec> parse(std::string_view text);
};

struct ConfigEdits {
  std::optional<std::vector<std::string>> entrypoint;  // setting it clears an inherited Cmd
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> env;  // "K=V"
  std::optional<std::string> workdir;
  std::optional<std::string> user;
  std::map<std::string, std::string> labels;
  std::vector<std::string> ports;  // "8080" or "8080/udp"
};

struct AppendOptions {
  std::shared_ptr<oci::ImageSource> base;  // null: start from an empty image
  oci::Platform platform;
  std::vector<LayerSpec> layers;
  ConfigEdits config;
  archive::LayerOptions layer_options;
  fs::path cache_dir;
  std::string created;  // RFC 3339, for `created` and history
};

struct AppendedLayer {
  oci::Descriptor descriptor;
  Digest diff_id;
  std::string contents;  // "DIR -> /dest"
};

struct AppendResult {
  std::unique_ptr<StagedImage> image;
  std::vector<AppendedLayer> layers;
};

Result<AppendResult> append(const AppendOptions& options);

// Applies edits to a config (shared with later build steps).
Result<void> apply_edits(oci::ImageConfig& config, const ConfigEdits& edits);

// The OCI media type for a layer compression.
std::string layer_media_type(archive::Compression compression);

}  // namespace mlpack::image
