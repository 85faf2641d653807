#include "pipeline/sink.hpp"

#include <nlohmann/json.hpp>

#include "image/append.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::pipeline {

using buildpacks::BuiltLayer;
using util::ErrorKind;

std::optional<BuiltLayer> LayerCache::find(const std::string& key) const {
  if (disabled) return std::nullopt;
  auto text = util::read_file(dir / key, 1 << 16);
  if (!text) return std::nullopt;
  try {
    auto doc = nlohmann::json::parse(*text);
    auto digest = util::Digest::parse(doc.at("digest").get<std::string>());
    auto diff_id = util::Digest::parse(doc.at("diff_id").get<std::string>());
    if (!digest || !diff_id || !store.has(*digest)) return std::nullopt;
    oci::Descriptor desc;
    desc.media_type = doc.at("media_type").get<std::string>();
    desc.digest = *digest;
    desc.size = doc.at("size").get<std::int64_t>();
    return BuiltLayer{desc, *diff_id, doc.at("contents").get<std::string>(), true};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

void LayerCache::remember(const std::string& key, const BuiltLayer& layer) const {
  nlohmann::json doc = {{"digest", layer.descriptor.digest.str()},
                        {"diff_id", layer.diff_id.str()},
                        {"size", layer.descriptor.size},
                        {"media_type", layer.descriptor.media_type},
                        {"contents", layer.contents}};
  if (util::make_dirs(dir)) (void)util::write_file_atomic(dir / key, doc.dump());
}

namespace {

Result<BuiltLayer> write_layer(image::BlobStore& store, std::vector<archive::Entry> entries,
                               const archive::LayerOptions& options, std::string contents) {
  std::optional<archive::LayerResult> written;
  auto write = [&](util::Writer& out) -> Result<util::Digest> {
    written = TRY(archive::write_layer(std::move(entries), options, out));
    return written->digest;
  };
  TRY_CONTEXT(store.add(write), "writing layer " + contents);
  oci::Descriptor desc;
  desc.media_type = image::layer_media_type(options.compression);
  desc.digest = written->digest;
  desc.size = static_cast<std::int64_t>(written->size);
  return BuiltLayer{desc, written->diff_id, std::move(contents), false};
}

// A layer whose entries can be read twice (files on disk, data in memory): its tar is hashed
// first, and the compressed blob is taken from the cache by that content digest (the diff_id),
// so a rebuild with unchanged files compresses nothing. A miss costs one extra read.
Result<BuiltLayer> write_layer_by_content(image::BlobStore& store, const LayerCache& cache, std::vector<archive::Entry> entries,
                                          const archive::LayerOptions& options, std::string contents) {
  struct Discard final : util::Writer {
    Result<void> write(util::Bytes) override { return {}; }
  } discard;
  archive::LayerOptions plain = options;
  plain.compression = archive::Compression::none;
  auto hashed = TRY_CONTEXT(archive::write_layer(entries, plain, discard), "reading " + contents);
  std::string key = "content-" + util::Digest::sha256_of(hashed.diff_id.str() + " " +
                                                           archive::encoding_key(options).value_or("invalid-options") +
                                                           " " + contents)
                                     .hex();
  if (auto hit = cache.find(key); hit && hit->diff_id == hashed.diff_id) return *hit;
  auto built = TRY(write_layer(store, std::move(entries), options, contents));
  if (built.diff_id != hashed.diff_id)
    return util::fail(ErrorKind::io, contents + " changed while the image was being built; build again");
  cache.remember(key, built);
  return built;
}

}  // namespace

Result<BuiltLayer> Sink::write(buildpacks::Layer layer, buildpacks::FileTimes times, const std::string& key) {
  auto built = TRY(write_layer(store_, std::move(layer.entries), options(times), std::move(layer.contents)));
  cache_.remember(key, built);
  return built;
}

Result<BuiltLayer> Sink::write_by_content(buildpacks::Layer layer, buildpacks::FileTimes times) {
  return write_layer_by_content(store_, cache_, std::move(layer.entries), options(times), std::move(layer.contents));
}

void Sink::add(BuiltLayer layer) {
  report_.layer(layer.contents, static_cast<std::uint64_t>(layer.descriptor.size), layer.cached);
  layers_.push_back(std::move(layer));
}

void Sink::warning(std::string_view message) {
  report_.warning(message);
  warnings_.emplace_back(message);
}

}  // namespace mlpack::pipeline
