#pragma once
// mlpack.yaml, the optional project config (PRODUCT.md). Every key is validated: unknown keys and
// wrong types are ErrorKind::invalid_input naming file:line:column, and an unknown key suggests the
// nearest known one.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace mlpack::detectors {

using util::Result;

// An extra apt repository (e.g. NVIDIA's CUDA repository).
struct AptRepository {
  std::string url;
  std::string suite;                    // "bookworm", or "./" style for flat repositories
  std::vector<std::string> components;  // empty for flat repositories
  std::string keyring;                  // path to the repository's keyring (binary or armored)
};

struct ProjectConfig {
  std::optional<std::string> name;
  std::optional<std::string> base;
  std::optional<std::string> python;
  std::optional<std::string> cuda;
  std::vector<std::string> apt;
  std::vector<AptRepository> apt_repositories;  // added to the base's sources
  std::vector<AptRepository> apt_sources;       // replace the base's sources (a mirror, a local archive)
  std::optional<std::string> snapshot;  // snapshot.debian.org timestamp, e.g. 20240115T000000Z
  std::map<std::string, std::string> env;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> command;
  std::vector<int> ports;
  std::optional<std::string> user;
  std::vector<std::string> exclude;
};

// The keys mlpack.yaml understands, for suggestions and docs.
const std::vector<std::string>& project_config_keys();

Result<ProjectConfig> parse_project_config(std::string_view yaml, std::string_view source = "mlpack.yaml");
// Reads DIR/mlpack.yaml (or .yml); an absent file gives an empty config.
Result<ProjectConfig> read_project_config(const std::filesystem::path& dir);

// The known word closest to `word` when it is close enough to be a likely typo, else "".
std::string nearest(std::string_view word, const std::vector<std::string>& known);

}  // namespace mlpack::detectors
