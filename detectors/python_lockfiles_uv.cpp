// uv.lock: a universal lock (every platform and Python at once). The target's set is what a walk
// from the project's own package reaches through the edges whose markers hold, as `uv sync` does.
#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "detectors/python_lockfiles_internal.hpp"
#include "pypi/name.hpp"
#include "util/expected.hpp"

namespace mlpack::detectors::lockfiles {

namespace {

struct UvPackage {
  const toml::table* table = nullptr;
  std::string name;     // normalised
  std::string version;  // may be empty for virtual/editable members
  std::string kind;     // registry | url | path | directory | editable | virtual | git
  std::string value;    // the source's URL or path
};

// One dependency edge as written: `{ name, version?, source?, marker?, extra? }`.
struct UvEdge {
  const toml::table* table = nullptr;
  std::size_t target = 0;
  std::vector<std::string> extras;
};

Result<UvPackage> read_package(const Context& ctx, const toml::table& t) {
  UvPackage p;
  p.table = &t;
  auto name = string_of(t.get("name"));
  if (!name) return std::unexpected(ctx.error(t, "a `[[package]]` without a `name`"));
  p.name = pypi::normalize_name(*name);
  p.version = string_of(t.get("version")).value_or("");
  const auto* source = table_of(t.get("source"));
  if (!source || source->empty())
    return std::unexpected(ctx.error(t, quote_text(p.name) + ": expected `source = { registry = … }` (or url, path, "
                                        "directory, editable, virtual, git)"));
  for (const char* kind : {"registry", "url", "path", "directory", "editable", "virtual", "git"}) {
    if (auto v = string_of(source->get(kind))) {
      p.kind = kind;
      p.value = *v;
      break;
    }
  }
  if (p.kind.empty()) return std::unexpected(ctx.error(*source, quote_text(p.name) + ": unknown kind of `source`"));
  if (p.version.empty() && p.kind != "editable" && p.kind != "virtual" && p.kind != "directory")
    return std::unexpected(ctx.error(t, quote_text(p.name) + ": no `version`"));
  return p;
}

bool same_source(const UvPackage& p, const toml::table& source) {
  return string_of(source.get(p.kind)) == p.value;
}

class UvLock {
 public:
  UvLock(const Context& ctx, std::vector<UvPackage> packages) : ctx_(ctx), packages_(std::move(packages)) {
    for (std::size_t i = 0; i < packages_.size(); ++i) by_name_.emplace(packages_[i].name, i);
  }

  // The package an edge names: by name, then by version and source when the lock has several.
  Result<UvEdge> edge(const UvPackage& from, const toml::node& node) const {
    const auto* t = node.as_table();
    if (!t) return std::unexpected(ctx_.error(node, quote_text(from.name) + ": expected a dependency `{ name = … }`"));
    auto name = string_of(t->get("name"));
    if (!name) return std::unexpected(ctx_.error(node, quote_text(from.name) + ": a dependency without a `name`"));
    auto normalized = pypi::normalize_name(*name);
    auto version = string_of(t->get("version"));
    const auto* source = table_of(t->get("source"));
    std::vector<std::size_t> found;
    for (auto [it, end] = by_name_.equal_range(normalized); it != end; ++it) {
      const auto& p = packages_[it->second];
      if (version && p.version != *version) continue;
      if (source && !same_source(p, *source)) continue;
      found.push_back(it->second);
    }
    if (found.empty())
      return std::unexpected(ctx_.error(node, quote_text(from.name) + " depends on `" + normalized +
                                                  (version ? " " + *version : std::string()) +
                                                  "`, which the lock does not list"));
    if (found.size() > 1)
      return std::unexpected(
          ctx_.error(node, quote_text(from.name) + " depends on " + quote_text(normalized) + ", which the lock lists " +
                               std::to_string(found.size()) + " times; the edge names no version to choose one"));
    UvEdge e{t, found.front(), {}};
    if (const auto* extras = array_of(t->get("extra")))
      for (const auto& x : *extras)
        if (auto s = x.value<std::string>()) e.extras.push_back(pypi::normalize_name(*s));
    return e;
  }

  // The edges of `list` (an array of dependency tables) whose markers hold on the target.
  Result<std::vector<UvEdge>> live_edges(const UvPackage& from, const toml::node* list) const {
    std::vector<UvEdge> out;
    if (!list) return out;
    const auto* array = list->as_array();
    if (!array) return std::unexpected(ctx_.error(*list, quote_text(from.name) + ": expected a list of dependencies"));
    for (const auto& node : *array) {
      auto e = TRY(edge(from, node));
      if (auto marker = string_of(e.table->get("marker"))) {
        auto holds = TRY(marker_holds(ctx_, node, from.name, *marker));
        if (!holds) continue;
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  const std::vector<UvPackage>& packages() const { return packages_; }

 private:
  const Context& ctx_;
  std::vector<UvPackage> packages_;
  std::multimap<std::string, std::size_t> by_name_;
};

Result<LockedFile> read_file_entry(const Context& ctx, const UvPackage& p, const toml::node& node) {
  const auto* t = node.as_table();
  if (!t) return std::unexpected(ctx.error(node, quote_text(p.name) + ": expected `{ url = …, hash = … }`"));
  LockedFile f;
  if (auto url = string_of(t->get("url"))) {
    f.url = *url;
    f.filename = last_segment(*url);
  } else if (auto path = string_of(t->get("path"))) {
    // Relative to a local flat index when the registry is one, else to the lockfile's folder.
    bool local_index = p.kind == "registry" && p.value.find("://") == std::string::npos;
    f.path = (local_index ? ctx.resolve(p.value) / *path : ctx.resolve(*path)).lexically_normal().string();
    f.filename = last_segment(*path);
  } else if (p.kind == "path") {
    f.path = ctx.resolve(p.value).string();
    f.filename = last_segment(p.value);
  } else if (p.kind == "url") {
    f.url = p.value;
    f.filename = last_segment(p.value);
  }
  if (auto filename = string_of(t->get("filename"))) f.filename = *filename;
  if (auto hash = string_of(t->get("hash"))) {
    f.sha256 = TRY(sha256_of(ctx, &node, 0, p.name, *hash));
  }
  if (const auto* size = t->get("size")) {
    auto v = size->value<int64_t>();
    if (!v || *v < 0) return std::unexpected(ctx.error(*size, quote_text(p.name) + ": `size` must be a non-negative integer"));
    f.size = static_cast<std::uint64_t>(*v);
  }
  return f;
}

Result<LockedDistribution> distribution(const Context& ctx, const UvPackage& p) {
  LockedDistribution d;
  d.name = p.name;
  d.version = p.version;
  if (p.kind == "directory" || p.kind == "editable") {
    d.source = LockedSource::directory;
    d.directory = ctx.resolve(p.value).string();
    d.editable = p.kind == "editable";
    return d;
  }
  if (p.kind == "git") {
    // "https://github.com/psf/requests?tag=v2.32.3#0e322af8…": the fragment is the commit.
    d.source = LockedSource::vcs;
    std::string_view url = p.value;
    if (auto hash = url.find('#'); hash != std::string_view::npos) {
      d.commit = url.substr(hash + 1);
      url = url.substr(0, hash);
    }
    if (auto query = url.find('?'); query != std::string_view::npos) {
      auto params = url.substr(query + 1);
      if (auto sub = params.find("subdirectory="); sub != std::string_view::npos) {
        auto v = params.substr(sub + 13);
        d.subdirectory = v.substr(0, v.find('&'));
      }
      url = url.substr(0, query);
    }
    d.vcs_url = url;
    if (d.commit.empty())
      return std::unexpected(ctx.error(*p.table, quote_text(p.name) + ": the git source names no commit (`#<sha>`)"));
    return d;
  }
  if (p.kind == "registry") {
    d.index = p.value.find("://") == std::string::npos ? ctx.resolve(p.value).string() : p.value;
  } else {
    d.source = LockedSource::archive;
  }
  if (const auto* sdist = p.table->get("sdist")) {
    d.files.push_back(TRY(read_file_entry(ctx, p, *sdist)));
  }
  if (const auto* wheels = p.table->get("wheels")) {
    const auto* array = wheels->as_array();
    if (!array) return std::unexpected(ctx.error(*wheels, quote_text(p.name) + ": `wheels` must be a list"));
    for (const auto& w : *array) {
      d.files.push_back(TRY(read_file_entry(ctx, p, w)));
    }
  }
  TRY(require_a_sha256(ctx, *p.table, p.name, p.version, d.files));
  return d;
}

}  // namespace

Result<ImportedLock> import_uv(const Context& ctx, const toml::table& doc) {
  ImportedLock out{.format = "uv.lock"};

  const auto* version = doc.get("version");
  if (!version || !version->is_integer())
    return std::unexpected(ctx.error("expected `version = 1` at the top (is this a uv.lock?)", 1));
  if (auto v = *version->value<int64_t>(); v != 1)
    return std::unexpected(ctx.error(*version, "uv.lock version " + std::to_string(v) +
                                                   " is not one mlpack reads (it reads version 1); "
                                                   "relock with a uv that writes version 1 or update mlpack"));
  if (const auto* rp = doc.get("requires-python"))
    out.requires_python = TRY(checked_requires_python(ctx, *rp, "", ShowLine::no));

  std::vector<UvPackage> packages;
  if (const auto* list = doc.get("package")) {
    const auto* array = list->as_array();
    if (!array) return std::unexpected(ctx.error(*list, "expected `[[package]]` tables"));
    for (const auto& node : *array) {
      const auto* t = node.as_table();
      if (!t) return std::unexpected(ctx.error(node, "expected `[[package]]` tables"));
      packages.push_back(TRY(read_package(ctx, *t)));
    }
  }
  UvLock lock(ctx, std::move(packages));

  std::optional<std::size_t> root;
  for (std::size_t i = 0; i < lock.packages().size(); ++i) {
    const auto& p = lock.packages()[i];
    if ((p.kind == "editable" || p.kind == "virtual") && (p.value == "." || p.value == "./")) {
      if (root) return std::unexpected(ctx.error(*p.table, "two packages claim to be the project (source `.`)"));
      root = i;
    }
  }
  if (!root)
    return std::unexpected(ctx.error("no package is the project itself (`source = { editable = \".\" }` or "
                                     "`{ virtual = \".\" }`); mlpack imports a uv.lock from the project's own folder"));

  // The walk: (package, extra) pairs, "" standing for the package itself.
  std::set<std::pair<std::size_t, std::string>> seen;
  std::deque<std::pair<std::size_t, std::string>> todo;
  std::set<std::size_t> direct;
  auto visit = [&](std::size_t i, const std::string& extra) {
    if (seen.emplace(i, extra).second) todo.emplace_back(i, extra);
  };
  auto follow = [&](const UvPackage& from, const toml::node* list, bool from_root) -> Result<void> {
    auto edges = TRY(lock.live_edges(from, list));
    for (const auto& e : edges) {
      if (from_root) direct.insert(e.target);
      visit(e.target, "");
      for (const auto& x : e.extras) visit(e.target, x);
    }
    return {};
  };

  const auto& project = lock.packages()[*root];
  seen.emplace(*root, "");
  TRY(follow(project, project.table->get("dependencies"), true));
  const auto* project_extras = table_of(project.table->get("optional-dependencies"));
  for (const auto& extra : normalized(ctx.selection.extras)) {
    const toml::node* list = project_extras ? project_extras->get(extra) : nullptr;
    if (!list) return std::unexpected(ctx.error("the project has no extra " + quote_text(extra) + " in the lock"));
    TRY(follow(project, list, true));
  }
  // uv keeps dependency groups (PEP 735 and the legacy `tool.uv.dev-dependencies`) under
  // `dev-dependencies`.
  const auto* project_groups = table_of(project.table->get("dev-dependencies"));
  for (const auto& group : normalized(ctx.selection.groups)) {
    const toml::node* list = project_groups ? project_groups->get(group) : nullptr;
    if (!list) return std::unexpected(ctx.error("the project has no dependency group " + quote_text(group) + " in the lock"));
    TRY(follow(project, list, true));
  }

  while (!todo.empty()) {
    auto [i, extra] = todo.front();
    todo.pop_front();
    const auto& p = lock.packages()[i];
    if (extra.empty()) {
      TRY(follow(p, p.table->get("dependencies"), false));
      continue;
    }
    visit(i, "");  // an extra brings the package itself
    const auto* extras = table_of(p.table->get("optional-dependencies"));
    // An extra the lock does not list has nothing to add (uv drops empty extras).
    if (const toml::node* list = extras ? extras->get(extra) : nullptr) TRY(follow(p, list, false));
  }

  std::set<std::size_t> chosen;
  for (const auto& [i, extra] : seen)
    if (i != *root) chosen.insert(i);
  for (auto i : chosen) {
    const auto& p = lock.packages()[i];
    if (p.kind == "virtual") continue;  // a workspace member that installs nothing of itself
    auto d = TRY(distribution(ctx, p));
    d.direct = direct.contains(i);
    out.distributions.push_back(std::move(d));
  }
  return out;
}

}  // namespace mlpack::detectors::lockfiles
