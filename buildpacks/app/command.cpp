// The image's command, by precedence; apart from the rest of the buildpack so that it is tested
// without the image config's other code.
#include "buildpacks/app/app.hpp"

namespace mlpack::buildpacks::app {

void set_command(oci::ImageConfig& config, const detectors::ProjectConfig& project,
                 const detectors::DefaultCommand& detected, const std::vector<std::string>& fallback) {
  if (project.entrypoint || project.command) {
    if (project.entrypoint) config.entrypoint = project.entrypoint;
    if (project.command) config.cmd = project.command;
    return;
  }
  using Kind = detectors::DefaultCommand::Kind;
  // The project's own command replaces whatever a registry base image runs.
  if (detected.kind == Kind::procfile_web) {
    config.entrypoint.reset();
    config.cmd = std::vector<std::string>{"/bin/sh", "-c", detected.command};
  } else if (detected.kind == Kind::start_script) {
    config.entrypoint = std::vector<std::string>{detected.command};
    config.cmd.reset();
  } else if (!config.entrypoint && !config.cmd && !fallback.empty()) {
    config.cmd = fallback;
  }
}

}  // namespace mlpack::buildpacks::app
