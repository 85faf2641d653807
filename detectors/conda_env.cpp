#include "detectors/conda_env.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "conda/channel_url.hpp"
#include "detectors/project.hpp"
#include "detectors/project_config.hpp"
#include "detectors/project_file.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::detectors {

using util::ErrorKind;

namespace {

constexpr std::size_t max_file_size = 16 << 20;

// YAML reading with file:line:column errors, as project_config.cpp does for mlpack.yaml.
class Yaml {
 public:
  explicit Yaml(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  util::Error error_at(const YAML::Mark& mark, const std::string& what) const {
    std::string where = file_;
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    return util::Error{ErrorKind::invalid_input, where + ": " + what};
  }
  util::Error error(const YAML::Node& n, const std::string& what) const { return error_at(n.Mark(), what); }

  CondaSpec spec(const YAML::Node& n) const {
    return CondaSpec{n.Scalar(), file_, n.Mark().line + 1, n.Mark().column + 1};
  }

  // `context` goes before `what` in the message ("package `x`: "), after the location.
  Result<std::string> string(const YAML::Node& n, const std::string& what, const std::string& context = "") const {
    if (!n.IsScalar() || n.Scalar().empty()) return std::unexpected(error(n, context + what + " must be a non-empty string"));
    return n.Scalar();
  }

  // Loads the document; an empty one (or only comments) is an error at 1:1.
  Result<YAML::Node> load(const std::string& text, const std::string& expected) const {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      return std::unexpected(error_at(e.mark, util::printable_excerpt(e.msg)));
    }
    if (root.IsNull()) return std::unexpected(util::Error{ErrorKind::invalid_input, file_ + ":1:1: the file is empty; expected " + expected});
    if (!root.IsMap()) return std::unexpected(error(root, "expected " + expected));
    return root;
  }

 private:
  std::string file_;
};

// Read as every project file is (detectors/project_file.hpp).
Result<std::string> read_text(const fs::path& path, const fs::path& project_root) {
  if (!project_file_present(path))
    return util::fail(ErrorKind::not_found, quote_text(display_path(path, project_root)) + " does not exist");
  return read_project_file(path, project_root, max_file_size);
}

fs::path resolve(const fs::path& path, const fs::path& project_root) {
  return path.is_absolute() ? path : project_root / path;
}

bool is_hex(std::string_view s, std::size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// --- environment.yml ------------------------------------------------------------------------------

// pip's requirements-file options that take a value, and those that do not (pip's
// req_file.SUPPORTED_OPTIONS). `-r`/`-c` are read; the rest are recorded for the installer.
const std::vector<std::string> pip_value_options = {
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url", "--extra-index-url",
    "-f", "--find-links", "--only-binary", "--no-binary", "--trusted-host", "--use-feature"};
const std::vector<std::string> pip_flag_options = {"--no-index", "--pre", "--prefer-binary", "--require-hashes"};

bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

class EnvironmentReader {
 public:
  EnvironmentReader(std::string file, fs::path dir, fs::path project_root)
      : yaml_(std::move(file)), dir_(std::move(dir)), project_root_(std::move(project_root)) {}

  Result<CondaEnvironment> read(const std::string& text) {
    auto root = TRY(yaml_.load(text, "a mapping with `name`, `channels`, `dependencies`…"));
    CondaEnvironment env;
    env.file = yaml_.file();
    try {
      for (const auto& kv : root) {
        if (!kv.first.IsScalar()) return std::unexpected(yaml_.error(kv.first, "a key must be a string"));
        const std::string key = kv.first.Scalar();
        const YAML::Node& v = kv.second;
        if (key == "name") {
          if (!v.IsNull()) env.name = TRY(yaml_.string(v, "`name`"));
        } else if (key == "prefix") {
          if (!v.IsNull()) env.prefix = TRY(yaml_.string(v, "`prefix`"));
        } else if (key == "channels") {
          TRY(channels(v, env));
        } else if (key == "dependencies") {
          TRY(dependencies(v, env));
        } else if (key == "variables") {
          TRY(variables(v, env));
        } else {
          // conda (env/env.py, validate_keys) warns about keys other than name, channels,
          // dependencies, prefix and variables and drops them; other tools add their own
          // (conda-lock's `platforms`, `category`). We do the same, except for a near miss of a
          // known key: `dependecies:` would silently give an empty environment, so it is an error
          // with the suggestion.
          static const std::vector<std::string> known = {"name", "channels", "dependencies", "variables", "prefix"};
          if (auto near = nearest(key, known); !near.empty())
            return std::unexpected(yaml_.error(kv.first, "unknown key " + quote_text(key) + "; did you mean `" + near + "`?"));
          env.ignored_keys.push_back(key);
        }
      }
    } catch (const YAML::Exception& e) {
      return std::unexpected(yaml_.error_at(e.mark, util::printable_excerpt(e.msg)));
    }
    return env;
  }

 private:
  // yaml-cpp gives an empty entry (`-` alone) no position: name the list's and the entry's number.
  util::Error null_entry(const YAML::Node& list, const std::string& key, int index) const {
    return yaml_.error(list, "entry " + std::to_string(index) + " of `" + key + "` is empty");
  }

  Result<void> channels(const YAML::Node& v, CondaEnvironment& env) {
    if (v.IsNull()) return {};
    if (!v.IsSequence()) return std::unexpected(yaml_.error(v, "`channels` must be a list of channel names or URLs"));
    int index = 0;
    for (const auto& c : v) {
      if (++index, c.IsNull()) return std::unexpected(null_entry(v, "channels", index));
      auto name = TRY(yaml_.string(c, "a channel"));
      if (name == "nodefaults") env.nodefaults = true;
      else env.channels.push_back(yaml_.spec(c));
    }
    return {};
  }

  Result<void> dependencies(const YAML::Node& v, CondaEnvironment& env) {
    if (v.IsNull()) return {};  // `dependencies:` with nothing under it: conda takes it as empty
    if (!v.IsSequence()) return std::unexpected(yaml_.error(v, "`dependencies` must be a list of package specs"));
    int index = 0;
    for (const auto& d : v) {
      ++index;
      if (d.IsNull()) return std::unexpected(null_entry(v, "dependencies", index));
      if (d.IsMap()) {
        for (const auto& kv : d) {
          const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
          if (key != "pip")
            return std::unexpected(yaml_.error(kv.first, "unknown installer " + quote_text(key) + " in `dependencies`; only `pip:` is supported"));
          if (env.pip) return std::unexpected(yaml_.error(kv.first, "a second `pip:` in `dependencies`; merge them into one"));
          env.pip = TRY(pip(kv.second));
        }
        continue;
      }
      if (!d.IsScalar() || d.Scalar().empty())
        return std::unexpected(yaml_.error(d, "each dependency must be a package spec (`numpy>=1.26`) or a `pip:` list"));
      env.dependencies.push_back(yaml_.spec(d));
    }
    return {};
  }

  Result<void> variables(const YAML::Node& v, CondaEnvironment& env) {
    if (v.IsNull()) return {};
    if (!v.IsMap()) return std::unexpected(yaml_.error(v, "`variables` must be a mapping of NAME: value"));
    for (const auto& kv : v) {
      auto name = TRY(yaml_.string(kv.first, "a variable's name"));
      if (!kv.second.IsScalar())
        return std::unexpected(yaml_.error(kv.second, "the value of " + quote_text(name) + " in `variables` must be a string"));
      env.variables[name] = kv.second.Scalar();
    }
    return {};
  }

  Result<CondaPipSection> pip(const YAML::Node& v) {
    CondaPipSection section;
    if (v.IsNull()) return section;
    if (!v.IsSequence()) return std::unexpected(yaml_.error(v, "`pip` must be a list of pip requirements"));
    int index = 0;
    for (const auto& item : v) {
      if (++index, item.IsNull()) return std::unexpected(null_entry(v, "pip", index));
      auto line = util::trim(TRY(yaml_.string(item, "each `pip` entry")));
      if (line.starts_with("-")) TRY(pip_option(item, line, section));
      else section.requirements.push_back(TRY(pip_requirement(item, line)));
    }
    return section;
  }

  Result<void> pip_option(const YAML::Node& item, const std::string& line, CondaPipSection& section) {
    // `--opt=value`, `--opt value`, or `-rfile` as pip's optparse allows.
    std::string opt = line, value;
    if (auto space = line.find_first_of(" \t"); space != std::string::npos) {
      opt = line.substr(0, space);
      value = util::trim(line.substr(space));
    }
    if (auto eq = opt.find('='); opt.starts_with("--") && eq != std::string::npos) {
      value = opt.substr(eq + 1) + (value.empty() ? "" : " " + value);
      opt = opt.substr(0, eq);
    } else if (!opt.starts_with("--") && opt.size() > 2) {
      value = opt.substr(2) + (value.empty() ? "" : " " + value);
      opt = opt.substr(0, 2);
    }
    if (contains(pip_flag_options, opt)) {
      if (!value.empty()) return std::unexpected(yaml_.error(item, quote_text(opt) + " takes no value"));
    } else if (contains(pip_value_options, opt)) {
      if (value.empty()) return std::unexpected(yaml_.error(item, quote_text(opt) + " needs a value"));
    } else {
      return std::unexpected(yaml_.error(item, "unknown pip option " + quote_text(opt)));
    }
    if (opt == "-r" || opt == "--requirement" || opt == "-c" || opt == "--constraint") {
      if (value.find("://") != std::string::npos)
        return std::unexpected(yaml_.error(item, quote_text(opt) + " with a URL is not read (detectors never touch the network)"));
      auto included = dir_ / value;
      std::error_code ec;
      if (!project_file_present(included))
        return std::unexpected(yaml_.error(item, quote_text(display_path(included, project_root_)) + " does not exist"));
      auto file = parse_requirements_file(included, project_root_);
      if (!file) return std::unexpected(util::Error{file.error().kind, yaml_.error(item, quote_text(line) + ": " + file.error().message).message});
      if (opt == "-c" || opt == "--constraint")
        for (auto& r : file->requirements) r.constraint = true;
      section.includes.push_back(std::move(*file));
      return {};
    }
    section.options.push_back(yaml_.spec(item));
    section.options.back().text = line;
    return {};
  }

  Result<PythonRequirement> pip_requirement(const YAML::Node& item, const std::string& line) {
    PythonRequirement r;
    r.file = yaml_.file();
    r.line = item.Mark().line + 1;
    r.column = item.Mark().column + 1;
    auto [text, options] = detail::split_requirement_options(line);
    r.text = util::trim(text);
    // Per-line options: pip's --hash and --config-settings.
    for (const auto& word : util::split(options, ' ')) {
      if (word.empty()) continue;
      if (word.starts_with("--hash=")) {
        auto hash = word.substr(7);
        auto colon = hash.find(':');
        if (colon == std::string::npos) return std::unexpected(yaml_.error(item, "`--hash` must be `algorithm:hex`, not " + quote_text(hash)));
        r.hashes.push_back(hash);
      } else if (word.starts_with("--config-settings=") || word.starts_with("-C")) {
        // recorded by the installer from the text; nothing to check here
      } else {
        return std::unexpected(yaml_.error(item, "unknown per-requirement option " + quote_text(word) + " (pip takes `--hash=` and `--config-settings=`)"));
      }
    }
    // A URL or a path on its own is a direct reference, named only once built (as pip has it).
    bool bare_url = r.text.find("://") != std::string::npos && r.text.find('@') == std::string::npos;
    if (bare_url || r.text.starts_with(".") || r.text.starts_with("/") || r.text.starts_with("~")) {
      r.requirement.url = r.text;
      return r;
    }
    auto parsed = pypi::Requirement::parse(r.text);
    if (!parsed) {
      // A requirement may carry a URL with credentials (`pkg @ https://user:token@…`): keep them out.
      const bool secret = conda::redact_channel_url(r.text) != r.text;
      return std::unexpected(yaml_.error(item, quote_text(conda::redact_channel_url(r.text)) + ": " +
                                                   (secret ? "not a valid requirement" : parsed.error().message)));
    }
    r.requirement = std::move(*parsed);
    return r;
  }

  Yaml yaml_;
  fs::path dir_;
  fs::path project_root_;
};

// --- conda-lock.yml -------------------------------------------------------------------------------

class LockReader {
 public:
  explicit LockReader(std::string file) : yaml_(std::move(file)) {}

  Result<CondaLock> read(const std::string& text) {
    auto root = TRY(yaml_.load(text, "a conda-lock file (`version`, `metadata`, `package`)"));
    CondaLock lock;
    lock.file = yaml_.file();
    try {
      const auto version = root["version"];
      if (!version) return std::unexpected(yaml_.error(root, "no `version`; expected `version: 1` (conda-lock's format 1)"));
      if (!version.IsScalar() || version.Scalar() != "1")
        return std::unexpected(yaml_.error(version, "conda-lock format " + quote_text(version.IsScalar() ? version.Scalar() : "?") +
                                                        " is not supported; expected `version: 1`"));
      const auto metadata = root["metadata"];
      if (!metadata || !metadata.IsMap()) return std::unexpected(yaml_.error(metadata ? metadata : root, "`metadata` must be a mapping"));
      TRY(read_metadata(metadata, lock));
      const auto packages = root["package"];
      if (!packages) return std::unexpected(yaml_.error(root, "no `package` list"));
      if (packages.IsNull()) return lock;
      if (!packages.IsSequence()) return std::unexpected(yaml_.error(packages, "`package` must be a list"));
      for (const auto& p : packages) lock.packages.push_back(TRY(read_package(p, lock)));
    } catch (const YAML::Exception& e) {
      return std::unexpected(yaml_.error_at(e.mark, util::printable_excerpt(e.msg)));
    }
    return lock;
  }

 private:
  Result<void> read_metadata(const YAML::Node& m, CondaLock& lock) {
    const auto platforms = m["platforms"];
    if (!platforms || !platforms.IsSequence() || platforms.size() == 0)
      return std::unexpected(yaml_.error(platforms ? platforms : m, "`metadata.platforms` must be a non-empty list"));
    for (const auto& p : platforms) lock.platforms.push_back(TRY(yaml_.string(p, "a platform")));
    if (const auto channels = m["channels"]; channels && !channels.IsNull()) {
      if (!channels.IsSequence()) return std::unexpected(yaml_.error(channels, "`metadata.channels` must be a list"));
      for (const auto& c : channels) {
        if (c.IsMap() && c["url"]) lock.channels.push_back(TRY(yaml_.string(c["url"], "a channel's `url`")));
        else if (c.IsScalar()) lock.channels.push_back(TRY(yaml_.string(c, "a channel")));
        else return std::unexpected(yaml_.error(c, "a channel must be `url: …`"));
      }
    }
    if (const auto hashes = m["content_hash"]; hashes && !hashes.IsNull()) {
      if (!hashes.IsMap()) return std::unexpected(yaml_.error(hashes, "`metadata.content_hash` must map platforms to hashes"));
      for (const auto& kv : hashes)
        lock.content_hash[TRY(yaml_.string(kv.first, "a platform"))] = TRY(yaml_.string(kv.second, "a content hash"));
    }
    return {};
  }

  Result<CondaLockPackage> read_package(const YAML::Node& p, const CondaLock& lock) {
    if (!p.IsMap()) return std::unexpected(yaml_.error(p, "each `package` entry must be a mapping"));
    CondaLockPackage pkg;
    pkg.line = p.Mark().line + 1;
    std::string context;
    auto field = [&](const char* key) -> Result<std::string> {
      const auto n = p[key];
      if (!n) return std::unexpected(yaml_.error(p, context + "package has no `" + std::string(key) + "`"));
      return yaml_.string(n, "`" + std::string(key) + "`", context);
    };
    pkg.name = TRY(field("name"));
    const std::string what = "package " + quote_text(pkg.name);
    context = what + ": ";
    pkg.version = TRY(field("version"));
    pkg.manager = TRY(field("manager"));
    if (pkg.manager != "conda" && pkg.manager != "pip")
      return std::unexpected(yaml_.error(p["manager"], what + ": `manager` must be `conda` or `pip`, not " + quote_text(pkg.manager)));
    pkg.platform = TRY(field("platform"));
    if (!contains(lock.platforms, pkg.platform))
      return std::unexpected(yaml_.error(p["platform"], what + ": platform " + quote_text(pkg.platform) + " is not in `metadata.platforms`"));
    pkg.url = TRY(field("url"));
    const auto hash = p["hash"];
    if (!hash || !hash.IsMap()) return std::unexpected(yaml_.error(hash ? hash : p, what + ": `hash` must be a mapping with `md5` and/or `sha256`"));
    if (const auto md5 = hash["md5"]; md5 && !md5.IsNull()) {
      pkg.md5 = util::to_lower(TRY(yaml_.string(md5, "`md5`", context)));
      if (!is_hex(pkg.md5, 32)) return std::unexpected(yaml_.error(md5, what + ": `md5` must be 32 hex digits"));
    }
    if (const auto sha = hash["sha256"]; sha && !sha.IsNull()) {
      pkg.sha256 = util::to_lower(TRY(yaml_.string(sha, "`sha256`", context)));
      if (!is_hex(pkg.sha256, 64)) return std::unexpected(yaml_.error(sha, what + ": `sha256` must be 64 hex digits"));
    }
    if (pkg.md5.empty() && pkg.sha256.empty())
      return std::unexpected(yaml_.error(hash, what + " (" + conda::redact_channel_url(pkg.url) + "): no `md5` or `sha256`"));
    if (const auto deps = p["dependencies"]; deps && !deps.IsNull()) {
      if (!deps.IsMap()) return std::unexpected(yaml_.error(deps, what + ": `dependencies` must map names to constraints"));
      for (const auto& kv : deps) {
        if (!kv.second.IsScalar() && !kv.second.IsNull())
          return std::unexpected(yaml_.error(kv.second, what + ": a dependency's constraint must be a string"));
        pkg.dependencies[TRY(yaml_.string(kv.first, "a dependency's name", context))] = kv.second.IsNull() ? "" : kv.second.Scalar();
      }
    }
    if (const auto category = p["category"]; category && !category.IsNull())
      pkg.category = TRY(yaml_.string(category, "`category`", context));
    if (const auto optional = p["optional"]; optional && !optional.IsNull()) {
      if (!optional.IsScalar() || !YAML::convert<bool>::decode(optional, pkg.optional))
        return std::unexpected(yaml_.error(optional, what + ": `optional` must be true or false"));
    }
    return pkg;
  }

  Yaml yaml_;
};

// --- explicit files -------------------------------------------------------------------------------

std::string_view strip(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

template <class F>
void for_each_line(std::string_view text, F f) {
  int number = 0;
  while (!text.empty() || number == 0) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line, number);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace


Result<CondaEnvironment> parse_conda_environment(const fs::path& path, const fs::path& project_root) {
  auto full = resolve(path, project_root);
  auto text = TRY(read_text(full, project_root));
  return EnvironmentReader(display_path(full, project_root), full.parent_path(), project_root).read(text);
}

Result<CondaLock> parse_conda_lock(const fs::path& path, const fs::path& project_root) {
  auto full = resolve(path, project_root);
  auto text = TRY(read_text(full, project_root));
  return LockReader(display_path(full, project_root)).read(text);
}

bool is_explicit_file(std::string_view text) {
  bool found = false;
  for_each_line(text, [&](std::string_view line, int) { found = found || strip(line) == "@EXPLICIT"; });
  return found;
}

Result<ExplicitEnvironment> parse_explicit_environment(const fs::path& path, const fs::path& project_root) {
  auto full = resolve(path, project_root);
  auto text = TRY(read_text(full, project_root));
  ExplicitEnvironment env;
  env.file = display_path(full, project_root);
  bool seen_marker = false;
  std::optional<util::Error> failure;
  auto fail_at = [&](int line, std::size_t column, const std::string& what) {
    failure = util::Error{ErrorKind::invalid_input, env.file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what};
  };
  for_each_line(text, [&](std::string_view raw, int number) {
    if (failure) return;
    auto line = strip(raw);
    const auto column = static_cast<std::size_t>(line.empty() ? 1 : line.data() - raw.data() + 1);
    if (line.empty()) return;
    if (line.front() == '#') {
      auto comment = strip(line.substr(1));
      if (comment.starts_with("platform:")) env.platform = std::string(strip(comment.substr(9)));
      return;
    }
    if (line == "@EXPLICIT") {
      seen_marker = true;
      return;
    }
    if (!seen_marker) {
      fail_at(number, column, "a package before the `@EXPLICIT` line; an explicit file starts with `@EXPLICIT`");
      return;
    }
    ExplicitPackage pkg;
    pkg.line = number;
    auto hash = line.find('#');
    std::string_view url = strip(line.substr(0, hash));
    const bool has_scheme = url.find("://") != std::string_view::npos;
    if (!has_scheme && !url.starts_with("/")) {
      fail_at(number, column, "expected a package URL, not " + quote_text(conda::redact_channel_url(line)) + " (an explicit file lists URLs; a spec such as `numpy=1.26` belongs in environment.yml)");
      return;
    }
    auto filename = url.substr(url.find_last_of('/') + 1);
    if (!filename.ends_with(".conda") && !filename.ends_with(".tar.bz2")) {
      fail_at(number, column, quote_text(conda::redact_channel_url(url)) + " does not name a `.conda` or `.tar.bz2` package");
      return;
    }
    pkg.url = std::string(url);
    if (hash != std::string_view::npos) {
      auto fragment = std::string(strip(line.substr(hash + 1)));
      const auto fragment_column = column + hash + 1;
      std::string lower = util::to_lower(fragment);
      if (lower.starts_with("sha256:") && is_hex(lower.substr(7), 64)) pkg.sha256 = lower.substr(7);
      else if (lower.starts_with("md5:") && is_hex(lower.substr(4), 32)) pkg.md5 = lower.substr(4);
      else if (is_hex(lower, 32)) pkg.md5 = lower;
      else if (is_hex(lower, 64)) pkg.sha256 = lower;
      else {
        fail_at(number, fragment_column, quote_text("#" + fragment) + " is not a hash: expected 32 hex digits (md5), 64 (sha256) or `sha256:<hex>`");
        return;
      }
    }
    env.packages.push_back(std::move(pkg));
  });
  if (failure) return std::unexpected(*failure);
  if (!seen_marker) return util::fail(ErrorKind::invalid_input, env.file + ":1:1: no `@EXPLICIT` line; this is not an explicit environment file");
  return env;
}

Result<std::optional<CondaEnvFiles>> find_conda_env(const fs::path& project_root) {
  const auto dir = environment_dir(project_root);
  std::error_code ec;
  for (const char* name : {"conda-lock.yml", "conda-lock.yaml"})
    if (fs::is_regular_file(dir / name, ec)) return CondaEnvFiles{CondaEnvKind::conda_lock, {dir / name}};

  std::vector<fs::path> explicit_locks;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (!name.starts_with("conda-") || !name.ends_with(".lock") || !it->is_regular_file(ec)) continue;
    auto text = TRY(read_project_file(it->path(), project_root, max_file_size));
    if (is_explicit_file(text)) explicit_locks.push_back(it->path());
  }
  if (ec) return util::fail(ErrorKind::io, "listing `" + dir.string() + "`: " + ec.message());
  if (!explicit_locks.empty()) {
    std::sort(explicit_locks.begin(), explicit_locks.end());
    return CondaEnvFiles{CondaEnvKind::explicit_lock, std::move(explicit_locks)};
  }

  const bool yml = fs::is_regular_file(dir / "environment.yml", ec);
  const bool yaml = fs::is_regular_file(dir / "environment.yaml", ec);
  if (yml && yaml)
    return util::fail(ErrorKind::invalid_input, "both `" + display_path(dir / "environment.yml", project_root) + "` and `" +
                                                    display_path(dir / "environment.yaml", project_root) + "` exist; keep one");
  if (yml) return CondaEnvFiles{CondaEnvKind::environment_yml, {dir / "environment.yml"}};
  if (yaml) return CondaEnvFiles{CondaEnvKind::environment_yml, {dir / "environment.yaml"}};
  return std::optional<CondaEnvFiles>{};
}

}  // namespace mlpack::detectors
