#pragma once
// The conda buildpack's lock step: environment.yml solved over its channels, or a conda-lock.yml /
// `@EXPLICIT` file taken as it is, into `conda` lock entries.
#include <string>
#include <string_view>

#include "buildpacks/buildpack.hpp"
#include "buildpacks/conda/conda.hpp"
#include "conda/match_spec.hpp"

namespace mlpack::buildpacks::conda {

// Where channels given by name live (conda's `channel_alias`).
inline constexpr std::string_view default_alias = "https://conda.anaconda.org";

// Adds the environment's packages, its channels and the virtual packages assumed to `lock`.
Result<void> resolve_environment(Context& ctx, const Inputs& in, std::string_view alias, lock::LockFile& lock);

// A package's file name split as conda names them: `<name>-<version>-<build>.conda` (or .tar.bz2).
struct FileName {
  std::string name, version, build, extension;
};
Result<FileName> split_file_name(std::string_view fn);

// The lock entry of a solved record: the channel (credentials stripped) as source, `subdir/fn` as
// filename, build, build number, subdir, md5, licence and noarch kind as extras, depends and
// constrains as written.
lock::Package lock_entry(const mlpack::conda::PackageRecord& record);

}  // namespace mlpack::buildpacks::conda
