#include "detectors/pyproject.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <set>
#include <utility>

#include "detectors/project.hpp"
#include "detectors/project_file.hpp"
#include "detectors/python_internal.hpp"
#include "pypi/filename.hpp"
#include "pypi/name.hpp"
#include "pypi/specifier.hpp"
#include "util/text.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::detectors {

using util::ErrorKind;
using internal::absolute_normal;
using internal::file_url_path;
using internal::ticked;

namespace {

class TomlReader {
 public:
  explicit TomlReader(std::string file) : file_(std::move(file)) {}

  util::Error error(const toml::source_region& where, const std::string& what) const {
    std::string at = file_;
    if (where.begin.line > 0)
      at += ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
    return util::Error{ErrorKind::invalid_input, at + ": " + what};
  }

  Result<std::string> string(const toml::node& n, const std::string& what) const {
    if (auto s = n.as_string()) return s->get();
    return std::unexpected(error(n.source(), what + " must be a string"));
  }

  Result<const toml::table*> table(const toml::node& n, const std::string& what) const {
    if (auto t = n.as_table()) return t;
    return std::unexpected(error(n.source(), what + " must be a table"));
  }

  Result<const toml::array*> array(const toml::node& n, const std::string& what) const {
    if (auto a = n.as_array()) return a;
    return std::unexpected(error(n.source(), what + " must be an array"));
  }

  Result<PythonRequirement> requirement(const toml::node& n, const std::string& what, const fs::path& root) const {
    auto text = TRY(string(n, "each item of " + what));
    auto req = pypi::Requirement::parse(text);
    if (!req)
      return std::unexpected(error(n.source(), "invalid requirement " + ticked(text) + " in " + what + ": " +
                                                   req.error().message));
    PythonRequirement out;
    out.text = text;
    out.file = file_;
    out.line = static_cast<int>(n.source().begin.line);
    out.column = static_cast<int>(n.source().begin.column);
    if (auto p = file_url_path(req->url, root)) out.path = p->string();
    out.requirement = std::move(*req);
    return out;
  }

  Result<std::vector<PythonRequirement>> requirements(const toml::node& n, const std::string& what,
                                                      const fs::path& root) const {
    const auto* arr = TRY(array(n, what));
    std::vector<PythonRequirement> out;
    for (const auto& item : *arr) out.push_back(TRY(requirement(item, what, root)));
    return out;
  }

  // `key`: the table's dotted name, e.g. "project.scripts".
  Result<std::map<std::string, std::string>> string_table(const toml::node& n, const std::string& key) const {
    const auto* t = TRY(table(n, ticked(key)));
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : *t) out[std::string(k.str())] = TRY(string(v, ticked(key + "." + std::string(k.str()))));
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// One entry of a dependency group before includes are expanded.
struct GroupItem {
  std::optional<PythonRequirement> requirement;
  std::string include;  // normalised group name
  toml::source_region source;
};

struct RawGroup {
  std::string name;  // as written
  std::vector<GroupItem> items;
};

class GroupExpander {
 public:
  GroupExpander(const TomlReader& reader, const std::map<std::string, RawGroup>& raw) : reader_(reader), raw_(raw) {}

  Result<std::vector<PythonRequirement>> expand(const std::string& group) {
    if (auto done = done_.find(group); done != done_.end()) return done->second;
    stack_.push_back(group);
    std::vector<PythonRequirement> out;
    for (const auto& item : raw_.at(group).items) {
      if (item.requirement) {
        out.push_back(*item.requirement);
        continue;
      }
      if (!raw_.contains(item.include))
        return std::unexpected(reader_.error(item.source, "dependency group " + ticked(raw_.at(group).name) +
                                                              " includes " + ticked(item.include) +
                                                              ", which is not a dependency group"));
      if (auto cycle = std::find(stack_.begin(), stack_.end(), item.include); cycle != stack_.end()) {
        std::string path;
        for (auto it = cycle; it != stack_.end(); ++it) path += raw_.at(*it).name + " → ";
        path += raw_.at(item.include).name;
        return std::unexpected(reader_.error(item.source, "dependency groups include each other in a cycle (" + path + ")"));
      }
      auto nested = TRY(expand(item.include));
      out.insert(out.end(), nested.begin(), nested.end());
    }
    stack_.pop_back();
    done_[group] = out;
    return out;
  }

 private:
  const TomlReader& reader_;
  const std::map<std::string, RawGroup>& raw_;
  std::vector<std::string> stack_;
  std::map<std::string, std::vector<PythonRequirement>> done_;
};

Result<void> read_project_table(const TomlReader& r, const toml::table& project, const fs::path& root, PyProject& out) {
  std::set<std::string> present;
  for (const auto& [key, value] : project) {
    std::string k(key.str());
    present.insert(k);
    if (k == "name") {
      auto s = TRY(r.string(value, "`project.name`"));
      if (!pypi::is_valid_name(s))
        return std::unexpected(r.error(value.source(), "`project.name` " + ticked(s) + " is not a valid project name"));
      out.name = s;
    } else if (k == "version") {
      auto s = TRY(r.string(value, "`project.version`"));
      if (!pypi::is_valid_version_string(s))
        return std::unexpected(r.error(value.source(), "`project.version` " + ticked(s) + " is not a PEP 440 version"));
      out.version = s;
    } else if (k == "requires-python") {
      auto s = TRY(r.string(value, "`project.requires-python`"));
      if (auto spec = pypi::SpecifierSet::parse(s); !spec)
        return std::unexpected(r.error(value.source(), "`project.requires-python` " + ticked(s) + ": " + spec.error().message));
      out.requires_python = s;
    } else if (k == "dependencies") {
      out.dependencies = TRY(r.requirements(value, "`project.dependencies`", root));
    } else if (k == "optional-dependencies") {
      const auto* t = TRY(r.table(value, "`project.optional-dependencies`"));
      for (const auto& [extra, list] : *t) {
        std::string name(extra.str());
        if (!pypi::is_valid_name(name))
          return std::unexpected(r.error(extra.source(), "extra " + ticked(name) + " is not a valid name"));
        auto normal = pypi::normalize_name(name);
        if (out.optional_dependencies.contains(normal))
          return std::unexpected(r.error(extra.source(), "extra " + ticked(name) + " is given twice (as `" + normal +
                                                             "` once normalised)"));
        out.optional_dependencies[normal] = TRY(r.requirements(list, "`project.optional-dependencies." + name + "`", root));
      }
    } else if (k == "scripts" || k == "gui-scripts") {
      (k == "scripts" ? out.scripts : out.gui_scripts) = TRY(r.string_table(value, "project." + k));
    } else if (k == "dynamic") {
      const auto* arr = TRY(r.array(value, "`project.dynamic`"));
      for (const auto& item : *arr) {
        auto s = TRY(r.string(item, "each item of `project.dynamic`"));
        if (s == "name")
          return std::unexpected(r.error(item.source(), "`name` cannot be dynamic: it must be given in `[project]`"));
        out.dynamic.push_back(s);
      }
    }
    // Other keys (description, authors, …) do not change the image.
  }
  for (const auto& d : out.dynamic)
    if (present.contains(d))
      return std::unexpected(r.error(project.get(d)->source(),
                                     "`project." + d + "` is given here and also listed in `project.dynamic`"));
  if (!out.name) return std::unexpected(r.error(project.source(), "`[project]` has no `name`"));
  if (!out.version && std::find(out.dynamic.begin(), out.dynamic.end(), "version") == out.dynamic.end())
    return std::unexpected(
        r.error(project.source(), "`[project]` has no `version`; give one or list `version` in `dynamic`"));
  return {};
}

Result<void> read_dependency_groups(const TomlReader& r, const toml::node& node, const fs::path& root, PyProject& out) {
  const auto* t = TRY(r.table(node, "`dependency-groups`"));
  std::map<std::string, RawGroup> raw;
  for (const auto& [key, value] : *t) {
    std::string name(key.str());
    if (!pypi::is_valid_name(name))
      return std::unexpected(r.error(key.source(), "dependency group name " + ticked(name) + " is not valid"));
    auto normal = pypi::normalize_name(name);
    if (raw.contains(normal))
      return std::unexpected(r.error(key.source(), "dependency group " + ticked(name) + " duplicates " +
                                                       ticked(raw[normal].name) + " (the same once normalised)"));
    auto what = "dependency group " + ticked(name);
    const auto* arr = TRY(r.array(value, what));
    RawGroup group{name, {}};
    for (const auto& item : *arr) {
      if (auto tbl = item.as_table()) {
        auto include = tbl->get("include-group");
        if (!include || tbl->size() != 1)
          return std::unexpected(r.error(item.source(), "an item of " + what +
                                                            " must be a requirement string or `{include-group = "
                                                            "\"name\"}`"));
        auto target = TRY(r.string(*include, "`include-group`"));
        group.items.push_back({std::nullopt, pypi::normalize_name(target), include->source()});
      } else if (item.is_string()) {
        auto req = TRY(r.requirement(item, what, root));
        group.items.push_back({std::move(req), "", item.source()});
      } else {
        return std::unexpected(r.error(item.source(), "an item of " + what +
                                                          " must be a requirement string or `{include-group = "
                                                          "\"name\"}`"));
      }
    }
    raw[normal] = std::move(group);
  }
  GroupExpander expander(r, raw);
  for (const auto& [normal, group] : raw) {
    out.dependency_groups[normal] = TRY(expander.expand(normal));
  }
  return {};
}

}  // namespace

Result<PyProject> parse_pyproject(const fs::path& path, const fs::path& project_root) {
  auto root = absolute_normal(project_root);
  auto file = absolute_normal(path.is_relative() ? root / path : path);
  auto shown = display_path(file, root);
  auto bytes = TRY(read_project_file(file, root, 16 << 20));
  TomlReader r(shown);
  toml::table doc;
#if TOML_EXCEPTIONS
  try {
    doc = toml::parse(bytes, shown);
  } catch (const toml::parse_error& e) {
    return std::unexpected(r.error(e.source(), util::printable_excerpt(e.description())));
  }
#else
  auto parsed = toml::parse(bytes, shown);
  if (!parsed) return std::unexpected(r.error(parsed.error().source(), util::printable_excerpt(parsed.error().description())));
  doc = std::move(parsed).table();
#endif
  PyProject out;
  if (auto project = doc.get("project")) {
    const auto* t = TRY(r.table(*project, "`project`"));
    out.has_project = true;
    TRY(read_project_table(r, *t, root, out));
  }
  if (auto groups = doc.get("dependency-groups")) TRY(read_dependency_groups(r, *groups, root, out));
  return out;
}

}  // namespace mlpack::detectors
