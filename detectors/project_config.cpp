#include "detectors/project_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "detectors/project_file.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

using util::ErrorKind;

const std::vector<std::string>& project_config_keys() {
  static const std::vector<std::string> keys = {"name",    "base",  "env",  "entrypoint",
                                                "command", "ports", "user", "exclude", "layers"};
  return keys;
}

std::string nearest(std::string_view word, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& k : known) {
    // Levenshtein distance, two rows.
    std::vector<std::size_t> prev(k.size() + 1), cur(k.size() + 1);
    for (std::size_t j = 0; j <= k.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= k.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (word[i - 1] == k[j - 1] ? 0 : 1)});
      std::swap(prev, cur);
    }
    if (prev[k.size()] < best_distance) {
      best_distance = prev[k.size()];
      best = k;
    }
  }
  // Close enough: at most a third of the word changed (at least one edit allowed).
  if (best_distance <= std::max<std::size_t>(1, word.size() / 3)) return best;
  return "";
}

namespace {

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  util::Error error(const YAML::Node& node, const std::string& what) const { return error_at(node.Mark(), what); }
  util::Error error_at(const YAML::Mark& mark, const std::string& what) const {
    std::string where(source_);
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    return util::Error{ErrorKind::invalid_input, where + ": " + what};
  }

  Result<std::string> string(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) return std::unexpected(error(n, "`" + key + "` must be a string"));
    return n.Scalar();
  }

  Result<std::vector<std::string>> strings(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence()) return std::unexpected(error(n, "`" + key + "` must be a list of strings"));
    std::vector<std::string> out;
    for (const auto& item : n) {
      if (!item.IsScalar()) return std::unexpected(error(item, "each item of `" + key + "` must be a string"));
      out.push_back(item.Scalar());
    }
    return out;
  }

  // A command: a list of strings, or one string split on spaces (as a shell would, without quoting).
  Result<std::vector<std::string>> command(const YAML::Node& n, const std::string& key) const {
    if (n.IsScalar()) {
      std::vector<std::string> out;
      std::string word;
      for (char c : n.Scalar()) {
        if (c == ' ') {
          if (!word.empty()) out.push_back(std::move(word));
          word.clear();
        } else {
          word.push_back(c);
        }
      }
      if (!word.empty()) out.push_back(word);
      if (out.empty()) return std::unexpected(error(n, "`" + key + "` is empty"));
      return out;
    }
    auto list = strings(n, key);
    if (list && list->empty()) return std::unexpected(error(n, "`" + key + "` is empty"));
    return list;
  }

  Result<void> known_keys(const YAML::Node& map, const std::vector<std::string>& keys, const std::string& where) const {
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
      std::string msg = "unknown key " + quote_text(key) + where;
      if (auto near = nearest(key, keys); !near.empty()) msg += "; did you mean `" + near + "`?";
      return std::unexpected(error(kv.first, msg));
    }
    return {};
  }

 private:
  std::string source_;
};


// The name is the tag of the default output (`oci:.mlpack/image:<name>`): the OCI tag grammar
// [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
bool valid_image_name(std::string_view n) {
  if (n.empty() || n.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(n[0])) return false;
  for (char c : n)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

}  // namespace

util::Error ConfigValue::error(const std::string& what) const { return Reader(source_).error(node_, what); }

Result<std::string> ConfigValue::string() const { return Reader(source_).string(node_, key_); }

Result<std::vector<std::string>> ConfigValue::strings() const { return Reader(source_).strings(node_, key_); }

Result<std::vector<ConfigValue>> ConfigValue::items() const {
  if (!node_.IsSequence()) return std::unexpected(error("`" + key_ + "` must be a list"));
  std::vector<ConfigValue> out;
  for (const auto& item : node_) out.emplace_back(item, key_, source_);
  return out;
}

std::optional<ConfigValue> ConfigValue::get(const std::string& key) const {
  if (!node_.IsMap() || !node_[key]) return std::nullopt;
  return ConfigValue(node_[key], key, source_);
}

Result<void> ConfigValue::only_keys(const std::vector<std::string>& known, const std::string& where) const {
  return Reader(source_).known_keys(node_, known, where);
}

Result<ProjectConfig> parse_project_config(std::string_view yaml, std::string_view source,
                                           const std::vector<std::string>& buildpack_keys) {
  Reader r(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return std::unexpected(r.error_at(e.mark, util::printable_excerpt(e.msg)));
  }
  ProjectConfig config;
  if (root.IsNull()) return config;  // an empty file
  if (!root.IsMap()) return std::unexpected(r.error(root, "expected a mapping of settings"));
  try {
    std::vector<std::string> known = project_config_keys();
    known.insert(known.end(), buildpack_keys.begin(), buildpack_keys.end());
    TRY(r.known_keys(root, known, ""));
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "name") {
        config.name = TRY(r.string(v, key));
        if (!valid_image_name(*config.name))
          return std::unexpected(r.error(v, "`name` must be 1 to 128 letters, digits, `.`, `_` or `-`, starting with "
                                            "a letter, digit or `_` (it is the image's tag), not " + quote_text(*config.name)));
      }
      else if (key == "base") config.base = TRY(r.string(v, key));
      else if (key == "user") config.user = TRY(r.string(v, key));
      else if (key == "exclude") config.exclude = TRY(r.strings(v, key));
      else if (key == "entrypoint") config.entrypoint = TRY(r.command(v, key));
      else if (key == "command") config.command = TRY(r.command(v, key));
      else if (key == "env") {
        if (!v.IsMap()) return std::unexpected(r.error(v, "`env` must be a mapping of NAME: value"));
        for (const auto& e : v) {
          if (!e.second.IsScalar())
            return std::unexpected(r.error(e.second, "the value of " + quote_text(e.first.Scalar()) + " in `env` must be a string"));
          config.env[e.first.Scalar()] = e.second.Scalar();
        }
      } else if (key == "layers") {
        int n = 0;
        if (!v.IsScalar() || !YAML::convert<int>::decode(v, n) || n < 2 || n > 127)
          return std::unexpected(r.error(v, "`layers` must be a number from 2 to 127 (containerd refuses images of more "
                                            "than 127 layers)"));
        config.layers = static_cast<std::size_t>(n);
      } else if (key == "ports") {
        if (!v.IsSequence()) return std::unexpected(r.error(v, "`ports` must be a list of port numbers"));
        for (const auto& p : v) {
          int port = 0;
          if (!p.IsScalar() || !YAML::convert<int>::decode(p, port) || port < 1 || port > 65535)
            return std::unexpected(r.error(p, "each port must be a number from 1 to 65535"));
          config.ports.push_back(port);
        }
      } else if (std::find(buildpack_keys.begin(), buildpack_keys.end(), key) != buildpack_keys.end()) {
        config.sections.emplace(key, ConfigValue(v, key, std::string(source)));
      }
    }
  } catch (const YAML::Exception& e) {
    return std::unexpected(r.error_at(e.mark, util::printable_excerpt(e.msg)));
  }
  return config;
}

Result<ProjectConfig> read_project_config(const std::filesystem::path& dir, const std::vector<std::string>& buildpack_keys) {
  for (const char* name : {"mlpack.yaml", "mlpack.yml"}) {
    auto path = dir / name;
    if (!project_file_present(path)) continue;
    auto text = TRY(read_project_file(path, dir, 1 << 20));
    return parse_project_config(text, path.string(), buildpack_keys);
  }
  return ProjectConfig{};
}

}  // namespace mlpack::detectors
