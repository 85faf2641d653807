#pragma once
// What the image runs when mlpack.yaml says nothing: a Procfile's `web:` process (Heroku's format,
// which repo2docker and buildpacks read too), else an executable `start` script; and whether the
// project has Python code to run at all (scripts, notebooks) when no Python file asks for packages.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

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

// Whether `first_line` (a file's first bytes, up to the first newline) is a shebang that runs
// Python: `#!` then a program named `python`, `python3` or `python3.X` (any folder), directly or
// through `env` (`#!/usr/bin/env python3`, `#!/usr/bin/env -S python3 -u`).
bool is_python_shebang(std::string_view first_line);

// The first Python code the project has, as repo2docker gives such a project Python: a `*.py` file,
// a notebook (`*.ipynb`, not under `.ipynb_checkpoints`), or an executable regular file whose
// shebang runs Python (is_python_shebang; only its first 256 bytes are read). The walk is sorted
// by name at each level so the answer does not depend on the file system, bounded (depth 12,
// 20,000 entries), follows no links, and skips `.git`, `.mlpack`, `__pycache__`, `node_modules`,
// `.ipynb_checkpoints` and virtual environments (`.venv`/`venv` and folders holding pyvenv.cfg);
// what it cannot read counts as absent. The path is relative to `root`, `/`-separated; nullopt
// when there is none.
std::optional<std::string> find_python_code(const std::filesystem::path& root);

}  // namespace mlpack::detectors
