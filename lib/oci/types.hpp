#pragma once
// The OCI image model: descriptors, manifests, indexes, image configs, platforms.
// We write OCI media types and read both OCI and Docker schema 2.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/digest.hpp"
#include "util/error.hpp"

namespace mlpack::oci {

using util::Digest;
using util::Result;

namespace media {
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer_gzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
// OCI 1.1: the config of an artifact that needs none; its content is `{}`.
inline constexpr std::string_view oci_empty = "application/vnd.oci.empty.v1+json";

bool is_index(std::string_view media_type);     // OCI index or Docker manifest list
bool is_manifest(std::string_view media_type);  // OCI or Docker schema 2 image manifest
}  // namespace media

// "linux/amd64", "linux/arm64/v8".
struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;
  std::string os_version;

  static Result<Platform> parse(std::string_view text);
  std::string str() const;
  // Matches an index entry's platform: os and architecture equal, and variant equal when both
  // set (arm64 without a variant matches v8).
  bool matches(const Platform& entry) const;
  bool operator==(const Platform&) const = default;
};

struct Descriptor {
  std::string media_type;
  Digest digest = Digest::sha256_of("");
  std::int64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> urls;
  std::string artifact_type;
};

struct Manifest {
  std::string media_type = std::string(media::oci_manifest);
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
  // OCI 1.1 artifacts: what the manifest holds ("application/spdx+json"; empty: an image) and
  // the manifest it refers to (an SBOM's image), which makes it one of that manifest's referrers.
  std::string artifact_type;
  std::optional<Descriptor> subject;
};

struct Index {
  std::string media_type = std::string(media::oci_index);
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

struct HistoryEntry {
  std::string created;
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
};

// The image config. Fields we do not model are kept in `extra` / `config_extra` so a base
// image's config survives a round trip.
struct ImageConfig {
  std::string created;  // RFC 3339; empty: omitted
  std::string author;
  std::string architecture = "amd64";
  std::string os = "linux";
  std::string variant;
  // config.*
  std::string user;
  std::vector<std::string> env;  // "K=V"
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;  // "8080/tcp"
  std::string stop_signal;
  // rootfs + history
  std::vector<Digest> diff_ids;
  std::vector<HistoryEntry> history;

  nlohmann::json extra = nlohmann::json::object();         // unknown top-level keys
  nlohmann::json config_extra = nlohmann::json::object();  // unknown keys under "config"

  // Sets K=V, replacing an existing K.
  void set_env(std::string_view key, std::string_view value);
};

// A manifest or index exactly as stored: its digest is the digest of `bytes`.
struct RawManifest {
  std::string bytes;
  std::string media_type;
  Digest digest = Digest::sha256_of("");

  static RawManifest from_bytes(std::string bytes, std::string media_type);
};

// Serialisation. Output is canonical: sorted keys, no insignificant whitespace, so the same
// value always gives the same bytes (and digest).
std::string to_json(const Manifest&);
std::string to_json(const Index&);
std::string to_json(const ImageConfig&);
nlohmann::json to_json_value(const Descriptor&);

// Parsing accepts OCI and Docker schema 2 documents. Errors are ErrorKind::invalid_input.
Result<Manifest> parse_manifest(std::string_view json);
Result<Index> parse_index(std::string_view json);
Result<ImageConfig> parse_config(std::string_view json);
Result<Descriptor> parse_descriptor(const nlohmann::json&);
// The media type of a manifest document: its "mediaType" field, else guessed from its shape.
std::string detect_media_type(std::string_view json);

// Picks the manifest for `want` from an index; the error lists the platforms on offer.
Result<Descriptor> select_platform(const Index& index, const Platform& want);

}  // namespace mlpack::oci
