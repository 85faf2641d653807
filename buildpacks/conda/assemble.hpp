#pragma once
// The conda buildpack's build step: the locked conda packages downloaded (sha256-verified into the
// blob store), linked into /opt/conda by lib/condapkg and cut into layers; and what the image's
// config gets from the environment (activation baked into Env).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "buildpacks/buildpack.hpp"
#include "condaindex/channel.hpp"
#include "condapkg/condapkg.hpp"
#include "lock/lockfile.hpp"

namespace mlpack::buildpacks::conda {

// Where the environment lives in the image.
inline constexpr std::string_view environment_prefix = "/opt/conda";

// How the environment is cut into layers, so that images share their large packages and a change
// to a small one rebuilds no large one: each package of at least `large_bytes` (the lock's size)
// gets a layer of its own, largest first and at most `budget - 1` of them, in name order; every
// other package shares one layer, last. Nothing from the build's state (download order, cache)
// decides it: only the lock.
struct EnvGroup {
  std::vector<const lock::Package*> packages;  // sorted by name
  std::string contents;                        // "conda: pytorch 2.3.0", "conda: 41 packages in /opt/conda"
};
inline constexpr std::size_t default_env_budget = 16;
inline constexpr std::uint64_t default_large_package = 50ull << 20;
std::vector<EnvGroup> plan_environment(const lock::LockFile& lock, std::size_t budget = default_env_budget,
                                       std::uint64_t large_bytes = default_large_package);

// The environment's layers as the image's layer plan has them (facts::layer_plan, lib/layerplan):
// its conda layers bottom to top, each described by the plan (history text naming its packages).
// A conda package the plan leaves out, or puts twice, is an internal error.
Result<std::vector<EnvGroup>> plan_environment(const lock::LockFile& lock, const facts::LayerPlan& plan);

// The prefix the lock's packages go to: /opt/conda, with the locked python's site-packages
// (`lib/pythonX.Y/site-packages`, or its record's python_site_packages_path); no python: none.
condapkg::Prefix prefix_of(const lock::LockFile& lock);

// A lock entry as condapkg takes it: the record conda-meta gets (build number, depends,
// constrains, licence, md5, subdir, noarch), its URL and channel without credentials, and the spec
// the environment file asked for it with (`requested`: name → spec as written).
condapkg::PackageRef package_ref(const lock::Package& p, const std::map<std::string, std::string>& requested);

// Where the packages are fetched from and what the project asked for.
struct EnvSources {
  // The channels as requests go to them (credentials kept), for channel URLs in the lock.
  std::vector<condaindex::Channel> channels;
  // Package URLs as a conda-lock or @EXPLICIT file wrote them (credentials kept), by their
  // credential-free form.
  std::map<std::string, std::string> urls;
  std::map<std::string, std::string> requested;  // name → spec as written
  std::vector<std::string> specs;                // every spec as written, for conda-meta/history
};

// What the environment tells the image config: the variables its plain activation scripts export,
// in package and file order. Kept beside the layer cache (`<cache>/conda-activation/<key>.json`)
// so a build whose layers all come from the cache still knows them.
struct Activation {
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> warnings;  // link scripts not run, activation scripts not understood
};

// Adds the environment's layers to `sink` (cached under keys derived from the locked sha256s, the
// prefix and the layer encoding), then conda-meta/history in a small layer of its own; returns
// the activation. Every package is downloaded and installed again when any layer is missing from
// the cache, so clobbering is checked across the whole environment.
Result<Activation> add_environment_layers(Context& ctx, const lock::LockFile& lock, LayerSink& sink,
                                          const EnvSources& sources);

// The environment file's `pip:` list (pypi lock entries marked `installer: conda`), installed
// with lib/wheel into the environment's site-packages (`/opt/conda/lib/pythonX.Y/site-packages`,
// launchers in /opt/conda/bin run by /opt/conda/bin/python, INSTALLER `mlpack`), in one layer above
// the conda layers, cached by the locked wheels' sha256s. `netrc`: the index credentials
// (pyindex::Netrc::default_path); nullopt: none. Nothing to install: no layer.
Result<void> add_pip_layer(Context& ctx, const lock::LockFile& lock, LayerSink& sink, std::optional<fs::path> netrc);

}  // namespace mlpack::buildpacks::conda
