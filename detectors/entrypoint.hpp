#pragma once
// What the image runs when mlpack.yaml says nothing: a Procfile's `web:` process (Heroku's format,
// which repo2docker and buildpacks read too), else an executable `start` script.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "util/error.hpp"

namespace mlpack::detectors {

// Procfile: one `<type>: <command>` per line; blank lines and `#` comments are skipped. A type is
// letters, digits, `_` and `-`. Other lines are invalid_input naming Procfile:line. nullopt when
// the project has no Procfile.
util::Result<std::optional<std::map<std::string, std::string>>> read_procfile(const std::filesystem::path& root);

struct DefaultCommand {
  enum class Kind { none, procfile_web, start_script } kind = Kind::none;
  std::string command;  // procfile_web: the shell command; start_script: "/app/start"
};

// The Procfile's `web` process, else `start` when it is an executable regular file.
util::Result<DefaultCommand> default_command(const std::filesystem::path& root);

}  // namespace mlpack::detectors
