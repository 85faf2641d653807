// Resolving the Debian part of an image into lock entries.
#include <map>
#include <set>

#include "apt/source.hpp"
#include "buildpacks/debian_base/debian_base.hpp"
#include "deb/provider.hpp"
#include "net/curl_client.hpp"
#include "resolve/resolver.hpp"
#include "util/expected.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace mlpack::buildpacks::debian_base {

using util::ErrorKind;

const std::vector<std::string>& base_packages() {
  // usr-is-merged says the image is already usr-merged (mlpack lays it out so), which keeps
  // `usrmerge | usr-is-merged` dependencies from pulling in the usrmerge tool and perl.
  // coreutils gives /usr/bin/env (for `#!/usr/bin/env python3` scripts) and the everyday tools.
  static const std::vector<std::string> names = {"base-files", "ca-certificates", "coreutils",    "dash",
                                                 "dpkg",       "libc6",           "netbase",      "usr-is-merged"};
  return names;
}

namespace {

// A keyring pinned as text, as a file gpgv can read: <cache>/apt/keys/<sha256>.asc, written once.
Result<fs::path> pinned_keyring(const fs::path& cache_dir, std::string_view armoured) {
  auto path = cache_dir / "apt" / "keys" / (util::Digest::sha256_of(armoured).hex() + ".asc");
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path;
  fs::create_directories(path.parent_path(), ec);
  TRY_CONTEXT(util::write_file_atomic(path, armoured), "writing a pinned keyring");
  return path;
}

Result<apt::Source> source_of(const AptRepository& repo, const Environment& env) {
  apt::Source s;
  s.url = repo.url;
  s.suite = repo.suite;
  s.components = repo.components;
  if (repo.keyring.empty() && !repo.key.empty()) {
    s.keyring = TRY(pinned_keyring(env.cache_dir, repo.key));
  } else {
    fs::path keyring = repo.keyring;
    s.keyring = keyring.is_absolute() ? keyring : env.project_dir / keyring;
  }
  TRY_CONTEXT(apt::validate(s), "apt repository " + repo.url);
  return s;
}

}  // namespace

Result<std::vector<apt::Source>> sources_for(const Request& request, const Environment& env) {
  auto sources = TRY_CONTEXT(apt::distribution_sources(request.base, request.snapshot), "base `" + request.base + "`");
  if (!request.replace_sources.empty()) sources.clear();
  std::vector<AptRepository> repos = request.replace_sources;
  repos.insert(repos.end(), request.extra_repositories.begin(), request.extra_repositories.end());
  for (const auto& repo : repos) sources.push_back(TRY(source_of(repo, env)));
  return sources;
}

namespace {

std::shared_ptr<net::HttpClient> http_for(const Environment& env, std::span<const apt::Source> sources) {
  if (env.http) return env.http;
  net::CurlOptions options;
  options.insecure_hosts = apt::plain_http_hosts(sources);
  options.ca_file = env.ca_file;
  return net::make_curl_client(options);
}

// "20240115T083012Z" for a Release date: snapshot services serve the archive as it was then,
// which still holds every file that Release listed.
std::string snapshot_timestamp(std::int64_t epoch) {
  auto s = util::format_rfc3339(epoch);  // 2024-01-15T08:30:12Z
  std::string out;
  for (char c : s)
    if (c != '-' && c != ':') out.push_back(c);
  return out;
}

// The runtime libraries a "-dev" package stands for: what its newest version depends on at exactly
// its own version (Debian's `libxml2 (= ${binary:Version})`: the same source's library), never
// another -dev package. None when the index does not know it.
std::vector<std::string> runtime_libraries(const deb::PackageIndex& index, const std::string& dev) {
  const deb::IndexPackage* newest = nullptr;
  for (auto id : index.named(dev)) {
    const auto& p = index.package(id);
    if (!newest || newest->version < p.version) newest = &p;
  }
  std::vector<std::string> out;
  if (!newest) return out;
  for (const auto& alternatives : newest->depends) {
    if (alternatives.size() != 1) continue;
    const auto& r = alternatives.front();
    if (r.op != deb::RelOp::eq || !r.version || !(*r.version == newest->version) || r.name.ends_with("-dev")) continue;
    out.push_back(r.name);
  }
  return out;
}

// The versions of `name` for the target architecture that repositories [from, to) of the index list,
// newest first.
std::vector<const deb::IndexPackage*> versions_in(const deb::PackageIndex& index, const std::string& name,
                                                  std::string_view arch, std::size_t from, std::size_t to) {
  std::vector<const deb::IndexPackage*> out;
  for (auto id : index.named(name)) {
    const auto& p = index.package(id);
    if (p.installed || p.repository < from || p.repository >= to) continue;
    if (p.architecture != arch && p.architecture != "all") continue;
    out.push_back(&p);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return b->version < a->version; });
  return out;
}

std::string list_versions(const std::vector<const deb::IndexPackage*>& ps) {
  std::vector<std::string> out;
  for (const auto* p : ps)
    if (std::find(out.begin(), out.end(), p->version.str()) == out.end()) out.push_back(p->version.str());
  return out.empty() ? std::string("none") : util::join(out, ", ");
}

const deb::IndexPackage* newest_accepted(const std::vector<const deb::IndexPackage*>& ps, const RuntimeVersion& rv) {
  for (const auto* p : ps)
    if (rv.accepts && rv.accepts(p->version.str())) return p;
  return nullptr;
}

}  // namespace

Result<Resolved> resolve(const Request& request, const Environment& env) {
  auto sources = TRY(sources_for(request, env));

  apt::ClientOptions options;
  options.cache_dir = env.cache_dir;
  options.arch = request.arch;
  options.verify = env.verify;
  options.transfers = env.transfers;
  // The repositories a wanted runtime version may need, so their hosts are allowed too.
  std::vector<apt::Source> all_sources = sources;
  if (!request.base_image)
    for (const auto& rv : request.runtime_versions)
      if (rv.fallback)
        if (auto repo = rv.fallback(request.base); repo && *repo) {
          apt::Source s;
          s.url = (*repo)->url;
          s.suite = (*repo)->suite;
          all_sources.push_back(std::move(s));
        }
  apt::ArchiveClient client(http_for(env, all_sources), options);
  auto fetched = TRY(client.fetch_sources(sources));

  deb::PackageIndex index;
  std::vector<std::string> repository_roots;  // by PackageIndex repository id
  Resolved out;
  auto add_fetched = [&](const apt::ArchiveClient::SourceIndexes& src) -> Result<void> {
    lock::Source ls;
    ls.ecosystem = "deb";
    ls.url = src.release.source.url;
    ls.suite = src.release.source.suite;
    ls.components = src.release.source.components;
    if (src.release.source.snapshot) {
      ls.snapshot = *src.release.source.snapshot;
    } else if (src.release.release.date) {
      // Recorded so that `--locked` can still fetch files the mirror has since dropped.
      std::string ts = snapshot_timestamp(*src.release.release.date);
      if (apt::snapshot_url(ls.url, ts)) ls.snapshot = ts;
    }
    out.sources.push_back(ls);
    for (const auto& idx : src.indexes) {
      std::string name = src.release.source.display() + (idx.component.empty() ? "" : "/" + idx.component) + " " + idx.arch;
      std::size_t repo = index.add_repository(name);
      if (repository_roots.size() <= repo) repository_roots.resize(repo + 1);
      repository_roots[repo] = src.release.root;
      TRY_CONTEXT(apt::for_each_package(idx, [&](deb::Paragraph&& p) -> Result<void> {
        return index.add_paragraph(p, repo, idx.url);
      }), "reading " + idx.url);
    }
    return {};
  };
  for (const auto& src : fetched) TRY(add_fetched(src));

  // Runtimes the project wants at some version: the suite's when it has one, else the fallback
  // repository's, pinned exactly (the fallback then stays among the sources, for its dependencies).
  std::vector<std::string> runtimes = request.runtimes;
  if (!request.base_image)
    for (const auto& rv : request.runtime_versions) {
      if (std::find(runtimes.begin(), runtimes.end(), rv.package) == runtimes.end()) continue;
      std::size_t suite_end = repository_roots.size();
      auto in_suite = versions_in(index, rv.package, request.arch, 0, suite_end);
      const deb::IndexPackage* chosen = newest_accepted(in_suite, rv);
      std::string seen = request.base + " has " + rv.package + " " + list_versions(in_suite);
      if (!chosen) {
        std::optional<AptRepository> repo;
        if (rv.fallback) repo = TRY_CONTEXT(rv.fallback(request.base), rv.wanted + ", but " + seen);
        if (!repo)
          return util::fail(ErrorKind::unsatisfiable, rv.wanted + ", but " + seen + ", and " +
                                                          (rv.fallback_name.empty() ? std::string("no other repository")
                                                                                    : rv.fallback_name) +
                                                          " has none for " + request.base);
        auto source = TRY_CONTEXT(source_of(*repo, env), rv.fallback_name);
        std::string where = rv.fallback_name + " (" + source.display() + ")";
        auto more = TRY_CONTEXT(client.fetch_sources(std::span<const apt::Source>(&source, 1)),
                                rv.wanted + " and " + seen + ": reading " + where);
        for (const auto& src : more) TRY(add_fetched(src));
        auto in_fallback = versions_in(index, rv.package, request.arch, suite_end, repository_roots.size());
        chosen = newest_accepted(in_fallback, rv);
        if (!chosen)
          return util::fail(ErrorKind::unsatisfiable, rv.wanted + ", but " + seen + ", and " + where + " has " +
                                                          rv.package + " " + list_versions(in_fallback));
      }
      for (auto& r : runtimes)
        if (r == rv.package) r = rv.package + "=" + chosen->version.str();
    }

  if (request.base_image)
    TRY_CONTEXT(index.add_installed(request.base_image->installed), "reading the base image's packages");
  deb::DebianProvider provider(index, deb::ProviderOptions{request.arch, {}});
  std::vector<resolve::Requirement> roots;
  auto add_roots = [&](const std::vector<std::string>& specs, std::string_view what) -> Result<void> {
    for (const auto& spec : specs) {
      roots.push_back(TRY_CONTEXT(provider.require(spec), std::string(what)));
    }
    return {};
  };
  // Three nested solves tell which layer each package belongs to: what the base alone needs is
  // the core OS, what Python adds is the runtime, the rest comes from apt.txt.
  std::vector<std::pair<std::string_view, std::set<resolve::SolvableId>>> groups;
  auto solve_group = [&](std::string_view group) -> Result<void> {
    auto s = TRY(resolve::solve(provider, roots));
    groups.emplace_back(group, std::set<resolve::SolvableId>(s.selected.begin(), s.selected.end()));
    return {};
  };
  if (request.base_image) {
    // Keep the base as it is: its packages are pinned at their installed versions.
    roots = provider.installed_requirements();
  } else {
    TRY(add_roots(base_packages(), "the base"));
    TRY_CONTEXT(solve_group(layer_os), "resolving the base");
  }
  if (request.python) runtimes.insert(runtimes.begin(), "python3");
  if (!runtimes.empty() && !request.base_image) {
    TRY(add_roots(runtimes, "the language runtime"));
    TRY_CONTEXT(solve_group(layer_runtime), "resolving " + util::join(runtimes, ", "));
  }
  out.libs = request.libs;
  for (const auto& dev : request.runtime_of_dev) {
    auto runtime = runtime_libraries(index, dev);
    out.libs.insert(out.libs.end(), runtime.begin(), runtime.end());
  }
  std::sort(out.libs.begin(), out.libs.end());
  out.libs.erase(std::unique(out.libs.begin(), out.libs.end()), out.libs.end());
  if (!out.libs.empty()) {
    TRY(add_roots(out.libs, request.libs_why));
    TRY_CONTEXT(solve_group(layer_libs), "resolving " + request.libs_why);
  }
  if (!request.apt.empty()) {
    TRY(add_roots(request.apt, "apt.txt"));
    TRY_CONTEXT(solve_group(layer_apt), "resolving apt.txt");
  }

  if (groups.empty()) return out;  // a base image and nothing to add
  const auto& final_set = groups.back().second;
  for (resolve::SolvableId id : final_set) {
    const auto& p = index.package(id);
    if (p.installed) continue;
    lock::Package pkg;
    pkg.ecosystem = "deb";
    pkg.name = p.name;
    pkg.version = p.version.str();
    pkg.architecture = p.architecture;
    pkg.source = repository_roots.at(p.repository);
    pkg.filename = p.filename;
    pkg.sha256 = p.sha256;
    pkg.size = p.size;
    // For the layer planner (installed bytes) and the SBOM's graph (Pre-Depends and Depends as the
    // index writes them).
    if (p.installed_size) pkg.extra["installed_size"] = std::to_string(p.installed_size);
    for (const auto& group : p.pre_depends) pkg.depends.push_back(deb::to_string(group));
    for (const auto& group : p.depends) pkg.depends.push_back(deb::to_string(group));
    for (const auto& [group, members] : groups)
      if (members.contains(id)) {
        pkg.extra["layer"] = std::string(group);
        break;
      }
    if (pkg.sha256.empty() || pkg.filename.empty())
      return util::fail(ErrorKind::integrity, "the index lists `" + pkg.name + "` " + pkg.version +
                                                  " without a Filename or SHA256; refusing an unpinned package");
    out.packages.push_back(std::move(pkg));
  }
  return out;
}

}  // namespace mlpack::buildpacks::debian_base
