#pragma once
// The build pipeline behind `mlpack detect`, `mlpack lock` and `mlpack build`: detect → lock →
// fetch/assemble → output. Each step is a function of its own so it can be tested and shown on its
// own, and each runs the buildpacks (buildpacks/buildpack.hpp) in order; it names no ecosystem.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "build/progress.hpp"
#include "buildpacks/buildpack.hpp"
#include "buildpacks/registry.hpp"
#include "image/location.hpp"
#include "lock/lockfile.hpp"
#include "oci/types.hpp"

namespace mlpack::build {

namespace fs = std::filesystem;
using util::Result;

// What the project asks for, read from its files only (no network): mlpack.yaml and the facts
// the buildpacks published (buildpacks::Project), and the buildpacks that read them, which the
// later steps run again in the same order.
struct Detected : buildpacks::Project {
  buildpacks::Buildpacks buildpacks;
  bool applies = false;  // some buildpack found something it understood (Python code, apt.txt…)
};

// Runs each buildpack's detect() in order. Files are listed once: mlpack's own first, then what
// each buildpack understood.
Result<Detected> detect(const fs::path& project, buildpacks::Buildpacks buildpacks = buildpacks::default_buildpacks());

// The buildpacks' options plus the pipeline's own.
struct Options : buildpacks::Options {
  std::vector<std::string> insecure_registries;
  bool no_cache = false;         // --no-cache: build every layer again (the cache is still filled)
  Reporter* reporter = nullptr;  // progress; nullptr: silent
};

// The digest of what the project asked for; a lock whose `inputs` differs is out of date.
std::string inputs_digest(const Detected& detected, const Options& options);
// The digests of its parts (debian-base: "base", "apt"; python: "python"), recorded so a stale
// lock can name what changed.
std::map<std::string, std::string> input_parts(const Detected& detected, const Options& options);

struct Locked {
  fs::path path;  // <project>/mlpack.lock
  lock::LockFile lock;
  bool reused = false;  // the existing lock matched the project and was kept
};

// Resolves the project and writes mlpack.lock. With `upgrade` == false an existing lock whose
// inputs match is reused as it is.
Result<Locked> lock_project(const Detected& detected, const Options& options, bool upgrade);
// Reads mlpack.lock and checks it still matches the project (`--locked`).
Result<Locked> read_lock(const Detected& detected, const Options& options);

using BuiltLayer = buildpacks::BuiltLayer;

struct Built {
  oci::RawManifest manifest;
  util::Digest config_digest = util::Digest::sha256_of("");
  std::vector<BuiltLayer> layers;
  std::vector<std::string> outputs;
  std::map<std::string, double> timings;  // seconds per step
  std::uint64_t bytes_pushed = 0;         // blob bytes written to the outputs (skipped blobs not counted)
  std::size_t blobs_pushed = 0;
  std::size_t blobs_skipped = 0;
};

struct BuildRequest {
  std::vector<std::string> outputs;  // locations; empty: oci:<project>/.mlpack/image:<name>
};

// Assembles the image from the lock and writes it to every output.
Result<Built> build_image(const Detected& detected, const Locked& locked, const Options& options,
                          const BuildRequest& request);

// `created` for the image: SOURCE_DATE_EPOCH, else the last git commit time, else 0.
Result<std::int64_t> created_time(const fs::path& project);

}  // namespace mlpack::build
