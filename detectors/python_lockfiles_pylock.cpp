// pylock.toml (PEP 751, https://packaging.python.org/specifications/pylock-toml/). Each package
// carries the marker that selects it, so no graph walk is needed: a package is in when its
// marker holds for the target, the requested extras and the dependency groups.
#include <algorithm>
#include <map>

#include "detectors/python_lockfiles_internal.hpp"
#include "pypi/name.hpp"
#include "util/expected.hpp"

namespace mlpack::detectors::lockfiles {

namespace {

Result<std::optional<std::string>> optional_string(const Context& ctx, const toml::table& t, const char* key,
                                                   std::string_view package) {
  const auto* n = t.get(key);
  if (!n) return std::optional<std::string>();
  auto s = string_of(n);
  if (!s) return std::unexpected(ctx.error(*n, quote_text(std::string(package)) + ": `" + key + "` must be a string"));
  return s;
}

// `hashes = { sha256 = "…" }`: the sha256 when present. At least one algorithm is required; one
// without sha256 is valid PEP 751 that mlpack cannot verify.
Result<std::string> read_hashes(const Context& ctx, const toml::table& file, std::string_view package) {
  const auto* node = file.get("hashes");
  const auto* hashes = table_of(node);
  if (!hashes || hashes->empty())
    return std::unexpected(ctx.error(file, quote_text(std::string(package)) + ": a file without `hashes`"));
  auto sha = string_of(hashes->get("sha256"));
  if (!sha)
    return util::fail(util::ErrorKind::unsupported,
                      ctx.file + ":" + std::to_string(line_of(*node)) + ": " + quote_text(std::string(package)) + ": no sha256 among the file's hashes; mlpack verifies downloads with sha256");
  if (!is_sha256_hex(*sha))
    return std::unexpected(ctx.error(*node, quote_text(std::string(package)) + ": " + quote_text(*sha) + " is not a sha256"));
  std::string hex = *sha;
  std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return hex;
}

// A wheel, sdist or archive: `name`, `url` and/or `path`, `size`, `hashes`.
Result<LockedFile> read_file_entry(const Context& ctx, const toml::node& node, std::string_view package) {
  const auto* t = node.as_table();
  if (!t) return std::unexpected(ctx.error(node, quote_text(std::string(package)) + ": expected a file table"));
  LockedFile f;
  const auto n = TRY(optional_string(ctx, *t, "name", package));
  const auto u = TRY(optional_string(ctx, *t, "url", package));
  const auto p = TRY(optional_string(ctx, *t, "path", package));
  if (!u && !p)
    return std::unexpected(ctx.error(node, quote_text(std::string(package)) + ": a file with neither `url` nor `path`"));
  if (u) f.url = *u;
  if (p) f.path = ctx.resolve(*p).string();
  f.filename = n ? *n : last_segment(u ? *u : *p);
  if (const auto* size = t->get("size")) {
    auto v = size->value<int64_t>();
    if (!v || *v < 0)
      return std::unexpected(ctx.error(*size, quote_text(std::string(package)) + ": `size` must be a non-negative integer"));
    f.size = static_cast<std::uint64_t>(*v);
  }
  f.sha256 = TRY(read_hashes(ctx, *t, package));
  return f;
}

Result<LockedDistribution> read_package(const Context& ctx, const toml::table& t, const std::string& name) {
  LockedDistribution d;
  d.name = name;
  d.version = TRY(optional_string(ctx, t, "version", name)).value_or("");
  d.index = TRY(optional_string(ctx, t, "index", name)).value_or("");

  const auto* vcs = table_of(t.get("vcs"));
  const auto* directory = table_of(t.get("directory"));
  const auto* archive = table_of(t.get("archive"));
  const bool files = t.get("sdist") || t.get("wheels");
  int kinds = (vcs ? 1 : 0) + (directory ? 1 : 0) + (archive ? 1 : 0) + (files ? 1 : 0);
  if (kinds == 0)
    return std::unexpected(ctx.error(t, quote_text(name) + ": no source (`wheels`, `sdist`, `archive`, `vcs` or `directory`)"));
  if (kinds > 1)
    return std::unexpected(ctx.error(t, quote_text(name) + ": more than one kind of source; PEP 751 allows `vcs`, "
                                        "`directory`, `archive` or `sdist`/`wheels`, one of them"));

  if (vcs) {
    d.source = LockedSource::vcs;
    const auto u = TRY(optional_string(ctx, *vcs, "url", name));
    const auto p = TRY(optional_string(ctx, *vcs, "path", name));
    const auto c = TRY(optional_string(ctx, *vcs, "commit-id", name));
    const auto sub = TRY(optional_string(ctx, *vcs, "subdirectory", name));
    if (!u && !p) return std::unexpected(ctx.error(*vcs, quote_text(name) + ": `vcs` needs a `url` or `path`"));
    if (!c) return std::unexpected(ctx.error(*vcs, quote_text(name) + ": `vcs` without a `commit-id`"));
    d.vcs_url = u ? *u : ctx.resolve(*p).string();
    d.commit = *c;
    d.subdirectory = sub.value_or("");
  } else if (directory) {
    d.source = LockedSource::directory;
    auto path = TRY(optional_string(ctx, *directory, "path", name));
    auto sub = TRY(optional_string(ctx, *directory, "subdirectory", name));
    if (!path) return std::unexpected(ctx.error(*directory, quote_text(name) + ": `directory` without a `path`"));
    d.directory = ctx.resolve(*path).string();
    d.subdirectory = sub.value_or("");
    if (const auto* e = directory->get("editable")) {
      auto b = e->value<bool>();
      if (!b) return std::unexpected(ctx.error(*e, quote_text(name) + ": `editable` must be true or false"));
      d.editable = *b;
    }
  } else if (archive) {
    d.source = LockedSource::archive;
    auto f = TRY(read_file_entry(ctx, *t.get("archive"), name));
    auto sub = TRY(optional_string(ctx, *archive, "subdirectory", name));
    d.subdirectory = sub.value_or("");
    d.files.push_back(std::move(f));
  } else {
    if (d.version.empty())
      return std::unexpected(ctx.error(t, quote_text(name) + ": `version` is required with `sdist` or `wheels`"));
    if (const auto* sdist = t.get("sdist")) {
      d.files.push_back(TRY(read_file_entry(ctx, *sdist, name)));
    }
    if (const auto* wheels = t.get("wheels")) {
      const auto* array = wheels->as_array();
      if (!array) return std::unexpected(ctx.error(*wheels, quote_text(name) + ": `wheels` must be an array of tables"));
      for (const auto& w : *array) {
        d.files.push_back(TRY(read_file_entry(ctx, w, name)));
      }
    }
  }
  return d;
}

Result<std::vector<std::string>> string_list(const Context& ctx, const toml::table& doc, const char* key) {
  std::vector<std::string> out;
  const auto* node = doc.get(key);
  if (!node) return out;
  const auto* array = node->as_array();
  if (!array) return std::unexpected(ctx.error(*node, std::string("`") + key + "` must be an array of strings"));
  for (const auto& item : *array) {
    auto s = item.value<std::string>();
    if (!s) return std::unexpected(ctx.error(item, std::string("`") + key + "` must be an array of strings"));
    out.push_back(*s);
  }
  return out;
}

}  // namespace

Result<ImportedLock> import_pylock(const Context& ctx, const toml::table& doc) {
  ImportedLock out{.format = "pylock.toml"};

  // "Tools SHOULD error out if the major version is not supported, and warn if the minor one is
  // newer": mlpack cannot warn from here, and a newer minor only adds what older readers may
  // ignore, so any 1.x is read.
  const auto* version_node = doc.get("lock-version");
  if (!version_node) return std::unexpected(ctx.error("no `lock-version` (PEP 751 requires `lock-version = \"1.0\"`)", 1));
  auto version = string_of(version_node);
  if (!version) return std::unexpected(ctx.error(*version_node, "`lock-version` must be a string such as \"1.0\""));
  if (!version->starts_with("1.") || version->size() < 3 ||
      !std::all_of(version->begin() + 2, version->end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::unexpected(ctx.error(*version_node, "lock-version " + quote_text(*version) + " is not one mlpack reads (it reads 1.x); "
                                                        "relock with a tool that writes pylock 1.0"));
  if (const auto* created = doc.get("created-by"); created && !created->is_string())
    return std::unexpected(ctx.error(*created, "`created-by` must be a string"));

  if (const auto* rp = doc.get("requires-python"))
    out.requires_python = TRY(checked_requires_python(ctx, *rp, "", ShowLine::yes));

  auto environments = TRY(string_list(ctx, doc, "environments"));
  auto lock_extras = TRY(string_list(ctx, doc, "extras"));
  auto lock_groups = TRY(string_list(ctx, doc, "dependency-groups"));
  auto default_groups = TRY(string_list(ctx, doc, "default-groups"));

  if (!environments.empty()) {
    bool any = false;
    for (const auto& e : environments) {
      auto holds = TRY(marker_holds(ctx, *doc.get("environments"), "environments", e));
      any = any || holds;
    }
    if (!any)
      return util::fail(util::ErrorKind::unsatisfiable,
                        ctx.file + ":" + std::to_string(line_of(*doc.get("environments"))) +
                            ": none of the lock's `environments` is the target");
  }

  auto extras = normalized(ctx.selection.extras);
  auto groups = normalized(ctx.selection.groups.empty() ? default_groups : ctx.selection.groups);
  auto known_extras = normalized(lock_extras), known_groups = normalized(lock_groups);
  for (const auto& x : extras)
    if (!std::binary_search(known_extras.begin(), known_extras.end(), x))
      return std::unexpected(ctx.error("the lock has no extra " + quote_text(x)));
  for (const auto& g : normalized(ctx.selection.groups))
    if (!std::binary_search(known_groups.begin(), known_groups.end(), g))
      return std::unexpected(ctx.error("the lock has no dependency group " + quote_text(g)));

  const auto* packages_node = doc.get("packages");
  if (!packages_node) return std::unexpected(ctx.error("no `[[packages]]` (PEP 751 requires the key)", 1));
  const auto* packages = packages_node->as_array();
  if (!packages) return std::unexpected(ctx.error(*packages_node, "`packages` must be an array of tables"));

  auto env = ctx.env;
  env.dependency_groups = groups;
  const Context with_groups{ctx.path, ctx.file, ctx.project_root, env, ctx.selection};
  std::map<std::string, int> chosen_at;  // name → line, to refuse two entries holding at once
  for (const auto& node : *packages) {
    const auto* t = node.as_table();
    if (!t) return std::unexpected(ctx.error(node, "`packages` must be an array of tables"));
    auto raw_name = string_of(t->get("name"));
    if (!raw_name) return std::unexpected(ctx.error(node, "a package without a `name`"));
    auto name = pypi::normalize_name(*raw_name);
    if (const auto* m = t->get("marker")) {
      auto marker = string_of(m);
      if (!marker) return std::unexpected(ctx.error(*m, quote_text(name) + ": `marker` must be a string"));
      // PEP 751's set-valued `extras` and `dependency_groups` hold what is being installed.
      auto holds = TRY(marker_holds(with_groups, *m, name, *marker, extras));
      if (!holds) continue;
    }
    if (const auto* rp = t->get("requires-python")) TRY(checked_requires_python(ctx, *rp, name, ShowLine::yes));
    auto d = TRY(read_package(ctx, *t, name));
    if (auto [it, fresh] = chosen_at.emplace(name, line_of(node)); !fresh)
      return std::unexpected(ctx.error(node, quote_text(name) + " is listed twice for the target (also at line " +
                                                 std::to_string(it->second) + "); their markers must exclude each other"));
    out.distributions.push_back(std::move(d));
  }
  return out;
}

}  // namespace mlpack::detectors::lockfiles
