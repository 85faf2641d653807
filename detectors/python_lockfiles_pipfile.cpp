// Pipfile.lock (pipenv, pipfile-spec 6): JSON with a flat "default" and "develop" set, each entry
// already carrying the marker under which pipenv installs it.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "detectors/python_lockfiles_internal.hpp"
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
    return std::unexpected(ctx.error("not valid JSON: " + what, line));
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
