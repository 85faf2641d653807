#pragma once
// mlpack.yaml, the optional project config (PRODUCT.md). The keys every build shares are read
// here; a buildpack declares its own keys (Buildpack::config_keys) and reads their values from
// `ProjectConfig::sections` with ConfigValue, so the errors it reports name file:line:column as
// these do. Unknown keys (known to neither) are ErrorKind::invalid_input naming file:line:column,
// suggesting the nearest known key.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace mlpack::detectors {

using util::Result;

// One value of mlpack.yaml, with where it was written, for a buildpack to read its own keys.
// Every accessor's error is invalid_input at the value's file:line:column.
class ConfigValue {
 public:
  ConfigValue(YAML::Node node, std::string key, std::string source)
      : node_(std::move(node)), key_(std::move(key)), source_(std::move(source)) {}

  const std::string& key() const { return key_; }
  bool is_map() const { return node_.IsMap(); }
  bool is_list() const { return node_.IsSequence(); }

  Result<std::string> string() const;                // "`KEY` must be a string"
  Result<std::vector<std::string>> strings() const;  // "`KEY` must be a list of strings"
  // The items of a list: "`KEY` must be a list" otherwise.
  Result<std::vector<ConfigValue>> items() const;
  // The value under `key` of a mapping, when present.
  std::optional<ConfigValue> get(const std::string& key) const;
  // A mapping whose keys are all in `known`; `where` follows the key in the message:
  // "unknown key `x` in an apt repository; did you mean `url`?".
  Result<void> only_keys(const std::vector<std::string>& known, const std::string& where) const;
  // An error at this value: "mlpack.yaml:3:5: <what>".
  util::Error error(const std::string& what) const;

 private:
  YAML::Node node_;
  std::string key_;
  std::string source_;
};

struct ProjectConfig {
  std::optional<std::string> name;
  std::optional<std::string> base;
  std::map<std::string, std::string> env;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> command;
  std::vector<int> ports;
  std::optional<std::string> user;
  std::vector<std::string> exclude;
  // `layers`: the most layers the image may have, the base image's included (2 to 127).
  std::optional<std::size_t> layers;
  // The buildpacks' own keys as written, for them to read (Buildpack::config_keys).
  std::map<std::string, ConfigValue> sections;

  // The section `key`, when the file has it.
  const ConfigValue* section(const std::string& key) const {
    auto it = sections.find(key);
    return it == sections.end() ? nullptr : &it->second;
  }
};

// The keys every build shares (the buildpacks add theirs), for suggestions and docs.
const std::vector<std::string>& project_config_keys();

// `buildpack_keys` are accepted as well and kept, unread, in `sections`.
Result<ProjectConfig> parse_project_config(std::string_view yaml, std::string_view source = "mlpack.yaml",
                                           const std::vector<std::string>& buildpack_keys = {});
// Reads DIR/mlpack.yaml (or .yml); an absent file gives an empty config.
Result<ProjectConfig> read_project_config(const std::filesystem::path& dir,
                                          const std::vector<std::string>& buildpack_keys = {});

// The known word closest to `word` when it is close enough to be a likely typo, else "".
std::string nearest(std::string_view word, const std::vector<std::string>& known);

}  // namespace mlpack::detectors
