#pragma once
// The pipeline's side of buildpacks::LayerSink (internal to lib/pipeline): layer blobs into the
// blob store, cache keys into the layer cache (so a warm rebuild neither unpacks nor compresses
// again), layers stacked in the order the buildpacks add them. The sink also notes the watched
// shared libraries each layer holds (NVIDIA's CUDA libraries, by DT_SONAME; shared_libs.hpp), in
// the cache's key files too, so that a cold and a warm build both warn when one library reaches
// the image twice (a pip nvidia-* wheel and a conda or Debian package).
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "archive/layer.hpp"
#include "buildpacks/buildpack.hpp"
#include "image/blob_store.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/shared_libs.hpp"

namespace mlpack::pipeline {

namespace fs = std::filesystem;
using util::Result;

// A finished layer blob recorded under a key derived from everything that determines its bytes.
struct LayerCache {
  fs::path dir;
  image::BlobStore store;
  bool disabled = false;  // --no-cache: never reuse, still remember

  // A layer and the watched shared libraries it holds. A key file written before the libraries
  // were recorded is a miss, so the warnings of a warm build are those of a cold one.
  struct Hit {
    buildpacks::BuiltLayer layer;
    std::vector<SharedLibrary> libraries;
  };
  std::optional<Hit> lookup(const std::string& key) const;
  std::optional<buildpacks::BuiltLayer> find(const std::string& key) const;
  void remember(const std::string& key, const buildpacks::BuiltLayer& layer,
                std::span<const SharedLibrary> libraries = {}) const;
};

class Sink final : public buildpacks::LayerSink {
 public:
  Sink(image::BlobStore& store, const LayerCache& cache, Reporter& report, const archive::LayerOptions& fixed,
       const archive::LayerOptions& created, std::map<std::string, double>& timings, std::vector<std::string>& warnings)
      : store_(store), cache_(cache), report_(report), fixed_(fixed), created_(created), timings_(timings),
        warnings_(warnings) {}

  // Which files are read for their DT_SONAME: the buildpacks' facts::watched_libraries (the cuda
  // buildpack's NVIDIA redistributable libraries); none until given, and an empty filter reads none.
  void watch(LibraryFilter filter) { filter_ = std::move(filter); }

  const archive::LayerOptions& options(buildpacks::FileTimes times) const override {
    return times == buildpacks::FileTimes::fixed ? fixed_ : created_;
  }
  std::optional<buildpacks::BuiltLayer> find(const std::string& key) const override;
  Result<buildpacks::BuiltLayer> write(buildpacks::Layer layer, buildpacks::FileTimes times,
                                       const std::string& key) override;
  Result<buildpacks::BuiltLayer> write_by_content(buildpacks::Layer layer, buildpacks::FileTimes times) override;
  void add(buildpacks::BuiltLayer layer) override;
  void fetching(std::string_view what) override { report_.step(Step::fetch, what); }
  void warning(std::string_view message) override;
  void timing(const std::string& key, double seconds) override { timings_[key] = seconds; }

  // The layers in the order they were added. Once they are all in: each watched soname that
  // files at two or more paths hold becomes a warning (warning(): the summary and --json
  // `warnings`) and a record in duplicates().
  std::vector<buildpacks::BuiltLayer> take();
  // After take(): the duplicated libraries, sorted by soname, for --json `duplicate_libraries`
  // (to_json(DuplicateLibrary) in shared_libs.hpp).
  const std::vector<DuplicateLibrary>& duplicates() const { return duplicates_; }

 private:
  image::BlobStore& store_;
  const LayerCache& cache_;
  Reporter& report_;
  const archive::LayerOptions& fixed_;
  const archive::LayerOptions& created_;
  std::map<std::string, double>& timings_;
  std::vector<std::string>& warnings_;
  std::vector<buildpacks::BuiltLayer> layers_;
  LibraryFilter filter_;
  // The watched libraries of each layer written or found, by diff_id, until it is added.
  mutable std::map<std::string, std::vector<SharedLibrary>> libraries_;
  std::vector<LayerLibraries> added_;  // in add() order
  std::vector<DuplicateLibrary> duplicates_;
};

}  // namespace mlpack::pipeline
