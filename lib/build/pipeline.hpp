#pragma once
// The build pipeline behind `mlpack lock` and `mlpack build`: detect → lock → fetch/assemble →
// output. Each step is a function of its own so it can be tested and shown on its own.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apt/client.hpp"
#include "build/progress.hpp"
#include "buildpacks/debian_base/debian_base.hpp"
#include "buildpacks/python/python.hpp"
#include "detectors/apt_txt.hpp"
#include "detectors/entrypoint.hpp"
#include "detectors/project_config.hpp"
#include "image/location.hpp"
#include "lock/lockfile.hpp"
#include "oci/types.hpp"

namespace mlpack::build {

namespace fs = std::filesystem;
using util::Result;

// What the project asks for, read from its files only (no network).
struct Detected {
  fs::path project;
  std::string name;  // image name: mlpack.yaml `name`, else the folder name
  detectors::ProjectConfig config;
  std::vector<detectors::AptRequest> apt;
  bool python = false;                // the project needs a Python interpreter
  buildpacks::python::Inputs py;      // requirements.txt, pyproject.toml, runtime.txt…
  std::vector<std::string> files;     // project files that were understood, relative
  detectors::DefaultCommand default_command;
  std::vector<std::string> notes;     // decisions the user should see (which file took precedence)
  std::string conda_only;             // "environment.yml" when that is all the project has  // Procfile `web:` or ./start, when mlpack.yaml names none
};

Result<Detected> detect(const fs::path& project);

struct Options {
  fs::path cache_dir;
  std::string platform = "linux/amd64";
  std::optional<std::string> base;  // --base overrides mlpack.yaml
  apt::Verify verify = apt::Verify::yes;
  std::vector<std::string> insecure_registries;
  std::optional<std::string> python;         // --python X.Y
  buildpacks::python::Selection selection;   // --extra / --group
  bool no_cache = false;                     // --no-cache: build every layer again (the cache is still filled)
  Reporter* reporter = nullptr;              // progress; nullptr: silent
};

// The digest of what the project asked for; a lock whose `inputs` differs is out of date.
std::string inputs_digest(const Detected& detected, const Options& options);
// The digests of its parts ("base", "apt", "python"), recorded so a stale lock can name what changed.
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

struct BuiltLayer {
  oci::Descriptor descriptor;
  util::Digest diff_id;
  std::string contents;
  bool cached = false;  // re-used from the cache, not compressed again
};

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
