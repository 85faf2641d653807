// Pipfile.lock (pipenv, pipfile-spec 6): JSON with a flat "default" and "develop" set, each entry
// already carrying the marker under which pipenv installs it. And the Pipfile itself, for a
// project that has no lock (parse_pipfile).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "detectors/python_internal.hpp"
#include "detectors/python_lockfiles_internal.hpp"
#include "detectors/requirements.hpp"
#include "util/text.hpp"
#include "pypi/name.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::detectors::lockfiles {

namespace {

using nlohmann::json;

int line_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// nlohmann::json keeps no positions; the line of `"key"` after `"section"` is good enough for
// messages (pipenv writes each key once per section).
int line_of_key(std::string_view text, std::string_view section, std::string_view key) {
  auto at = text.find("\"" + std::string(section) + "\"");
  if (at == std::string_view::npos) return 0;
  auto k = text.find("\"" + std::string(key) + "\"", at);
  return k == std::string_view::npos ? line_at(text, at) : line_at(text, k);
}

// The names the Pipfile beside the lock declares ([packages], plus [dev-packages] with develop),
// normalised; empty when there is no Pipfile or it does not parse (the lock is what counts).
// A Pipfile that is not the project's own regular file is refused, as every project file is.
Result<std::set<std::string>> pipfile_names(const Context& ctx, bool develop) {
  std::set<std::string> out;
  auto pipfile = ctx.path.parent_path() / "Pipfile";
  if (!project_file_present(pipfile)) return out;
  TRY(check_project_file(pipfile, ctx.project_root));
  auto text = read_project_file(pipfile, ctx.project_root, 1 << 20);
  if (!text) return out;
  try {
    auto doc = toml::parse(*text, pipfile.string());
    for (const char* section : {"packages", "dev-packages"}) {
      if (std::string_view(section) == "dev-packages" && !develop) continue;
      if (const auto* t = doc[section].as_table())
        for (const auto& [k, v] : *t) out.insert(pypi::normalize_name(k.str()));
    }
  } catch (const toml::parse_error&) {
  }
  return out;
}

std::optional<std::string> string_field(const json& entry, const char* key) {
  auto it = entry.find(key);
  if (it == entry.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

Result<ImportedLock> import_pipfile(const Context& ctx, std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    int line = line_at(text, e.byte == 0 ? 0 : e.byte - 1);
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error …"
    if (auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    return std::unexpected(ctx.error("not valid JSON: " + util::printable_excerpt(what), line));
  } catch (const json::exception& e) {
    // A number out of range ("1e999") and the like: nlohmann throws other than parse_error.
    std::string what = e.what();
    if (auto close = what.find("] "); close != std::string::npos) what = what.substr(close + 2);
    return std::unexpected(ctx.error("not valid JSON: " + util::printable_excerpt(what), 1));
  }
  if (!doc.is_object()) return std::unexpected(ctx.error("expected a JSON object", 1));

  ImportedLock out;
  out.format = "Pipfile.lock";
  auto meta = doc.find("_meta");
  if (meta == doc.end() || !meta->is_object())
    return std::unexpected(ctx.error("no `_meta` object (is this a Pipfile.lock?)", 1));
  int meta_line = line_of_key(text, "_meta", "pipfile-spec");
  auto spec = meta->find("pipfile-spec");
  if (spec == meta->end() || !spec->is_number_integer())
    return std::unexpected(ctx.error("`_meta` has no `pipfile-spec`", meta_line));
  if (spec->get<int64_t>() != 6)
    return std::unexpected(ctx.error("pipfile-spec " + spec->dump() +
                                         " is not one mlpack reads (it reads 6); relock with a current pipenv",
                                     meta_line));

  // Where each `index` name points.
  std::map<std::string, std::string> sources;
  std::string first_source;
  if (auto s = meta->find("sources"); s != meta->end()) {
    if (!s->is_array()) return std::unexpected(ctx.error("`_meta.sources` must be a list", line_of_key(text, "_meta", "sources")));
    for (const auto& source : *s) {
      auto name = source.is_object() ? string_field(source, "name") : std::nullopt;
      auto url = source.is_object() ? string_field(source, "url") : std::nullopt;
      if (!name || !url)
        return std::unexpected(ctx.error("each of `_meta.sources` needs a `name` and a `url`", line_of_key(text, "_meta", "sources")));
      sources.emplace(*name, *url);
      if (first_source.empty()) first_source = *url;
    }
  }
  if (auto r = meta->find("requires"); r != meta->end() && r->is_object()) {
    // Recorded, not enforced: pipenv itself only warns when the interpreter differs.
    if (auto full = string_field(*r, "python_full_version"))
      out.requires_python = "==" + *full;
    else if (auto v = string_field(*r, "python_version"))
      out.requires_python = "==" + *v + ".*";
  }

  auto groups = normalized(ctx.selection.groups);
  bool develop = false;
  for (const auto& g : groups) {
    if (g == "develop" || g == "dev" || g == "dev-packages")
      develop = true;
    else
      return std::unexpected(ctx.error("a Pipfile.lock has no group " + quote_text(g) + " (only `develop`)"));
  }
  if (!ctx.selection.extras.empty())
    return std::unexpected(ctx.error("a Pipfile.lock has no extras of the project; its `default` set includes "
                                     "what the Pipfile asked for"));
  auto declared = TRY(pipfile_names(ctx, develop));

  std::map<std::string, LockedDistribution> chosen;
  for (const char* section : {"default", "develop"}) {
    if (std::string_view(section) == "develop" && !develop) continue;
    auto s = doc.find(section);
    if (s == doc.end()) continue;
    if (!s->is_object())
      return std::unexpected(ctx.error(std::string("`") + section + "` must be an object", line_of_key(text, section, section)));
    for (const auto& [raw_name, entry] : s->items()) {
      const int line = line_of_key(text, section, raw_name);
      const auto name = pypi::normalize_name(raw_name);
      auto fail = [&](std::string what) { return std::unexpected(ctx.error(quote_text(name) + ": " + what, line)); };
      if (!entry.is_object()) return fail("expected an object");
      if (auto marker = string_field(entry, "markers")) {
        auto holds = TRY(marker_holds_at(ctx, line, name, *marker));
        if (!holds) continue;
      }
      LockedDistribution d;
      d.name = name;
      if (auto version = string_field(entry, "version")) {
        std::string_view v = *version;
        if (v.starts_with("===")) v.remove_prefix(3);
        else if (v.starts_with("==")) v.remove_prefix(2);
        else return fail("`version` must be an exact pin `==x`, got " + quote_text(*version));
        d.version = v;
      }
      if (auto hashes = entry.find("hashes"); hashes != entry.end()) {
        if (!hashes->is_array()) return fail("`hashes` must be a list");
        for (const auto& h : *hashes) {
          if (!h.is_string()) return fail("`hashes` must be a list of strings");
          auto hex = TRY(sha256_of(ctx, nullptr, line, name, h.get<std::string>()));
          d.hashes.push_back(hex.empty() ? h.get<std::string>() : "sha256:" + hex);
        }
      }
      d.subdirectory = string_field(entry, "subdirectory").value_or("");
      auto git = string_field(entry, "git");
      auto path = string_field(entry, "path");
      auto file = string_field(entry, "file");
      if (git) {
        d.source = LockedSource::vcs;
        d.vcs_url = *git;
        d.commit = string_field(entry, "ref").value_or("");
        if (d.commit.empty()) return fail("a `git` entry without a `ref`");
      } else if (path) {
        std::error_code ec;
        auto resolved = ctx.resolve(*path);
        bool is_file = fs::is_regular_file(resolved, ec) || path->ends_with(".whl") || path->ends_with(".tar.gz") ||
                       path->ends_with(".zip");
        if (is_file) {
          d.source = LockedSource::archive;
          d.files.push_back(LockedFile{last_segment(*path), "", "", std::nullopt, resolved.string()});
        } else {
          d.source = LockedSource::directory;
          d.directory = resolved.string();
          auto editable = entry.find("editable");
          d.editable = editable != entry.end() && editable->is_boolean() && editable->get<bool>();
        }
      } else if (file) {
        d.source = LockedSource::archive;
        d.files.push_back(LockedFile{last_segment(*file), *file, "", std::nullopt, ""});
        if (d.hashes.empty()) return fail("a `file` entry without `hashes`");
      } else {
        if (d.version.empty()) return fail("no `version` (nor `git`, `path` or `file`)");
        if (d.hashes.empty()) return fail("no `hashes`; mlpack installs only what a hash pins");
        if (auto index = string_field(entry, "index")) {
          auto it = sources.find(*index);
          if (it == sources.end()) return fail("`index` " + quote_text(*index) + " is not among `_meta.sources`");
          d.index = it->second;
        } else {
          d.index = first_source;
        }
      }
      // A lone sha256 also names the file when there is only one.
      if (d.files.size() == 1 && d.hashes.size() == 1 && d.hashes[0].starts_with("sha256:"))
        d.files[0].sha256 = d.hashes[0].substr(7);
      d.direct = declared.contains(name);
      // The same name in both sections: the default entry is what production runs, so it stays.
      chosen.emplace(name, std::move(d));
    }
  }
  for (auto& [name, d] : chosen) out.distributions.push_back(std::move(d));
  return out;
}

}  // namespace mlpack::detectors::lockfiles

// ---------------------------------------------------------------------------------------------
// Pipfile without its lock: the manifest, read as requirements.

namespace mlpack::detectors {

namespace {

using util::ErrorKind;

// The PEP 508 marker variables pipenv takes as keys of a package's table.
constexpr std::string_view kMarkerKeys[] = {
    "os_name",          "sys_platform",   "platform_machine",    "platform_python_implementation",
    "platform_release", "platform_system", "platform_version",   "python_version",
    "python_full_version", "implementation_name", "implementation_version"};

constexpr std::string_view kVcsKeys[] = {"git", "hg", "svn", "bzr"};

class PipfileReader {
 public:
  PipfileReader(fs::path path, fs::path root, std::string file)
      : path_(std::move(path)), root_(std::move(root)), file_(std::move(file)) {}

  util::Error error(const toml::node& at, const std::string& what) const {
    const auto& b = at.source().begin;
    std::string where = file_;
    if (b.line > 0) where += ":" + std::to_string(b.line) + ":" + std::to_string(b.column);
    return util::Error{ErrorKind::invalid_input, where + ": " + what};
  }

  Result<std::string> string(const toml::node& n, const std::string& what) const {
    if (const auto* s = n.as_string()) return s->get();
    return std::unexpected(error(n, what + " must be a string"));
  }

  // One entry of [packages] / [dev-packages].
  Result<PythonRequirement> package(std::string_view raw_name, const toml::node& value, const std::string& section) {
    const std::string name(raw_name);
    const std::string what = "`[" + section + "]` " + quote_text(name);
    if (!pypi::is_valid_name(name)) return std::unexpected(error(value, what + " is not a valid project name"));
    std::string extras, spec, url, marker;
    std::optional<fs::path> local;
    bool editable = false;
    auto version_spec = [&](const toml::node& n) -> Result<std::string> {
      auto v = util::trim(TRY(string(n, what + "'s version")));
      if (v.empty() || v == "*") return std::string();
      // pipenv takes a bare version as an exact pin.
      if (std::isdigit(static_cast<unsigned char>(v[0]))) return "==" + v;
      return v;
    };
    if (value.is_string()) {
      spec = TRY(version_spec(value));
    } else if (const auto* t = value.as_table()) {
      std::vector<std::string> markers;
      std::string vcs, ref, subdirectory;
      for (const auto& [k, v] : *t) {
        const std::string key(k.str());
        if (key == "version") {
          spec = TRY(version_spec(v));
        } else if (key == "extras") {
          const auto* arr = v.as_array();
          if (!arr) return std::unexpected(error(v, what + "'s `extras` must be a list of strings"));
          std::vector<std::string> names;
          for (const auto& e : *arr) names.push_back(TRY(string(e, "each of " + what + "'s `extras`")));
          if (!names.empty()) extras = "[" + util::join(names, ",") + "]";
        } else if (key == "markers") {
          markers.push_back("(" + TRY(string(v, what + "'s `markers`")) + ")");
        } else if (std::find(std::begin(kMarkerKeys), std::end(kMarkerKeys), key) != std::end(kMarkerKeys)) {
          markers.push_back(key + " " + TRY(string(v, what + "'s `" + key + "`")));
        } else if (std::find(std::begin(kVcsKeys), std::end(kVcsKeys), key) != std::end(kVcsKeys)) {
          auto repo = TRY(string(v, what + "'s `" + key + "`"));
          vcs = repo.starts_with(key + "+") ? repo : key + "+" + repo;
        } else if (key == "ref") {
          ref = TRY(string(v, what + "'s `ref`"));
        } else if (key == "subdirectory") {
          subdirectory = TRY(string(v, what + "'s `subdirectory`"));
        } else if (key == "file") {
          url = TRY(string(v, what + "'s `file`"));
        } else if (key == "path") {
          auto written = TRY(string(v, what + "'s `path`"));
          fs::path p{written};
          if (p.is_relative()) p = path_.parent_path() / p;
          p = internal::normal(p);
          if (internal::is_file(p)) {
            // Read on the project's behalf (hashed, installed): the one rule for project files.
            auto checked = check_project_file(p, root_, written);
            if (!checked) return std::unexpected(error(v, checked.error().message));
          } else if (!internal::is_dir(p)) {
            return std::unexpected(error(v, what + "'s `path` " + quote_text(written) + ": no such file or directory"));
          }
          local = p;
          url = detail::path_to_url(p);
        } else if (key == "editable") {
          if (!v.is_boolean()) return std::unexpected(error(v, what + "'s `editable` must be true or false"));
          editable = v.as_boolean()->get();
        } else if (key == "index") {
          auto index = TRY(string(v, what + "'s `index`"));
          if (!source_names_.contains(index))
            return std::unexpected(error(v, what + "'s `index` " + quote_text(index) + " is not a `[[source]]` name"));
        }
        // Other keys (pipenv's `os_markers`, tool settings) do not change what is installed.
      }
      if (!vcs.empty()) {
        if (!url.empty()) return std::unexpected(error(value, what + " names both a repository and a file or path"));
        url = vcs + (ref.empty() ? "" : "@" + ref) + (subdirectory.empty() ? "" : "#subdirectory=" + subdirectory);
      }
      marker = util::join(markers, " and ");
    } else {
      return std::unexpected(error(value, what + " must be a version string or a table"));
    }
    if (!url.empty() && !spec.empty())
      return std::unexpected(error(value, what + " has both a version and a file, path or repository"));

    std::string text = name + extras + (url.empty() ? spec : " @ " + url) + (marker.empty() ? "" : " ; " + marker);
    auto parsed = pypi::Requirement::parse(text);
    if (!parsed) return std::unexpected(error(value, what + ": invalid requirement " + quote_text(text) + ": " +
                                                         parsed.error().message));
    PythonRequirement out;
    out.requirement = std::move(*parsed);
    out.text = text;
    out.file = file_;
    out.line = static_cast<int>(value.source().begin.line);
    out.column = static_cast<int>(value.source().begin.column);
    out.editable = editable && local && internal::is_dir(*local);
    if (local) out.path = local->string();
    return out;
  }

  Result<Pipfile> read(const toml::table& doc) {
    Pipfile out;
    if (const auto* node = doc.get("source")) {
      const auto* arr = node->as_array();
      if (!arr) return std::unexpected(error(*node, "`[[source]]` must be an array of tables"));
      for (const auto& item : *arr) {
        const auto* t = item.as_table();
        if (!t) return std::unexpected(error(item, "each `[[source]]` must be a table"));
        const auto* url = t->get("url");
        if (!url) return std::unexpected(error(item, "a `[[source]]` without a `url`"));
        auto u = TRY(string(*url, "`[[source]]`'s `url`"));
        if (const auto* n = t->get("name")) source_names_.insert(TRY(string(*n, "`[[source]]`'s `name`")));
        out.requirements.index_urls.push_back(u);
        out.requirements.index_url_set = true;
      }
    }
    for (const char* section : {"packages", "dev-packages"}) {
      const auto* node = doc.get(section);
      if (!node) continue;
      const auto* t = node->as_table();
      if (!t) return std::unexpected(error(*node, "`[" + std::string(section) + "]` must be a table"));
      // toml++ keeps a table by key; the requirements are listed as the Pipfile writes them.
      std::vector<std::pair<std::string_view, const toml::node*>> entries;
      for (const auto& [k, v] : *t) entries.emplace_back(k.str(), &v);
      std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        const auto &x = a.second->source().begin, &y = b.second->source().begin;
        return std::pair{x.line, x.column} < std::pair{y.line, y.column};
      });
      for (const auto& [k, v] : entries) {
        auto req = TRY(package(k, *v, section));
        if (std::string_view(section) == "dev-packages") req.group = "dev";
        out.requirements.requirements.push_back(std::move(req));
      }
    }
    if (const auto* node = doc.get("requires")) {
      const auto* t = node->as_table();
      if (!t) return std::unexpected(error(*node, "`[requires]` must be a table"));
      const toml::node* v = t->get("python_version");
      if (!v) v = t->get("python_full_version");
      if (v) {
        auto text = TRY(string(*v, "`[requires]` python_version"));
        int major = 0, minor = 0;
        char rest = 0;
        auto dots = std::count(text.begin(), text.end(), '.');
        if (dots < 1 || dots > 2 || std::sscanf(text.c_str(), "%d.%d%c", &major, &minor, &rest) < 2 ||
            text.find_first_not_of("0123456789.") != std::string::npos)
          return std::unexpected(error(*v, "`[requires]` python version " + quote_text(text) + " is not X.Y or X.Y.Z"));
        out.python_version = std::to_string(major) + "." + std::to_string(minor);
        out.python_version_line = static_cast<int>(v->source().begin.line);
      }
    }
    out.requirements.files.push_back(file_);
    return out;
  }

 private:
  fs::path path_, root_;
  std::string file_;
  std::set<std::string> source_names_;
};

}  // namespace

bool selects_pipfile_dev(std::string_view group) {
  auto g = pypi::normalize_name(group);
  return g == "dev" || g == "develop" || g == "dev-packages";
}

Result<Pipfile> parse_pipfile(const fs::path& path, const fs::path& project_root) {
  const auto root = internal::absolute_normal(project_root);
  const auto file = internal::absolute_normal(path.is_relative() ? root / path : path);
  const std::string shown = file.lexically_relative(root).generic_string();
  auto text = TRY(read_project_file(file, root, 1 << 20));
  toml::table doc;
  try {
    doc = toml::parse(text, shown);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return util::fail(ErrorKind::invalid_input, shown + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                                                    ": " + util::printable_excerpt(e.description()));
  }
  PipfileReader reader(file, root, shown);
  return reader.read(doc);
}

}  // namespace mlpack::detectors
