#include "pyresolve/resolve.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <unordered_map>

#include "pypi/filename.hpp"
#include "pypi/name.hpp"
#include "util/expected.hpp"
#include "util/text.hpp"

namespace mlpack::pyresolve {

using util::ErrorKind;
using resolve::SolvableId;

namespace {

std::string python_full(const Request& r) {
  if (!r.python_full_version.empty()) return r.python_full_version;
  return std::to_string(r.target.python_major) + "." + std::to_string(r.target.python_minor) + ".0";
}


// One version of a project, with the wheel mlpack would install for the target.
struct VersionEntry {
  pypi::Version version;
  std::string text;
  std::optional<pyindex::DistFile> wheel;  // best compatible wheel, if any
  bool yanked = false;                     // the chosen wheel is yanked
  std::vector<std::string> files;          // every file of the version, for explanations
  std::string requires_python;             // why the version was set aside, when it was
  std::string index;                       // where its files were listed (the first one's index)
};

struct Project {
  std::vector<VersionEntry> versions;  // newest first
  bool all_prerelease = false;
  std::size_t hash_rejected = 0;  // files set aside because requirements.txt pinned other hashes
};

struct ReqInfo {
  std::string key;      // the solvable name it selects: "a" or "a[x]"
  std::string project;  // normalised
  std::optional<std::string> extra;
  pypi::SpecifierSet spec;
  bool exact = false;                   // `==V` / `===V`: a yanked file may be used (PEP 592)
  std::optional<SolvableId> fixed;      // `a[x] V` needs exactly this `a V`
  std::optional<std::string> python;    // a Requires-Python the target does not meet
};

struct Cand {
  std::string key;
  std::string project;
  std::optional<std::string> extra;
  std::string version;
  pyindex::DistFile file;
};


// A URL as the lock records it: credentials never go into a file that is committed.
std::string strip_userinfo(const std::string& url) {
  std::string redacted = util::redact_url(url);
  auto at = redacted.find("***@");
  return at == std::string::npos ? redacted : redacted.erase(at, 4);
}

bool is_exact(const pypi::SpecifierSet& spec) {
  auto s = spec.specifiers();
  return s.size() == 1 && !s[0].is_wildcard() &&
         (s[0].op() == pypi::Operator::equal || s[0].op() == pypi::Operator::arbitrary);
}

// `git+https://…`, `hg+ssh://…`, `svn+…`, `bzr+…`, or the bare `git://` scheme: a repository,
// which only a build would turn into a distribution.
bool is_vcs_url(std::string_view url) {
  auto colon = url.find(':');
  if (colon == std::string_view::npos) return false;
  auto scheme = util::to_lower(url.substr(0, colon));
  for (std::string_view vcs : {"git", "hg", "svn", "bzr"})
    if (scheme == vcs || scheme.starts_with(std::string(vcs) + "+")) return true;
  return false;
}

std::string url_without_fragment(std::string url) {
  if (auto hash = url.find('#'); hash != std::string::npos) url.erase(hash);
  return url;
}

class PypiProvider final : public resolve::Provider {
 public:
  PypiProvider(const Request& request, pyindex::IndexClient& index)
      : request_(request), index_(index), env_(marker_environment(request)), ranker_(request.target) {
    auto full = pypi::Version::parse(python_full(request));
    if (full) python_ = *full;
  }

  Result<void> add_roots(std::vector<resolve::Requirement>& roots) {
    for (const auto& root : request_.roots) {
      const auto& req = root.requirement;
      if (req.marker && !req.marker->evaluate(env_)) continue;
      std::string project = req.normalized_name();
      for (const auto& h : root.hashes) {
        auto colon = h.find(':');
        if (colon == std::string::npos || util::to_lower(h.substr(0, colon)) != "sha256")
          return util::fail(ErrorKind::invalid_input, root.origin + ": only sha256 hashes are supported, got `" + h + "`");
        hashes_[project].insert(util::to_lower(h.substr(colon + 1)));
      }
      for (const auto& spec : req.specifier.specifiers())
        if (spec.allows_prereleases()) explicit_pre_.insert(project);
      // An exact first-party pin opts into that version even when it is yanked, wherever it is
      // required from (PEP 592; uv does the same).
      if (is_exact(req.specifier)) exact_pins_[project].push_back(req.specifier);
      if (root.constraint) {
        constraints_[project].push_back(req.specifier);
        continue;
      }
      if (root.path.empty() && is_vcs_url(req.url))
        return util::fail(ErrorKind::unsupported,
                          root.origin + ": `" + req.name + "` is a VCS reference (`" + util::redact_url(req.url) +
                              "`); mlpack installs wheels only and never builds from a repository: require a "
                              "released version, or build a wheel and list its path");
      if (!root.path.empty() || !req.url.empty()) {
        pyindex::DistFile file;
        file.url = root.path.empty() ? url_without_fragment(req.url) : "file://" + root.path;
        auto slash = file.url.find_last_of('/');
        file.filename = file.url.substr(slash + 1);
        auto wheel = pypi::parse_wheel_filename(file.filename);
        if (!wheel)
          return util::fail(ErrorKind::unsupported,
                            root.origin + ": `" + req.name + "` names `" + file.filename +
                                "`, which is not a wheel; mlpack installs wheels only and never builds sdists");
        if (wheel->name != project)
          return util::fail(ErrorKind::invalid_input, root.origin + ": `" + req.name + "` names the wheel of `" +
                                                          wheel->name + "`");
        if (!ranker_.rank(wheel->tags))
          return util::fail(ErrorKind::unsatisfiable, root.origin + ": the wheel `" + file.filename +
                                                          "` does not run on the target (" + target_text() + ")");
        if (auto frag = req.url.find("#sha256="); frag != std::string::npos)
          file.hashes["sha256"] = util::to_lower(req.url.substr(frag + 8));
        direct_[project] = Cand{project, project, std::nullopt, wheel->version, file};
      }
      requested_.insert(project);
      for (auto& r : requirements_for(req)) roots.push_back(std::move(r));
    }
    return {};
  }

  Result<std::vector<SolvableId>> candidates(const resolve::Requirement& r) override {
    const ReqInfo& info = reqs_[r.key];
    if (info.fixed) return std::vector<SolvableId>{*info.fixed};
    if (info.python) return std::vector<SolvableId>{};
    std::vector<SolvableId> out;
    if (auto d = direct_.find(info.project); d != direct_.end()) {
      auto v = pypi::Version::parse(d->second.version);
      if (v && info.spec.contains(*v, pypi::Prereleases::include)) out.push_back(cand_id(info, d->second.version, d->second.file));
      return out;
    }
    auto project = TRY(load(info.project));
    auto pre = allows_prereleases(info.project, *project) ? pypi::Prereleases::include : pypi::Prereleases::exclude;
    const auto* constraints = find_constraints(info.project);
    for (const auto& v : project->versions) {
      if (!v.wheel) continue;
      if (v.yanked && !info.exact && !pinned(info.project, v.version)) continue;
      if (!info.spec.contains(v.version, pre)) continue;
      if (constraints && !std::all_of(constraints->begin(), constraints->end(),
                                      [&](const auto& c) { return c.contains(v.version, pre); }))
        continue;
      out.push_back(cand_id(info, v.text, *v.wheel));
    }
    if (out.empty() && project->hash_rejected > 0 && hashes_.contains(info.project))
      return util::fail(ErrorKind::integrity,
                        "the --hash values given for `" + info.project + "` match no file the index has for it (" +
                            std::to_string(project->hash_rejected) + " file(s) with other sha256 digests)");
    return out;
  }

  Result<std::vector<resolve::Requirement>> dependencies(SolvableId s) override {
    const Cand c = cands_[s];  // copy: requirements_for() may grow cands_
    std::vector<resolve::Requirement> out;
    if (c.extra) {
      ReqInfo base;
      base.key = c.project;
      base.project = c.project;
      base.fixed = cand_id_for(c.project, c.project, std::nullopt, c.version, c.file);
      out.push_back(intern(std::move(base), c.project + "==" + c.version));
    }
    auto meta = TRY(index_.metadata(c.file));
    if (meta.requires_python) {
      auto spec = pypi::SpecifierSet::parse(*meta.requires_python);
      if (spec && !spec->contains(python_, pypi::Prereleases::include)) {
        ReqInfo py;
        py.key = "python";
        py.python = *meta.requires_python;
        out.push_back(intern(std::move(py), "Python " + *meta.requires_python));
      }
    }
    std::vector<std::string> extras;
    if (c.extra) extras.push_back(*c.extra);
    std::vector<std::string> names;
    for (const auto& text : meta.requires_dist) {
      auto req = pypi::Requirement::parse(text);
      if (!req)
        return util::fail(ErrorKind::invalid_input, "the metadata of " + c.project + " " + c.version +
                                                        " has a malformed Requires-Dist `" + text + "`: " + req.error().message);
      if (c.extra) {
        // `a[x]` adds only what the extra brings; `a` itself carries the rest.
        if (!req->marker || !req->marker->uses_extra() || !req->marker->evaluate(env_, extras)) continue;
      } else if (req->marker && !req->marker->evaluate(env_)) {
        continue;
      }
      names.push_back(req->normalized_name());
      for (auto& r : requirements_for(*req)) out.push_back(std::move(r));
    }
    index_.prefetch_projects(names);
    return out;
  }

  Result<std::vector<resolve::Requirement>> conflicts(SolvableId) override { return std::vector<resolve::Requirement>{}; }

  std::string name(SolvableId s) override { return cands_[s].key; }
  std::string display(SolvableId s) override { return cands_[s].key + " " + cands_[s].version; }

  std::string no_candidates_note(const resolve::Requirement& r) override {
    const ReqInfo& info = reqs_[r.key];
    if (info.python) return "the target is Python " + python_full(request_);
    auto it = projects_.find(info.project);
    if (it == projects_.end() || !it->second) return {};
    const Project& p = *it->second;
    if (p.versions.empty())
      return "no index has a project named `" + info.project + "`" +
             (request_.indexes.empty() ? std::string() : " (looked in " + util::join(request_.indexes, ", ") + ")");
    auto pre = allows_prereleases(info.project, p) ? pypi::Prereleases::include : pypi::Prereleases::exclude;
    std::vector<std::string> notes;
    std::size_t prereleases = 0;
    for (const auto& v : p.versions) {
      if (!info.spec.contains(v.version, pypi::Prereleases::include)) continue;
      if (!info.spec.contains(v.version, pre)) {
        ++prereleases;
        continue;
      }
      std::string what = info.project + " " + v.text;
      if (!v.requires_python.empty())
        notes.push_back(what + " requires Python " + v.requires_python + " (the target is Python " + python_full(request_) + ")");
      else if (!v.wheel && v.files.empty())
        notes.push_back(what + " has no files");
      else if (!v.wheel) {
        bool any_wheel = std::any_of(v.files.begin(), v.files.end(), [](const auto& f) { return f.ends_with(".whl"); });
        if (!any_wheel)
          notes.push_back(what + " has only an sdist (" + util::join(v.files, ", ") +
                          "); mlpack installs wheels only and never builds sdists");
        else
          notes.push_back(what + " has no wheel for the target (" + target_text() + "); its files: " + util::join(v.files, ", "));
      } else if (v.yanked)
        notes.push_back(what + " is yanked (only an exact `==` pin may use it)");
      if (notes.size() >= 4) break;
    }
    if (notes.empty() && prereleases == 0) {
      // Nothing near: what there is, and where it was listed (a local version such as +cu118 pins
      // one build, and the index of another CUDA has other builds).
      std::vector<std::string> have;
      for (const auto& v : p.versions) {
        if (have.size() == 4) break;
        have.push_back(v.text);
      }
      std::string more = p.versions.size() > have.size() ? ", …" : "";
      std::string where = p.versions.front().index.empty() ? std::string() : ", listed by " + util::redact_url(p.versions.front().index);
      notes.push_back("`" + info.project + "` has " + util::join(have, ", ") + more + where);
    }
    if (prereleases > 0)
      notes.push_back(std::to_string(prereleases) + " pre-release version(s) match, but pre-releases need an explicit opt-in (`" +
                      info.project + ">=X.YaN` or --pre)");
    return util::join(notes, "; ");
  }

  std::string target_text() const {
    std::string out = request_.target.implementation + std::to_string(request_.target.python_major) +
                      std::to_string(request_.target.python_minor) + ", " + request_.target.arch;
    if (request_.target.glibc)
      out += ", glibc " + std::to_string(request_.target.glibc->first) + "." + std::to_string(request_.target.glibc->second);
    return out;
  }

  bool is_extra(SolvableId s) const { return cands_[s].extra.has_value(); }
  const Cand& cand(SolvableId s) const { return cands_[s]; }
  bool requested(const std::string& project) const { return requested_.contains(project); }

 private:
  // The requirements a PEP 508 requirement stands for: the project, then one per extra.
  std::vector<resolve::Requirement> requirements_for(const pypi::Requirement& req) {
    std::vector<resolve::Requirement> out;
    std::string project = req.normalized_name();
    ReqInfo base;
    base.key = project;
    base.project = project;
    base.spec = req.specifier;
    base.exact = is_exact(req.specifier);
    std::string spec_text = req.specifier.str();
    out.push_back(intern(base, project + spec_text));
    for (const auto& extra : req.extras) {
      ReqInfo e = base;
      std::string x = pypi::normalize_name(extra);
      e.key = project + "[" + x + "]";
      e.extra = x;
      out.push_back(intern(std::move(e), project + "[" + x + "]" + spec_text));
    }
    return out;
  }

  resolve::Requirement intern(ReqInfo info, const std::string& text) {
    std::string key = text + (info.fixed ? "#" + std::to_string(*info.fixed) : "");
    auto [it, inserted] = req_index_.try_emplace(key, reqs_.size());
    if (inserted) reqs_.push_back(std::move(info));
    return resolve::Requirement{text, it->second};
  }

  SolvableId cand_id(const ReqInfo& info, const std::string& version, const pyindex::DistFile& file) {
    return cand_id_for(info.key, info.project, info.extra, version, file);
  }

  SolvableId cand_id_for(const std::string& key, const std::string& project, const std::optional<std::string>& extra,
                         const std::string& version, const pyindex::DistFile& file) {
    auto [it, inserted] = cand_index_.try_emplace(key + " " + version, static_cast<SolvableId>(cands_.size()));
    if (inserted) cands_.push_back(Cand{key, project, extra, version, file});
    return it->second;
  }

  const std::vector<pypi::SpecifierSet>* find_constraints(const std::string& project) const {
    auto it = constraints_.find(project);
    return it == constraints_.end() ? nullptr : &it->second;
  }

  bool pinned(const std::string& project, const pypi::Version& v) const {
    auto it = exact_pins_.find(project);
    if (it == exact_pins_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](const pypi::SpecifierSet& s) { return s.contains(v, pypi::Prereleases::include); });
  }

  bool allows_prereleases(const std::string& project, const Project& p) const {
    switch (request_.prereleases) {
      case Prereleases::allow: return true;
      case Prereleases::disallow: return false;
      case Prereleases::if_necessary_or_explicit: return p.all_prerelease || explicit_pre_.contains(project);
    }
    return false;
  }

  Result<const Project*> load(const std::string& name) {
    if (auto it = projects_.find(name); it != projects_.end()) return it->second.get();
    auto files = TRY(index_.project_files(name));
    auto project = std::make_unique<Project>();
    bool no_binary = request_.no_binary.contains(":all:") || request_.no_binary.contains(name);
    const auto* hashes = hashes_.contains(name) ? &hashes_.at(name) : nullptr;
    struct Best {
      std::size_t rank;
      std::optional<pypi::BuildTag> build;
      const pyindex::DistFile* file;
    };
    std::map<std::string, std::vector<const pyindex::DistFile*>> by_version;  // normalised version → files
    std::map<std::string, pypi::Version> parsed;
    for (const auto& f : files) {
      std::string version;
      if (auto w = pypi::parse_wheel_filename(f.filename)) {
        if (w->name != name) continue;
        version = w->version;
      } else if (auto sd = pypi::parse_sdist_filename(f.filename)) {
        if (sd->name != name) continue;
        version = sd->version;
      } else {
        continue;  // not a distribution we understand (an .egg, a .exe): ignored, as pip does
      }
      auto v = pypi::Version::parse(version);
      if (!v) continue;  // a non-PEP 440 version cannot be compared: ignored, as pip does
      std::string key = v->str();
      parsed.try_emplace(key, *v);
      by_version[key].push_back(&f);
    }
    for (auto& [key, list] : by_version) {
      VersionEntry e;
      e.version = parsed.at(key);
      std::optional<Best> best, best_yanked;
      for (const auto* f : list) {
        e.files.push_back(f->filename);
        if (e.index.empty()) e.index = f->index;
        auto w = pypi::parse_wheel_filename(f->filename);
        if (e.text.empty()) {
          if (w) e.text = w->version;
          else if (auto sd = pypi::parse_sdist_filename(f->filename)) e.text = sd->version;
        }
        if (!w || no_binary) continue;
        if (f->requires_python) {
          auto spec = pypi::SpecifierSet::parse(*f->requires_python);
          if (spec && !spec->contains(python_, pypi::Prereleases::include)) {
            e.requires_python = *f->requires_python;
            continue;
          }
        }
        auto rank = ranker_.rank(w->tags);
        if (!rank) continue;
        if (hashes) {
          auto sha = f->hashes.find("sha256");
          if (sha == f->hashes.end() || !hashes->contains(sha->second)) {
            ++project->hash_rejected;
            continue;
          }
        }
        auto& slot = f->yanked ? best_yanked : best;
        if (!slot || *rank < slot->rank || (*rank == slot->rank && w->build > slot->build)) slot = Best{*rank, w->build, f};
      }
      if (best) {
        e.wheel = *best->file;
        e.requires_python.clear();
      } else if (best_yanked) {
        e.wheel = *best_yanked->file;
        e.yanked = true;
        e.requires_python.clear();
      }
      if (e.text.empty()) e.text = key;
      project->versions.push_back(std::move(e));
    }
    std::sort(project->versions.begin(), project->versions.end(),
              [](const VersionEntry& a, const VersionEntry& b) { return b.version < a.version; });
    project->all_prerelease = !project->versions.empty() &&
                              std::all_of(project->versions.begin(), project->versions.end(),
                                          [](const VersionEntry& v) { return v.version.is_prerelease(); });
    const Project* out = project.get();
    projects_[name] = std::move(project);
    return out;
  }

  const Request& request_;
  pyindex::IndexClient& index_;
  pypi::MarkerEnvironment env_;
  pypi::TagRanker ranker_;
  pypi::Version python_;
  std::vector<ReqInfo> reqs_;
  std::unordered_map<std::string, std::uint64_t> req_index_;
  std::vector<Cand> cands_;
  std::unordered_map<std::string, SolvableId> cand_index_;
  std::map<std::string, std::unique_ptr<Project>> projects_;
  std::map<std::string, std::set<std::string>> hashes_;
  std::map<std::string, std::vector<pypi::SpecifierSet>> constraints_;
  std::map<std::string, std::vector<pypi::SpecifierSet>> exact_pins_;
  std::map<std::string, Cand> direct_;
  std::set<std::string> explicit_pre_;
  std::set<std::string> requested_;
};

}  // namespace

pypi::MarkerEnvironment marker_environment(const Request& request) {
  return pypi::MarkerEnvironment::for_target(request.target, python_full(request));
}

Result<Resolved> resolve(const Request& request, pyindex::IndexClient& index) {
  if (request.requires_python) {
    auto spec = pypi::SpecifierSet::parse(*request.requires_python);
    if (!spec)
      return util::fail(ErrorKind::invalid_input, "requires-python `" + *request.requires_python + "`: " + spec.error().message);
    auto full = pypi::Version::parse(python_full(request));
    if (full && !spec->contains(*full, pypi::Prereleases::include))
      return util::fail(ErrorKind::unsatisfiable, "the project requires Python " + *request.requires_python +
                                                      ", but the target is Python " + python_full(request));
  }
  PypiProvider provider(request, index);
  std::vector<resolve::Requirement> roots;
  TRY(provider.add_roots(roots));
  std::vector<std::string> names;
  for (const auto& root : request.roots) names.push_back(root.requirement.normalized_name());
  index.prefetch_projects(names);
  auto solution = TRY(resolve::solve(provider, roots));
  Resolved out;
  out.stats = solution.stats;
  for (auto s : solution.selected) {
    if (provider.is_extra(s)) continue;
    const auto& c = provider.cand(s);
    Package p;
    p.name = c.project;
    p.version = c.version;
    p.file = c.file;
    p.requested = provider.requested(c.project);
    if (auto meta = index.metadata(c.file)) {
      p.license = license_of(*meta);
      auto env = marker_environment(request);
      for (const auto& text : meta->requires_dist) {
        auto req = pypi::Requirement::parse(text);
        if (req && (!req->marker || (!req->marker->uses_extra() && req->marker->evaluate(env)))) p.depends.push_back(text);
      }
    }
    if (auto sha = c.file.hashes.find("sha256"); sha != c.file.hashes.end()) {
      p.sha256 = sha->second;
    } else {
      // No digest from the index (a plain find-links page): the file itself gives it.
      auto path = TRY_CONTEXT(index.download(c.file), "hashing " + c.file.filename);
      p.sha256 = path.filename().string();
      // Its size too, which such pages do not give either (the layer planner weighs by it).
      std::error_code ec;
      if (auto n = std::filesystem::file_size(path, ec); !ec && !p.file.size) p.file.size = n;
    }
    out.packages.push_back(std::move(p));
  }
  std::sort(out.packages.begin(), out.packages.end(), [](const Package& a, const Package& b) { return a.name < b.name; });
  return out;
}

std::string license_of(const pyindex::CoreMetadata& meta) {
  if (meta.license_expression) return *meta.license_expression;
  // Many distributions put the whole licence text in License: a name is one short line.
  if (meta.license && meta.license->size() <= 100 && meta.license->find('\n') == std::string::npos &&
      util::to_lower(*meta.license) != "unknown")
    return *meta.license;
  std::string out;
  for (const auto& c : meta.license_classifiers) {
    auto name = c.substr(c.rfind("::") + 2);
    name = util::trim(name);
    if (name.empty() || name == "OSI Approved") continue;
    out += (out.empty() ? "" : " | ") + name;
  }
  return out;
}

lock::Package lock_package(const Package& p) {
  lock::Package l;
  l.ecosystem = "pypi";
  l.name = p.name;
  l.version = p.version;
  std::string url = strip_userinfo(p.file.url);
  auto slash = url.find_last_of('/');
  l.source = url.substr(0, slash + 1);
  l.filename = url.substr(slash + 1);
  l.sha256 = p.sha256;
  if (p.file.size) l.size = *p.file.size;
  l.extra["wheel"] = p.file.filename;
  if (!p.file.index.empty()) l.extra["index"] = strip_userinfo(p.file.index);
  if (p.requested) l.extra["requested"] = "true";
  if (!p.license.empty()) l.extra["license"] = p.license;
  l.depends = p.depends;
  return l;
}

std::vector<lock::Package> lock_packages(const Resolved& resolved) {
  std::vector<lock::Package> out;
  for (const auto& p : resolved.packages) out.push_back(lock_package(p));
  return out;
}

}  // namespace mlpack::pyresolve
