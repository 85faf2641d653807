#pragma once
// The app buildpack: the project's own files at /app, last, so a code change rebuilds one layer;
// and what the project says of how the image runs (mlpack.yaml env, user, ports; the command).
#include <optional>
#include <string>
#include <vector>

#include "detectors/entrypoint.hpp"
#include "detectors/project_config.hpp"
#include "oci/types.hpp"

namespace mlpack::buildpacks::app {

// Sets the image's Entrypoint/Cmd by precedence: mlpack.yaml `entrypoint`/`command`, else a
// Procfile's `web:` process, else an executable ./start, else what `config` already has (a
// registry base image's own), else `fallback` (what the buildpacks below proposed, e.g. `python`).
void set_command(oci::ImageConfig& config, const detectors::ProjectConfig& project,
                 const detectors::DefaultCommand& detected, const std::vector<std::string>& fallback);

}  // namespace mlpack::buildpacks::app
