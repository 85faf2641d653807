#pragma once
// The conda buildpack: a project's conda environment (environment.yml, conda-lock.yml or
// `@EXPLICIT` files, found by detectors::find_conda_env) pinned into `conda` lock entries, with no
// conda, mamba or Python run at build time. environment.yml is solved over the channels it lists
// (lib/condaindex fetches their repodata, lib/condaresolve solves for the target's virtual
// packages); conda-lock.yml and explicit files are taken as they are.
#include <optional>
#include <string>
#include <vector>

#include "conda/match_spec.hpp"
#include "detectors/conda_env.hpp"
#include "oci/types.hpp"
#include "util/environment.hpp"

namespace mlpack::buildpacks::conda {

namespace fs = std::filesystem;
using util::Result;

// A dependency of environment.yml, parsed, with where it was written.
struct Spec {
  mlpack::conda::MatchSpec spec;
  detectors::CondaSpec written;
  bool added = false;  // not in the file: mlpack added it as conda would (`pip` for a `pip:` list)
};

// A channel as listed, with ${VAR} expanded from the environment the CLI read.
struct ChannelRef {
  std::string text;     // expanded: may hold a token or userinfo, never shown as is
  std::string written;  // as in the file, ${VAR} kept: what messages and `detect` show
  std::string where;    // "environment.yml:4"
};

// What detect() found.
struct Inputs {
  fs::path root;
  std::optional<detectors::CondaEnvFiles> files;
  std::optional<detectors::CondaEnvironment> environment;  // kind environment_yml
  std::optional<detectors::CondaLock> conda_lock;          // kind conda_lock
  std::vector<detectors::ExplicitEnvironment> explicit_envs;  // kind explicit_lock, one per file
  std::vector<Spec> specs;
  std::vector<ChannelRef> channels;  // in priority order; conda-forge when the file lists none
  bool default_channel = false;      // no channel listed: conda-forge was taken
  bool added_pip = false;            // a `pip:` list without `pip` among the specs: added, as conda does
  std::string digest;                // sha256 of the lock files' bytes (conda-lock / explicit)
};

// Reads the project's conda files (no network): MatchSpecs parsed with file:line:column errors,
// channels expanded from `env`.
Result<Inputs> detect(const fs::path& root, const util::Environment& env);

}  // namespace mlpack::buildpacks::conda
