#include "pipeline/sink.hpp"

#include <nlohmann/json.hpp>

#include "image/append.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::pipeline {

using buildpacks::BuiltLayer;
using util::ErrorKind;

std::optional<BuiltLayer> LayerCache::find(const std::string& key) const {
  auto hit = lookup(key);
  if (!hit) return std::nullopt;
  return std::move(hit->layer);
}

std::optional<LayerCache::Hit> LayerCache::lookup(const std::string& key) const {
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
    if (!doc.contains("libraries")) return std::nullopt;
    auto libraries = libraries_from_json(doc.at("libraries"));
    if (!libraries) return std::nullopt;
    return Hit{BuiltLayer{desc, *diff_id, doc.at("contents").get<std::string>(), true}, std::move(*libraries)};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

void LayerCache::remember(const std::string& key, const BuiltLayer& layer,
                          std::span<const SharedLibrary> libraries) const {
  nlohmann::json doc = {{"digest", layer.descriptor.digest.str()},
                        {"diff_id", layer.diff_id.str()},
                        {"size", layer.descriptor.size},
                        {"media_type", layer.descriptor.media_type},
                        {"contents", layer.contents},
                        {"libraries", to_json(libraries)}};
  if (util::make_dirs(dir)) (void)util::write_file_atomic(dir / key, doc.dump());
}

namespace {

struct Written {
  BuiltLayer layer;
  std::vector<SharedLibrary> libraries;
};

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
Result<Written> write_layer_by_content(image::BlobStore& store, const LayerCache& cache, std::vector<archive::Entry> entries,
                                       const archive::LayerOptions& options, std::string contents,
                                       const LibraryFilter& filter) {
  LibraryScan scan(filter);
  scan.prepare(entries);
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
  if (auto hit = cache.lookup(key); hit && hit->layer.diff_id == hashed.diff_id)
    return Written{std::move(hit->layer), std::move(hit->libraries)};
  auto built = TRY(write_layer(store, std::move(entries), options, contents));
  if (built.diff_id != hashed.diff_id)
    return util::fail(ErrorKind::io, contents + " changed while the image was being built; build again");
  auto libraries = scan.libraries();
  cache.remember(key, built, libraries);
  return Written{std::move(built), std::move(libraries)};
}

// Who put a layer's files there, for people: its one package with the buildpack's word before
// it ("python: nvidia-cuda-runtime-cu12 12.1.105"), else what the layer holds.
std::string source_of(const BuiltLayer& layer) {
  if (layer.packages.size() != 1) return layer.contents;
  auto colon = layer.contents.find(':');
  if (colon == std::string::npos) return layer.packages.front();
  return layer.contents.substr(0, colon) + ": " + layer.packages.front();
}

}  // namespace


std::optional<BuiltLayer> Sink::find(const std::string& key) const {
  auto hit = cache_.lookup(key);
  if (!hit) return std::nullopt;
  libraries_[hit->layer.diff_id.str()] = std::move(hit->libraries);
  return std::move(hit->layer);
}

Result<BuiltLayer> Sink::write(buildpacks::Layer layer, buildpacks::FileTimes times, const std::string& key) {
  LibraryScan scan(filter_);
  scan.prepare(layer.entries);
  auto built = TRY(write_layer(store_, std::move(layer.entries), options(times), std::move(layer.contents)));
  auto libraries = scan.libraries();
  cache_.remember(key, built, libraries);
  libraries_[built.diff_id.str()] = std::move(libraries);
  return built;
}

Result<BuiltLayer> Sink::write_by_content(buildpacks::Layer layer, buildpacks::FileTimes times) {
  auto written = TRY(write_layer_by_content(store_, cache_, std::move(layer.entries), options(times),
                                            std::move(layer.contents), filter_));
  libraries_[written.layer.diff_id.str()] = std::move(written.libraries);
  return std::move(written.layer);
}

std::vector<BuiltLayer> Sink::take() {
  duplicates_ = find_duplicates(added_);
  for (const auto& d : duplicates_) warning(describe(d));
  added_.clear();
  return std::move(layers_);
}

void Sink::add(BuiltLayer layer) {
  auto found = libraries_.find(layer.diff_id.str());
  added_.push_back({source_of(layer), found == libraries_.end() ? std::vector<SharedLibrary>{} : found->second});
  report_.layer(layer.contents, static_cast<std::uint64_t>(layer.descriptor.size), layer.cached);
  layers_.push_back(std::move(layer));
}

void Sink::warning(std::string_view message) {
  report_.warning(message);
  warnings_.emplace_back(message);
}

}  // namespace mlpack::pipeline
