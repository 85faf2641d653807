#pragma once
// The conda buildpack's lock step: environment.yml solved over its channels, or a conda-lock.yml /
// `@EXPLICIT` file taken as it is, into `conda` lock entries.
#include <string>
#include <string_view>

#include "buildpacks/buildpack.hpp"
#include "buildpacks/conda/conda.hpp"
#include "conda/match_spec.hpp"
#include "condaindex/channel.hpp"

namespace mlpack::buildpacks::conda {

// Where channels given by name live (conda's `channel_alias`).
inline constexpr std::string_view default_alias = "https://conda.anaconda.org";

// Where channels live, as conda's settings of the same names say: `channel_alias` for channels
// given by name, and `default_channels` for what `defaults` means (Anaconda's pkgs/main and
// pkgs/r when empty; a mirror inside a company, or the tests' loopback channel).
struct ChannelSettings {
  std::string alias = std::string(default_alias);
  std::vector<std::string> default_channels;
};

// The channels environment.yml lists, in priority order, as requests go to them (`defaults` as
// `settings` says; a token or userinfo kept for requests only). invalid_input naming the line.
Result<std::vector<condaindex::Channel>> parse_channels(const Inputs& in, const ChannelSettings& settings);

// Adds the environment's packages, its channels and the virtual packages assumed to `lock`.
Result<void> resolve_environment(Context& ctx, const Inputs& in, const ChannelSettings& settings, lock::LockFile& lock);

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
