// poetry.lock. Lock 2.1 (Poetry 2) records for each package its `groups` and the `markers` under
// which it is installed, so the set is chosen from those alone. Older locks (1.x, 2.0) do not: the
// set is what a walk from the project's dependencies (pyproject.toml) reaches through the edges
// whose markers hold, as Poetry's installer does.
#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "detectors/python_lockfiles_internal.hpp"
#include "pypi/name.hpp"
#include "pypi/requirement.hpp"
#include "pypi/specifier.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"

namespace mlpack::detectors::lockfiles {

namespace {

struct PoetryPackage {
  const toml::table* table = nullptr;
  std::string name;  // normalised
  std::string version;
  bool optional = false;
};

// A requirement of the project itself, from pyproject.toml.
struct Root {
  std::string name;  // normalised
  std::vector<std::string> extras;
  std::string constraint = "*";  // chooses among several lock entries of the name
};

// "PySocks (>=1.5.6,!=1.5.7)" / "chardet>=3" / "foo[bar]; extra == 'x'" → "pysocks".
std::string leading_name(std::string_view spec) {
  auto end = spec.find_first_of(" ([;<>=!~@");
  return pypi::normalize_name(spec.substr(0, end));
}

// Whether a Poetry version constraint as the lock writes it ("*", "1.2.3", ">=2,<4",
// ">=1.5.6,<1.5.7 || >1.5.7") allows `version`. Forms it cannot read allow everything: the
// constraint only chooses between entries of one name, and the lock already satisfied it.
bool constraint_allows(std::string_view constraint, const std::string& version) {
  if (constraint.find_first_of("^") != std::string_view::npos) return true;  // Poetry's caret

  std::size_t start = 0;
  while (start <= constraint.size()) {
    auto bar = constraint.find("||", start);
    auto part = constraint.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part.empty() || part == "*") return true;
    std::string text(part);
    if (std::isdigit(static_cast<unsigned char>(text.front()))) text = "==" + text;
    auto set = pypi::SpecifierSet::parse(text);
    if (!set || set->contains(version, pypi::Prereleases::include)) return true;
    if (bar == std::string_view::npos) break;
    start = bar + 2;
  }
  return false;
}

// The version constraint of a dependency's value: "1.2" | { version = "1.2", … }.
std::string constraint_of(const toml::node& value) {
  if (auto s = string_of(&value)) return *s;
  if (const auto* t = value.as_table()) return string_of(t->get("version")).value_or("*");
  return "*";
}

// The variants of a dependency's value: a list of alternatives (each with its own markers), or the
// value itself.
std::vector<const toml::node*> variants_of(const toml::node& value) {
  std::vector<const toml::node*> out;
  if (const auto* a = value.as_array())
    for (const auto& v : *a) out.push_back(&v);
  else
    out.push_back(&value);
  return out;
}

class PoetryLock {
 public:
  PoetryLock(const Context& ctx, const toml::table& doc) : ctx_(ctx), doc_(doc) {}

  Result<void> read() {
    const auto* list = doc_.get("package");
    if (!list) return {};
    const auto* array = list->as_array();
    if (!array) return std::unexpected(ctx_.error(*list, "expected `[[package]]` tables"));
    for (const auto& node : *array) {
      const auto* t = node.as_table();
      if (!t) return std::unexpected(ctx_.error(node, "expected `[[package]]` tables"));
      PoetryPackage p;
      p.table = t;
      auto name = string_of(t->get("name"));
      auto version = string_of(t->get("version"));
      if (!name) return std::unexpected(ctx_.error(node, "a `[[package]]` without a `name`"));
      p.name = pypi::normalize_name(*name);
      if (!version) return std::unexpected(ctx_.error(node, quote_text(p.name) + ": no `version`"));
      p.version = *version;
      p.optional = t->get("optional") && t->get("optional")->value<bool>().value_or(false);
      by_name_.emplace(p.name, packages_.size());
      packages_.push_back(std::move(p));
    }
    return {};
  }

  const std::vector<PoetryPackage>& packages() const { return packages_; }

  // The entries for `name` that `constraint` allows (all of them when there is only one).
  std::vector<std::size_t> find(const std::string& name, std::string_view constraint = "*") const {
    std::vector<std::size_t> out;
    for (auto [it, end] = by_name_.equal_range(name); it != end; ++it) out.push_back(it->second);
    if (out.size() <= 1) return out;
    std::erase_if(out, [&](std::size_t i) { return !constraint_allows(constraint, packages_[i].version); });
    return out;
  }

 private:
  const Context& ctx_;
  const toml::table& doc_;
  std::vector<PoetryPackage> packages_;
  std::multimap<std::string, std::size_t> by_name_;
};

// The project's requirements as pyproject.toml beside the lock states them, for the selection.
// nullopt when there is no pyproject.toml naming any.
Result<std::optional<std::vector<Root>>> read_roots(const Context& ctx, const std::vector<std::string>& extras,
                                                    const std::vector<std::string>& groups) {
  auto path = ctx.path.parent_path() / "pyproject.toml";
  if (!project_file_present(path)) return std::optional<std::vector<Root>>();
  auto text = TRY(read_project_file(path, ctx.project_root, 4 << 20));
  Context py{path, "pyproject.toml", ctx.project_root, ctx.env, ctx.selection};
  auto doc = TRY(parse_toml(py, text));

  std::vector<Root> roots;
  bool any = false;
  // [tool.poetry.extras]: extra → names of optional dependencies it turns on.
  std::set<std::string> optional_on;
  if (const auto* poetry_extras = doc["tool"]["poetry"]["extras"].as_table())
    for (const auto& [extra, names] : *poetry_extras)
      if (std::binary_search(extras.begin(), extras.end(), pypi::normalize_name(extra.str())))
        if (const auto* a = names.as_array())
          for (const auto& n : *a)
            if (auto s = n.value<std::string>()) optional_on.insert(pypi::normalize_name(*s));

  // Poetry's own tables: name = "constraint" | { version, markers, optional, extras, … } | [ … ].
  auto poetry_table = [&](const toml::table* t) -> Result<void> {
    if (!t) return {};
    any = true;
    for (const auto& [key, value] : *t) {
      auto name = pypi::normalize_name(key.str());
      if (name == "python") continue;
      for (const auto* v : variants_of(value)) {
        Root root{name, {}, constraint_of(*v)};
        if (const auto* c = v->as_table()) {
          if (c->get("optional") && c->get("optional")->value<bool>().value_or(false) && !optional_on.contains(name))
            continue;
          if (auto marker = string_of(c->get("markers"))) {
            auto holds = TRY(marker_holds(py, *v, name, *marker));
            if (!holds) continue;
          }
          if (const auto* x = c->get("extras"); x && x->as_array())
            for (const auto& e : *x->as_array())
              if (auto s = e.value<std::string>()) root.extras.push_back(pypi::normalize_name(*s));
        }
        roots.push_back(std::move(root));
        break;
      }
    }
    return {};
  };
  // PEP 621 / PEP 735 lists of PEP 508 strings.
  auto pep508_list = [&](const toml::node* list) -> Result<void> {
    const auto* a = array_of(list);
    if (!a) return {};
    any = true;
    for (const auto& item : *a) {
      auto s = item.value<std::string>();
      if (!s) continue;  // {include-group = …} and the like: the group's own entries are read too
      auto req = pypi::Requirement::parse(*s);
      if (!req) return std::unexpected(py.error(item, quote_text(*s) + ": " + req.error().message));
      if (!req->applies(ctx.env)) continue;
      Root root{req->normalized_name(), normalized(req->extras), req->specifier.str()};
      roots.push_back(std::move(root));
    }
    return {};
  };

  const auto& tool = doc["tool"]["poetry"];
  TRY(poetry_table(tool["dependencies"].as_table()));
  TRY(pep508_list(doc["project"]["dependencies"].node()));
  for (const auto& extra : extras)
    if (const auto* optional = doc["project"]["optional-dependencies"].as_table())
      for (const auto& [k, v] : *optional)
        if (pypi::normalize_name(k.str()) == extra) TRY(pep508_list(&v));
  for (const auto& group : groups) {
    if (const auto* poetry_groups = tool["group"].as_table())
      for (const auto& [k, v] : *poetry_groups)
        if (pypi::normalize_name(k.str()) == group)
          TRY(poetry_table(v.as_table() ? (*v.as_table())["dependencies"].as_table() : nullptr));
    if (group == "dev") TRY(poetry_table(tool["dev-dependencies"].as_table()));
    if (const auto* pep735 = doc["dependency-groups"].as_table())
      for (const auto& [k, v] : *pep735)
        if (pypi::normalize_name(k.str()) == group) TRY(pep508_list(&v));
  }
  if (!any) return std::optional<std::vector<Root>>();
  return std::optional<std::vector<Root>>(std::move(roots));
}

Result<LockedDistribution> distribution(const Context& ctx, const toml::table& doc, const PoetryPackage& p,
                                        const std::string& lock_version) {
  LockedDistribution d;
  d.name = p.name;
  d.version = p.version;
  const auto* source = table_of(p.table->get("source"));
  std::string type = source ? string_of(source->get("type")).value_or("") : "";
  std::string url = source ? string_of(source->get("url")).value_or("") : "";
  if (source) d.subdirectory = string_of(source->get("subdirectory")).value_or("");
  if (type == "directory") {
    d.source = LockedSource::directory;
    d.directory = ctx.resolve(url).string();
    d.editable = p.table->get("develop") && p.table->get("develop")->value<bool>().value_or(false);
    return d;
  }
  if (type == "git") {
    d.source = LockedSource::vcs;
    d.vcs_url = url;
    d.commit = string_of(source->get("resolved_reference")).value_or("");
    if (d.commit.empty())
      return std::unexpected(ctx.error(*source, quote_text(p.name) + ": a git source without `resolved_reference`"));
    return d;
  }
  if (type == "legacy") d.index = url;
  if (type == "url" || type == "file") d.source = LockedSource::archive;

  // Lock 2.x: `files` on the package. Lock 1.x: [metadata.files] under the name as written.
  const toml::node* files = p.table->get("files");
  if (!files && lock_version.starts_with("1"))
    if (const auto* by_name = doc["metadata"]["files"].as_table())
      for (const auto& [k, v] : *by_name)
        if (pypi::normalize_name(k.str()) == p.name) files = &v;
  if (const auto* array = array_of(files)) {
    for (const auto& node : *array) {
      const auto* f = node.as_table();
      if (!f) return std::unexpected(ctx.error(node, quote_text(p.name) + ": expected `{file = …, hash = …}`"));
      LockedFile out;
      out.filename = string_of(f->get("file")).value_or("");
      // [metadata.files] lists the files of every locked version of a name together.
      if (!p.table->get("files") && !out.filename.empty() &&
          out.filename.find("-" + p.version + "-") == std::string::npos &&
          out.filename.find("-" + p.version + ".") == std::string::npos)
        continue;
      if (type == "url") out.url = url;
      if (type == "file") out.path = ctx.resolve(url).string();
      if (auto hash = string_of(f->get("hash"))) {
        out.sha256 = TRY(sha256_of(ctx, &node, 0, p.name, *hash));
      }
      d.files.push_back(std::move(out));
    }
  } else if (files) {
    return std::unexpected(ctx.error(*files, quote_text(p.name) + ": `files` must be a list"));
  }
  TRY(require_a_sha256(ctx, *p.table, p.name, p.version, d.files));
  return d;
}

}  // namespace

Result<ImportedLock> import_poetry(const Context& ctx, const toml::table& doc) {
  ImportedLock out{.format = "poetry.lock"};

  const auto* metadata = doc["metadata"].as_table();
  if (!metadata) return std::unexpected(ctx.error("no `[metadata]` table (is this a poetry.lock?)", 1));
  const auto* version_node = metadata->get("lock-version");
  auto lock_version = string_of(version_node);
  if (!lock_version) return std::unexpected(ctx.error(*metadata, "`[metadata]` has no `lock-version`"));
  if (!(lock_version->starts_with("1.") || lock_version->starts_with("2.")))
    return std::unexpected(ctx.error(*version_node, "lock-version " + quote_text(*lock_version) + " is not one mlpack reads (it reads 1.x and 2.x)"));
  if (!string_of(metadata->get("content-hash")))
    return std::unexpected(ctx.error(*metadata, "`[metadata]` has no `content-hash`"));
  // Poetry's python-versions uses its own syntax ("^3.10"); kept only when it is PEP 440.
  if (auto pv = string_of(metadata->get("python-versions")); pv && pypi::SpecifierSet::parse(*pv))
    out.requires_python = *pv;

  PoetryLock lock(ctx, doc);
  TRY(lock.read());
  auto extras = normalized(ctx.selection.extras);
  auto groups = normalized(ctx.selection.groups);
  auto roots = TRY(read_roots(ctx, extras, groups));
  std::set<std::string> direct;
  if (roots)
    for (const auto& r : *roots) direct.insert(r.name);

  // Packages the requested extras turn on ([extras] at the top of the lock).
  std::set<std::string> extra_packages;
  if (const auto* lock_extras = doc["extras"].as_table()) {
    for (const auto& x : extras) {
      const toml::node* names = nullptr;
      for (const auto& [k, v] : *lock_extras)
        if (pypi::normalize_name(k.str()) == x) names = &v;
      if (!names) return std::unexpected(ctx.error("the lock has no extra " + quote_text(x)));
      if (const auto* a = names->as_array())
        for (const auto& n : *a)
          if (auto s = n.value<std::string>()) extra_packages.insert(leading_name(*s));
    }
  } else if (!extras.empty()) {
    return std::unexpected(ctx.error("the lock has no extra " + quote_text(extras.front())));
  }

  std::set<std::size_t> chosen;
  const bool has_groups = std::any_of(lock.packages().begin(), lock.packages().end(),
                                      [](const PoetryPackage& p) { return p.table->get("groups") != nullptr; });
  if (has_groups) {
    // Lock 2.1: "main" plus the requested groups; `markers` per package, or per group.
    std::vector<std::string> wanted = groups;
    wanted.push_back("main");
    for (std::size_t i = 0; i < lock.packages().size(); ++i) {
      const auto& p = lock.packages()[i];
      if (p.optional && !extra_packages.contains(p.name)) continue;
      std::vector<std::string> in;
      if (const auto* g = array_of(p.table->get("groups")))
        for (const auto& n : *g)
          if (auto s = n.value<std::string>(); s && std::find(wanted.begin(), wanted.end(), pypi::normalize_name(*s)) != wanted.end())
            in.push_back(*s);
      if (in.empty()) continue;
      bool holds = true;
      if (const auto* m = p.table->get("markers")) {
        if (auto marker = string_of(m)) {
          holds = TRY(marker_holds(ctx, *m, p.name, *marker, extras));
        } else if (const auto* per_group = m->as_table()) {
          holds = false;
          for (const auto& g : in) {
            auto marker = string_of(per_group->get(g));
            if (!marker) {  // no marker for this group: always
              holds = true;
              break;
            }
            auto h = TRY(marker_holds(ctx, *per_group->get(g), p.name, *marker, extras));
            if (h) {
              holds = true;
              break;
            }
          }
        }
      }
      if (holds) chosen.insert(i);
    }
  } else {
    // Walk from the project's requirements; without a pyproject.toml, from every package nothing
    // else depends on (the lock's own view of the roots), within the categories asked for.
    std::set<std::pair<std::size_t, std::string>> seen;
    std::deque<std::pair<std::size_t, std::string>> todo;
    auto visit = [&](std::size_t i, const std::string& extra) {
      if (seen.emplace(i, extra).second) todo.emplace_back(i, extra);
    };
    if (roots) {
      for (const auto& r : *roots) {
        auto found = lock.find(r.name, r.constraint);
        if (found.empty())
          return std::unexpected(ctx.error("pyproject.toml asks for " + quote_text(r.name) + ", which the lock does not list; the lock is out of date (`poetry lock`)"));
        for (auto i : found) {
          visit(i, "");
          for (const auto& x : r.extras) visit(i, x);
        }
      }
    } else {
      std::set<std::string> depended_on;
      for (const auto& p : lock.packages())
        if (const auto* deps = table_of(p.table->get("dependencies")))
          for (const auto& [k, v] : *deps) depended_on.insert(pypi::normalize_name(k.str()));
      for (std::size_t i = 0; i < lock.packages().size(); ++i) {
        const auto& p = lock.packages()[i];
        if (depended_on.contains(p.name)) continue;
        if (p.optional && !extra_packages.contains(p.name)) continue;
        auto category = string_of(p.table->get("category")).value_or("main");
        if (category != "main" && std::find(groups.begin(), groups.end(), category) == groups.end()) continue;
        visit(i, "");
      }
    }
    for (const auto& name : extra_packages)
      for (auto i : lock.find(name)) visit(i, "");

    while (!todo.empty()) {
      auto [i, extra] = todo.front();
      todo.pop_front();
      const auto& p = lock.packages()[i];
      // Each (package, extra) pair is expanded on its own: the package's plain dependencies with
      // no extra, and with an extra also the optional dependencies that extra turns on.
      std::vector<std::string> asked;
      if (!extra.empty()) {
        visit(i, "");
        asked.push_back(extra);
      }
      std::set<std::string> optional_on;
      if (const auto* package_extras = table_of(p.table->get("extras")))
        for (const auto& [k, v] : *package_extras)
          if (std::find(asked.begin(), asked.end(), pypi::normalize_name(k.str())) != asked.end())
            if (const auto* a = v.as_array())
              for (const auto& n : *a)
                if (auto s = n.value<std::string>()) optional_on.insert(leading_name(*s));
      const auto* deps = table_of(p.table->get("dependencies"));
      if (!deps) continue;
      for (const auto& [key, value] : *deps) {
        auto name = pypi::normalize_name(key.str());
        for (const auto* v : variants_of(value)) {
          std::vector<std::string> dep_extras;
          if (const auto* c = v->as_table()) {
            if (c->get("optional") && c->get("optional")->value<bool>().value_or(false) && !optional_on.contains(name))
              continue;
            if (auto marker = string_of(c->get("markers"))) {
              auto holds = TRY(marker_holds(ctx, *v, p.name, *marker, asked));
              if (!holds) continue;
            }
            if (const auto* x = array_of(c->get("extras")))
              for (const auto& e : *x)
                if (auto s = e.value<std::string>()) dep_extras.push_back(pypi::normalize_name(*s));
          }
          auto found = lock.find(name, constraint_of(*v));
          if (found.empty())
            return std::unexpected(ctx.error(*v, quote_text(p.name) + " depends on " + quote_text(name) + ", which the lock does not list"));
          for (auto j : found) {
            visit(j, "");
            for (const auto& x : dep_extras) visit(j, x);
          }
          break;  // the first variant that holds decides, as Poetry's markers are exclusive
        }
      }
    }
    for (const auto& [i, extra] : seen) chosen.insert(i);
  }

  for (auto i : chosen) {
    auto d = TRY(distribution(ctx, doc, lock.packages()[i], *lock_version));
    d.direct = direct.contains(d.name);
    out.distributions.push_back(std::move(d));
  }
  return out;
}

}  // namespace mlpack::detectors::lockfiles
