#pragma once
// The pipeline's side of buildpacks::LayerSink (internal to lib/pipeline): layer blobs into the
// blob store, cache keys into the layer cache (so a warm rebuild neither unpacks nor compresses
// again), layers stacked in the order the buildpacks add them.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/layer.hpp"
#include "buildpacks/buildpack.hpp"
#include "image/blob_store.hpp"
#include "pipeline/progress.hpp"

namespace mlpack::pipeline {

namespace fs = std::filesystem;
using util::Result;

// A finished layer blob recorded under a key derived from everything that determines its bytes.
struct LayerCache {
  fs::path dir;
  image::BlobStore store;
  bool disabled = false;  // --no-cache: never reuse, still remember

  std::optional<buildpacks::BuiltLayer> find(const std::string& key) const;
  void remember(const std::string& key, const buildpacks::BuiltLayer& layer) const;
};

class Sink final : public buildpacks::LayerSink {
 public:
  Sink(image::BlobStore& store, const LayerCache& cache, Reporter& report, const archive::LayerOptions& fixed,
       const archive::LayerOptions& created, std::map<std::string, double>& timings, std::vector<std::string>& warnings)
      : store_(store), cache_(cache), report_(report), fixed_(fixed), created_(created), timings_(timings),
        warnings_(warnings) {}

  const archive::LayerOptions& options(buildpacks::FileTimes times) const override {
    return times == buildpacks::FileTimes::fixed ? fixed_ : created_;
  }
  std::optional<buildpacks::BuiltLayer> find(const std::string& key) const override { return cache_.find(key); }
  Result<buildpacks::BuiltLayer> write(buildpacks::Layer layer, buildpacks::FileTimes times,
                                       const std::string& key) override;
  Result<buildpacks::BuiltLayer> write_by_content(buildpacks::Layer layer, buildpacks::FileTimes times) override;
  void add(buildpacks::BuiltLayer layer) override;
  void fetching(std::string_view what) override { report_.step(Step::fetch, what); }
  void warning(std::string_view message) override;
  void timing(const std::string& key, double seconds) override { timings_[key] = seconds; }

  std::vector<buildpacks::BuiltLayer> take() { return std::move(layers_); }

 private:
  image::BlobStore& store_;
  const LayerCache& cache_;
  Reporter& report_;
  const archive::LayerOptions& fixed_;
  const archive::LayerOptions& created_;
  std::map<std::string, double>& timings_;
  std::vector<std::string>& warnings_;
  std::vector<buildpacks::BuiltLayer> layers_;
};

}  // namespace mlpack::pipeline
