#pragma once
// The project folder, whatever its ecosystem: where its environment files live and how its files
// are named to people.
#include <filesystem>
#include <string>

namespace mlpack::detectors {

namespace fs = std::filesystem;

// Where the project's environment files live: `binder/` when it exists, else `.binder/`, else the
// root (repo2docker's rule: a binder folder makes files at the root ignored).
fs::path environment_dir(const fs::path& project_root);

// Where a file is shown to people (messages, `mlpack detect`): relative to the project root, with
// forward slashes; the lexically normal path when there is no relative one.
std::string display_path(const fs::path& file, const fs::path& project_root);

}  // namespace mlpack::detectors
