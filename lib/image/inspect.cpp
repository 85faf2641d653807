#include "image/inspect.hpp"

#include "image/copy.hpp"
#include "util/expected.hpp"

namespace mlpack::image {

Result<nlohmann::json> inspect(oci::ImageSource& source, const oci::Platform& platform) {
  auto resolved = TRY(resolve_manifest(source, platform));
  const auto& manifest = resolved.manifest;
  auto reader = TRY_CONTEXT(source.open_blob(manifest.config), "reading config " + manifest.config.digest.short_str());
  auto verified = oci::verify_reader(std::move(reader), manifest.config);
  auto config_bytes = TRY_CONTEXT(util::read_all(*verified, 16 << 20), "reading config");
  auto config = TRY_CONTEXT(oci::parse_config(config_bytes), "parsing config");

  nlohmann::json doc;
  doc["name"] = source.describe();
  doc["digest"] = resolved.raw.digest.str();
  doc["media_type"] = resolved.raw.media_type;
  if (resolved.index) {
    doc["index_digest"] = resolved.index->digest.str();
    auto index = oci::parse_index(resolved.index->bytes);
    nlohmann::json platforms = nlohmann::json::array();
    if (index)
      for (const auto& m : index->manifests)
        if (m.platform) platforms.push_back(m.platform->str());
    doc["platforms"] = platforms;
  }
  doc["config_digest"] = manifest.config.digest.str();
  doc["created"] = config.created;
  doc["architecture"] = config.architecture;
  doc["os"] = config.os;
  nlohmann::json cfg = nlohmann::json::parse(config_bytes).value("config", nlohmann::json::object());
  doc["config"] = cfg;
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
    const auto& l = manifest.layers[i];
    layers.push_back({{"digest", l.digest.str()},
                      {"size", l.size},
                      {"media_type", l.media_type},
                      {"diff_id", i < config.diff_ids.size() ? config.diff_ids[i].str() : ""}});
  }
  doc["layers"] = layers;
  nlohmann::json history = nlohmann::json::array();
  for (const auto& h : config.history)
    history.push_back({{"created", h.created}, {"created_by", h.created_by}, {"empty_layer", h.empty_layer}});
  doc["history"] = history;
  return doc;
}

}  // namespace mlpack::image
